import { DTMF_PATTERN, type CallControl } from '../../call-control.js';
import type { TwilioRest } from './rest.js';

const xml = (value: string): string =>
  value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** A transfer target: an E.164 number or a SIP URI, nothing a TwiML document could be smuggled in. */
const TARGET = /^(\+?[0-9]{3,20}|sips?:[A-Za-z0-9@._:;=+-]{3,200})$/;

/**
 * Call control for one Twilio call (TwiML verbs: twilio.com/docs/voice/twiml): hang up = update with
 * `Status=completed`; cold transfer = update with `<Dial>` (`<Number>` or `<Sip>`); DTMF = update with
 * `<Play digits>` followed by `<Connect><Stream>` back to this server, since new TwiML ends the stream.
 */
export function twilioCallControl(rest: TwilioRest, callSid: string, reconnectTwiml: () => string): CallControl {
  return {
    callId: callSid,
    async endCall() {
      await rest.updateCall(callSid, { status: 'completed' });
    },
    async transferCall(to: string) {
      if (!TARGET.test(to)) throw new Error('transfer target must be an E.164 number or a SIP URI');
      const noun = to.startsWith('sip') ? `<Sip>${xml(to)}</Sip>` : `<Number>${xml(to)}</Number>`;
      await rest.updateCall(callSid, { twiml: `<Response><Dial>${noun}</Dial></Response>` });
    },
    async sendDtmf(digits: string) {
      if (!DTMF_PATTERN.test(digits)) throw new Error('digits must be 1 to 32 of 0-9, *, #, w');
      const stream = reconnectTwiml().replace(/^<\?xml[^>]*\?>/, '').replace(/^<Response>|<\/Response>$/g, '');
      await rest.updateCall(callSid, { twiml: `<Response><Play digits="${digits}"/>${stream}</Response>` });
    },
  };
}
