import { defineTool, type ToolDefinition } from '../tools.js';

/**
 * What an agent can do to the phone call it is on, over the carrier's REST API. On `choice.call` when the
 * server has the carrier's API credentials (Twilio: `twilio.accountSid` + `twilio.authToken`).
 */
export interface CallControl {
  /** The carrier's id for the call (Twilio CallSid). */
  readonly callId: string;
  /** Hangs up. */
  endCall(): Promise<void>;
  /** Cold transfer: the call leaves the agent and rings `to` (E.164 number or SIP URI). */
  transferCall(to: string): Promise<void>;
  /** Plays DTMF tones to the other side (an IVR), then the stream reconnects. `w` waits half a second. */
  sendDtmf(digits: string): Promise<void>;
}

export interface CallControlToolOptions {
  /** Offer `end_call` (default true). */
  readonly endCall?: boolean;
  /**
   * Offer `transfer_call`: the numbers the model may transfer to (the model picks by name); omitted =
   * no transfer tool. A model never dials a number you did not list.
   */
  readonly transferTargets?: Readonly<Record<string, string>>;
  /** Offer `send_dtmf` (default false). */
  readonly sendDtmf?: boolean;
}

/** One valid DTMF string: digits, `*`, `#`, `w` (wait), at most 32 keys. */
export const DTMF_PATTERN = /^[0-9*#wW]{1,32}$/;

/**
 * The built-in call tools, opt-in: give them to the pipeline's `tools` (cascaded) so the model can hang
 * up, transfer to a listed person, or press keys. Each resolves once the carrier accepted the request.
 */
export function callControlTools(call: CallControl, options: CallControlToolOptions = {}): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  if (options.endCall ?? true) {
    tools.push(
      defineTool({
        name: 'end_call',
        description: 'Hang up the phone call. Say goodbye first.',
        parameters: { type: 'object', properties: {}, additionalProperties: false },
        handler: async () => {
          await call.endCall();
          return { ended: true };
        },
      }),
    );
  }
  const targets = options.transferTargets;
  if (targets && Object.keys(targets).length > 0) {
    tools.push(
      defineTool<{ target: string }>({
        name: 'transfer_call',
        description: 'Transfer the caller to a person. The call leaves you once transferred.',
        parameters: { type: 'object', properties: { target: { type: 'string', enum: Object.keys(targets) } }, required: ['target'], additionalProperties: false },
        handler: async ({ target }) => {
          const to = Object.hasOwn(targets, target) ? targets[target] : undefined;
          if (!to) throw new Error(`unknown transfer target '${String(target)}'`);
          await call.transferCall(to);
          return { transferred: true, target };
        },
      }) as ToolDefinition,
    );
  }
  if (options.sendDtmf) {
    tools.push(
      defineTool<{ digits: string }>({
        name: 'send_dtmf',
        description: 'Press keys on the phone keypad (digits, * and #), e.g. to navigate a menu.',
        parameters: { type: 'object', properties: { digits: { type: 'string', pattern: '^[0-9*#]{1,32}$' } }, required: ['digits'], additionalProperties: false },
        handler: async ({ digits }) => {
          if (typeof digits !== 'string' || !DTMF_PATTERN.test(digits)) throw new Error('digits must be 1 to 32 of 0-9, *, #');
          await call.sendDtmf(digits);
          return { sent: digits };
        },
      }) as ToolDefinition,
    );
  }
  return tools;
}
