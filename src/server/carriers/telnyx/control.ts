import { checkDtmf, checkMessage, checkTransfer, type CallCapabilities, type CallControl } from '../../call-control.js';
import { carrierRequest } from '../rest-request.js';

export interface TelnyxControlOptions {
  /** A Telnyx API key (v2): `Authorization: Bearer <key>`. */
  readonly apiKey: string;
  /** Default `https://api.telnyx.com`; the sandbox's URL offline. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

/**
 * Telnyx's transfer can play an audio file (`audio_url`) to the destination, not text: no warm transfer
 * with a spoken summary here.
 */
const CAPABILITIES: CallCapabilities = { transfer: true, warmTransfer: false, sendDtmf: true, leaveMessage: false };

/**
 * Call control for one Telnyx call over the Call Control v2 commands (developers.telnyx.com/api-reference/
 * call-commands): `POST /v2/calls/{call_control_id}/actions/hangup`, `.../actions/transfer` with `to` (an
 * E.164 number or SIP URI), `.../actions/send_dtmf` with `digits` (0-9, *, #, w = 0.5 s). The
 * call_control_id is the one the stream's `start` carries.
 */
export function telnyxCallControl(options: TelnyxControlOptions, callControlId: string): CallControl {
  const base = `${(options.baseUrl ?? 'https://api.telnyx.com').replace(/\/$/, '')}/v2/calls/${encodeURIComponent(callControlId)}/actions`;
  const command = (action: 'endCall' | 'transferCall' | 'sendDtmf', path: string, body: Record<string, unknown>) =>
    carrierRequest('telnyx', action, { method: 'POST', url: `${base}/${path}`, authorization: `Bearer ${options.apiKey}`, body, ...(options.fetch ? { fetch: options.fetch } : {}) }).then(() => undefined);
  return {
    carrier: 'telnyx',
    callId: callControlId,
    capabilities: CAPABILITIES,
    endCall: () => command('endCall', 'hangup', {}),
    async transferCall(to, transfer) {
      checkTransfer('telnyx', CAPABILITIES, to, transfer);
      await command('transferCall', 'transfer', { to });
    },
    // Telnyx speaks (actions/speak) but hangs up only on a later webhook; not wired up here: 'unsupported'.
    leaveMessage: async (text) => checkMessage('telnyx', CAPABILITIES, text),
    async sendDtmf(digits) {
      checkDtmf('telnyx', CAPABILITIES, digits);
      await command('sendDtmf', 'send_dtmf', { digits });
    },
  };
}
