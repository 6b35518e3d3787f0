import { checkDtmf, checkMessage, checkTransfer, type CallCapabilities, type CallControl } from '../../call-control.js';
import { basicAuth, carrierRequest } from '../rest-request.js';

export interface PlivoControlOptions {
  readonly authId: string;
  readonly authToken: string;
  /** Default `https://api.plivo.com`; the sandbox's URL offline. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

/** Plivo's transfer only fetches XML from a URL: this server's `/plivo/transfer` answers it. */
const CAPABILITIES: CallCapabilities = { transfer: true, warmTransfer: true, sendDtmf: true, leaveMessage: true };

/**
 * Call control for one Plivo call (Plivo Voice API, Call resource, plivo.com/docs/voice/api/call):
 * hang up = `DELETE /v1/Account/{auth_id}/Call/{call_uuid}/`; transfer = `POST .../Call/{call_uuid}/` with
 * `legs=aleg` and `aleg_url`, the XML Plivo then runs (this server's `/plivo/transfer?to=...`, answering
 * `<Dial><Number>` or `<User>`, signature-checked); DTMF = `POST .../Call/{call_uuid}/DTMF/` with
 * `digits`. Bodies are JSON, auth is HTTP Basic (auth id, auth token).
 *
 * Warm transfer: the `<Dial>`'s `confirmSound` (plivo.com/docs/voice/xml/dial: XML of Play/Wait/Speak
 * played to the called party when they answer) is this server's `/plivo/whisper?summary=`, a `<Speak>`.
 * A voicemail message is a transfer to `/plivo/transfer?message=`: `<Speak>` then `<Hangup/>`.
 */
export function plivoCallControl(options: PlivoControlOptions, callUuid: string, xmlUrl: (query: Readonly<Record<string, string>>) => string): CallControl {
  const call = `${(options.baseUrl ?? 'https://api.plivo.com').replace(/\/$/, '')}/v1/Account/${encodeURIComponent(options.authId)}/Call/${encodeURIComponent(callUuid)}/`;
  const request = (action: 'endCall' | 'transferCall' | 'sendDtmf' | 'leaveMessage', method: 'POST' | 'DELETE', url: string, body?: Record<string, unknown>) =>
    carrierRequest('plivo', action, {
      method,
      url,
      authorization: basicAuth(options.authId, options.authToken),
      ...(body ? { body } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }).then(() => undefined);
  return {
    carrier: 'plivo',
    callId: callUuid,
    capabilities: CAPABILITIES,
    endCall: () => request('endCall', 'DELETE', call),
    async transferCall(to, transfer) {
      checkTransfer('plivo', CAPABILITIES, to, transfer);
      await request('transferCall', 'POST', call, { legs: 'aleg', aleg_url: xmlUrl({ to, ...(transfer?.summary ? { summary: transfer.summary } : {}) }), aleg_method: 'POST' });
    },
    async leaveMessage(text) {
      checkMessage('plivo', CAPABILITIES, text);
      await request('leaveMessage', 'POST', call, { legs: 'aleg', aleg_url: xmlUrl({ message: text }), aleg_method: 'POST' });
    },
    async sendDtmf(digits) {
      checkDtmf('plivo', CAPABILITIES, digits);
      await request('sendDtmf', 'POST', `${call}DTMF/`, { digits });
    },
  };
}
