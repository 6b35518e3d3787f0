import { CallControlError, type CallCapabilities, type CallControl } from '../../call-control.js';

const CAPABILITIES: CallCapabilities = { transfer: false, warmTransfer: false, sendDtmf: false, leaveMessage: false };

/**
 * Call control for a call in Exotel's Voicebot applet. Exotel has no REST API to act on such a call
 * (developer.exotel.com/docs/agentstream: the applet's flow decides what follows): hanging up is closing
 * the stream, after which the flow moves to its next applet (put a Hangup applet after the Voicebot, or a
 * Connect applet to hand over to a person, which is Exotel's way to transfer). `transferCall` and
 * `sendDtmf` reject with `CallControlError` code `unsupported`.
 */
export function exotelCallControl(callSid: string, closeStream: () => Promise<void>): CallControl {
  const unsupported = (action: 'transferCall' | 'sendDtmf' | 'leaveMessage', what: string) =>
    Promise.reject(new CallControlError('unsupported', 'exotel', action, `exotel has no API to ${what} a Voicebot call; the flow's next applet decides (e.g. Connect)`));
  return {
    carrier: 'exotel',
    callId: callSid,
    capabilities: CAPABILITIES,
    endCall: closeStream,
    transferCall: () => unsupported('transferCall', 'transfer'),
    sendDtmf: () => unsupported('sendDtmf', 'send DTMF on'),
    leaveMessage: () => unsupported('leaveMessage', 'speak a message into'),
  };
}
