import { CallControlError, checkDtmf, checkMessage, checkTransfer, type CallCapabilities, type CallControl } from '../../call-control.js';
import { carrierRequest } from '../rest-request.js';
import { vonageApplicationJwt } from './jwt.js';

export interface VonageControlOptions {
  readonly applicationId: string;
  /** The application's private key (PEM). */
  readonly privateKey: string;
  /** Default `https://api.nexmo.com`; the sandbox's URL offline. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

const CAPABILITIES: CallCapabilities = { transfer: true, warmTransfer: true, sendDtmf: true, leaveMessage: true };

/**
 * Call control for one Vonage call (Voice API, developer.vonage.com/en/api/voice): hang up = `PUT
 * /v1/calls/{uuid}` `{"action":"hangup"}`; transfer = the same with `{"action":"transfer","destination":
 * {"type":"ncco","ncco":[{"action":"connect", "endpoint":[{"type":"phone","number":...}]}]}}` (`sip` with
 * a `uri` for SIP); DTMF = `PUT /v1/calls/{uuid}/dtmf` `{"digits"}` (`p` = a 500 ms pause, our `w`).
 * Warm transfer: the connect action's `onAnswer.url` (NCCO reference, connect: an NCCO run on the
 * answered leg before it joins the conversation) is this server's `/vonage/whisper`, which answers a
 * `talk` of the summary. Auth: an application JWT (RS256) per request.
 */
export function vonageCallControl(options: VonageControlOptions, uuid: string, whisperUrl: (summary: string) => string, fromNumber?: string): CallControl {
  const call = `${(options.baseUrl ?? 'https://api.nexmo.com').replace(/\/$/, '')}/v1/calls/${encodeURIComponent(uuid)}`;
  const put = (action: 'endCall' | 'transferCall' | 'sendDtmf' | 'leaveMessage', url: string, body: unknown) => {
    let authorization: string;
    try {
      authorization = `Bearer ${vonageApplicationJwt(options.applicationId, options.privateKey)}`;
    } catch {
      // A malformed key: say so without quoting it.
      return Promise.reject(new CallControlError('carrier', 'vonage', action, 'vonage.privateKey is not a valid PEM private key'));
    }
    return carrierRequest('vonage', action, { method: 'PUT', url, authorization, body, ...(options.fetch ? { fetch: options.fetch } : {}) }).then(() => undefined);
  };
  return {
    carrier: 'vonage',
    callId: uuid,
    capabilities: CAPABILITIES,
    endCall: () => put('endCall', call, { action: 'hangup' }),
    async transferCall(to, transfer) {
      checkTransfer('vonage', CAPABILITIES, to, transfer);
      if (transfer?.summary && to.startsWith('sip')) throw new CallControlError('unsupported', 'vonage', 'transferCall', 'vonage speaks a whisper (onAnswer) to phone endpoints only');
      // Vonage numbers are E.164 without the '+'.
      const endpoint = to.startsWith('sip') ? { type: 'sip', uri: to } : { type: 'phone', number: to.replace(/^\+/, ''), ...(transfer?.summary ? { onAnswer: { url: whisperUrl(transfer.summary) } } : {}) };
      const connect = { action: 'connect', ...(fromNumber && /^\+?[0-9]{3,20}$/.test(fromNumber) ? { from: fromNumber.replace(/^\+/, '') } : {}), endpoint: [endpoint] };
      await put('transferCall', call, { action: 'transfer', destination: { type: 'ncco', ncco: [connect] } });
    },
    // Voicemail: transfer the call to an NCCO that `talk`s the message; the call ends when the NCCO does.
    async leaveMessage(text) {
      checkMessage('vonage', CAPABILITIES, text);
      await put('leaveMessage', call, { action: 'transfer', destination: { type: 'ncco', ncco: [{ action: 'talk', text }] } });
    },
    async sendDtmf(digits) {
      checkDtmf('vonage', CAPABILITIES, digits);
      await put('sendDtmf', `${call}/dtmf`, { digits: digits.replace(/[wW]/g, 'p') });
    },
  };
}
