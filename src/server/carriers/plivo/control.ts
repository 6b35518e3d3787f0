import { checkDtmf, checkMessage, checkTransfer, type CallCapabilities, type CallControl } from '../../call-control.js';
import { basicAuth, carrierRequest } from '../rest-request.js';

export interface PlivoControlOptions {
  readonly authId: string;
  readonly authToken: string;
  /** Default `https://api.plivo.com`; the sandbox's URL offline. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

/** Plivo's transfer only fetches XML from a URL: this server's `/plivo/transfer` answers the `<Dial>`. */
const CAPABILITIES: CallCapabilities = { transfer: true, warmTransfer: false, sendDtmf: true, leaveMessage: false };

/**
 * Call control for one Plivo call (Plivo Voice API, Call resource, plivo.com/docs/voice/api/call):
 * hang up = `DELETE /v1/Account/{auth_id}/Call/{call_uuid}/`; transfer = `POST .../Call/{call_uuid}/` with
 * `legs=aleg` and `aleg_url`, the XML Plivo then runs (this server's `/plivo/transfer?to=...`, answering
 * `<Dial><Number>` or `<User>`, signature-checked); DTMF = `POST .../Call/{call_uuid}/DTMF/` with
 * `digits`. Bodies are JSON, auth is HTTP Basic (auth id, auth token).
 */
export function plivoCallControl(options: PlivoControlOptions, callUuid: string, transferUrl: (to: string) => string): CallControl {
  const call = `${(options.baseUrl ?? 'https://api.plivo.com').replace(/\/$/, '')}/v1/Account/${encodeURIComponent(options.authId)}/Call/${encodeURIComponent(callUuid)}/`;
  const request = (action: 'endCall' | 'transferCall' | 'sendDtmf', method: 'POST' | 'DELETE', url: string, body?: Record<string, unknown>) =>
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
      await request('transferCall', 'POST', call, { legs: 'aleg', aleg_url: transferUrl(to), aleg_method: 'POST' });
    },
    // Plivo speaks text only from XML it fetches; not wired up here: 'unsupported'.
    leaveMessage: async (text) => checkMessage('plivo', CAPABILITIES, text),
    async sendDtmf(digits) {
      checkDtmf('plivo', CAPABILITIES, digits);
      await request('sendDtmf', 'POST', `${call}DTMF/`, { digits });
    },
  };
}
