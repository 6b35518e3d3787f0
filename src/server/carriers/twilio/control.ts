import { CallControlError, checkDtmf, checkMessage, checkTransfer, type CallAction, type CallCapabilities, type CallControl } from '../../call-control.js';
import { TwilioRestError, type TwilioRest } from './rest.js';

const xml = (value: string): string =>
  value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

const CAPABILITIES: CallCapabilities = { transfer: true, warmTransfer: true, sendDtmf: true, leaveMessage: true };

/** Twilio's REST errors as `CallControlError`s (the message is Twilio's, never the credentials). */
async function attempt(action: CallAction, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof TwilioRestError) throw new CallControlError('carrier', 'twilio', action, err.message, err.status);
    throw new CallControlError('carrier', 'twilio', action, `Twilio unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Call control for one Twilio call (TwiML verbs: twilio.com/docs/voice/twiml): hang up = update with
 * `Status=completed`; cold transfer = update with `<Dial>` (`<Number>` or `<Sip>`); DTMF = update with
 * `<Play digits>` followed by `<Connect><Stream>` back to this server, since new TwiML ends the stream.
 *
 * Warm transfer uses the whisper of `<Dial><Number url="...">` (twilio.com/docs/voice/twiml/number,
 * attribute `url`: TwiML run on the called party's end after they answer and before the parties are
 * connected). The URL is this server's `/twilio/whisper`, which answers `<Say>` with the summary; the
 * caller hears ringing meanwhile. Chosen over a conference because it is one REST update with no
 * conference to create, join and tear down, and the summary reaches only the person taking over.
 * `<Sip>` has the same `url` attribute.
 */
export function twilioCallControl(rest: TwilioRest, callSid: string, reconnectTwiml: () => string, whisperUrl: (summary: string) => string): CallControl {
  return {
    carrier: 'twilio',
    callId: callSid,
    capabilities: CAPABILITIES,
    endCall: () => attempt('endCall', () => rest.updateCall(callSid, { status: 'completed' })),
    async transferCall(to, options) {
      checkTransfer('twilio', CAPABILITIES, to, options);
      const url = options?.summary ? ` url="${xml(whisperUrl(options.summary))}"` : '';
      const noun = to.startsWith('sip') ? `<Sip${url}>${xml(to)}</Sip>` : `<Number${url}>${xml(to)}</Number>`;
      await attempt('transferCall', () => rest.updateCall(callSid, { twiml: `<Response><Dial>${noun}</Dial></Response>` }));
    },
    // Voicemail: `<Say>` the message (Twilio's text-to-speech), then `<Hangup/>`.
    async leaveMessage(text) {
      checkMessage('twilio', CAPABILITIES, text);
      await attempt('leaveMessage', () => rest.updateCall(callSid, { twiml: `<Response><Say>${xml(text)}</Say><Hangup/></Response>` }));
    },
    async sendDtmf(digits) {
      checkDtmf('twilio', CAPABILITIES, digits);
      const stream = reconnectTwiml().replace(/^<\?xml[^>]*\?>/, '').replace(/^<Response>|<\/Response>$/g, '');
      await attempt('sendDtmf', () => rest.updateCall(callSid, { twiml: `<Response><Play digits="${digits}"/>${stream}</Response>` }));
    },
  };
}
