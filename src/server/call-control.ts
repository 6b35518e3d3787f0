import { defineTool, type ToolDefinition } from '../tools.js';
import type { CarrierName } from './carriers/types.js';

export type CallAction = 'endCall' | 'transferCall' | 'sendDtmf' | 'leaveMessage';

/**
 * Why a call-control action failed: `unsupported` (the carrier has no API for it, e.g. Exotel transfer),
 * `invalid` (a target or digits that are refused before anything is sent), `carrier` (the carrier's REST
 * API answered an error or could not be reached; `status` is its HTTP status, when it answered). The
 * message never holds credentials.
 */
export class CallControlError extends Error {
  constructor(
    readonly code: 'unsupported' | 'invalid' | 'carrier',
    readonly carrier: CarrierName,
    readonly action: CallAction,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CallControlError';
  }
}

/** What a carrier's call control can do (the tools offer only these). */
export interface CallCapabilities {
  readonly transfer: boolean;
  /** `transferCall(to, { summary })` speaks the summary to the person taking over before connecting them. */
  readonly warmTransfer: boolean;
  readonly sendDtmf: boolean;
  /** `leaveMessage(text)`: the carrier's text-to-speech speaks a voicemail message, then the call ends. */
  readonly leaveMessage: boolean;
}

export interface TransferOptions {
  /**
   * Warm transfer: a short summary of the call (at most `MAX_SUMMARY_CHARS`), spoken to the person taking
   * over once they answer and before the caller is connected. Refused (`unsupported`) where the carrier
   * has no way to do it (see `capabilities.warmTransfer`).
   */
  readonly summary?: string;
}

/** A warm transfer's summary is spoken text: a few sentences. */
export const MAX_SUMMARY_CHARS = 600;

/**
 * What an agent can do to the phone call it is on, over the carrier's REST API. On `choice.call` when the
 * server has the carrier's API credentials (Twilio: `twilio.accountSid` + `twilio.authToken`; see
 * docs/telephony.md for each carrier). Each method resolves once the carrier accepted the request and
 * rejects with a `CallControlError`.
 */
export interface CallControl {
  readonly carrier: CarrierName;
  /** The carrier's id for the call (Twilio CallSid, Telnyx call_control_id, Plivo CallUUID, Vonage uuid, Exotel CallSid). */
  readonly callId: string;
  readonly capabilities: CallCapabilities;
  /** Hangs up. */
  endCall(): Promise<void>;
  /** Transfer: the call leaves the agent and rings `to` (E.164 number or SIP URI); warm with `summary`. */
  transferCall(to: string, options?: TransferOptions): Promise<void>;
  /** Plays DTMF tones to the other side (an IVR). `w` waits half a second. */
  sendDtmf(digits: string): Promise<void>;
  /**
   * Speaks `text` (at most `MAX_MESSAGE_CHARS`) with the carrier's text-to-speech, then hangs up: the
   * message left on a voicemail after its beep. Ends the media stream.
   */
  leaveMessage(text: string): Promise<void>;
}

/** A voicemail message is a few sentences. */
export const MAX_MESSAGE_CHARS = 1000;

/** Checks a voicemail message before any carrier is asked; throws `invalid`/`unsupported`. */
export function checkMessage(carrier: CarrierName, capabilities: CallCapabilities, text: string): void {
  if (!capabilities.leaveMessage) throw new CallControlError('unsupported', carrier, 'leaveMessage', `${carrier} has no API here to speak a message into the call`);
  if (typeof text !== 'string' || !text.trim() || text.length > MAX_MESSAGE_CHARS) throw new CallControlError('invalid', carrier, 'leaveMessage', `message must be 1 to ${MAX_MESSAGE_CHARS} characters`);
}

/** A transfer target: an E.164 number or a SIP URI, nothing a TwiML/XML document could be smuggled in. */
export const TRANSFER_TARGET = /^(\+?[0-9]{3,20}|sips?:[A-Za-z0-9@._:;=+-]{3,200})$/;

/** Checks a target and summary before any carrier is asked; throws `invalid`/`unsupported`. */
export function checkTransfer(carrier: CarrierName, capabilities: CallCapabilities, to: string, options: TransferOptions | undefined): void {
  if (!capabilities.transfer) throw new CallControlError('unsupported', carrier, 'transferCall', `${carrier} has no API to transfer a call`);
  if (!TRANSFER_TARGET.test(to)) throw new CallControlError('invalid', carrier, 'transferCall', 'transfer target must be an E.164 number or a SIP URI');
  if (options?.summary !== undefined) {
    if (!capabilities.warmTransfer) throw new CallControlError('unsupported', carrier, 'transferCall', `${carrier} has no warm transfer (a summary spoken to the person taking over)`);
    if (typeof options.summary !== 'string' || options.summary.length === 0 || options.summary.length > MAX_SUMMARY_CHARS) {
      throw new CallControlError('invalid', carrier, 'transferCall', `summary must be 1 to ${MAX_SUMMARY_CHARS} characters`);
    }
  }
}

/** Checks DTMF digits before any carrier is asked; throws `invalid`/`unsupported`. */
export function checkDtmf(carrier: CarrierName, capabilities: CallCapabilities, digits: string): void {
  if (!capabilities.sendDtmf) throw new CallControlError('unsupported', carrier, 'sendDtmf', `${carrier} has no API to send DTMF`);
  if (typeof digits !== 'string' || !DTMF_PATTERN.test(digits)) throw new CallControlError('invalid', carrier, 'sendDtmf', 'digits must be 1 to 32 of 0-9, *, #, w');
}

export interface CallControlToolOptions {
  /** Offer `end_call` (default true). */
  readonly endCall?: boolean;
  /**
   * Offer `transfer_call`: the numbers the model may transfer to (the model picks by name); omitted =
   * no transfer tool. A model never dials a number you did not list.
   */
  readonly transferTargets?: Readonly<Record<string, string>>;
  /**
   * Let the model give `transfer_call` a `summary` for the person taking over (a warm transfer), where the
   * carrier can speak it (default true when it can).
   */
  readonly warmTransfer?: boolean;
  /** Offer `send_dtmf` (default false; never where the carrier has no DTMF API). */
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
  if (targets && Object.keys(targets).length > 0 && call.capabilities.transfer) {
    const warm = call.capabilities.warmTransfer && (options.warmTransfer ?? true);
    const properties: Record<string, unknown> = { target: { type: 'string', enum: Object.keys(targets) } };
    if (warm) {
      properties.summary = {
        type: 'string',
        maxLength: MAX_SUMMARY_CHARS,
        description: 'Two or three sentences for the person taking over: who is calling and what they need. It is spoken to them before the caller is connected.',
      };
    }
    tools.push(
      defineTool<{ target: string; summary?: string }>({
        name: 'transfer_call',
        description: warm
          ? 'Transfer the caller to a person, with a short summary spoken to that person first. The call leaves you once transferred.'
          : 'Transfer the caller to a person. The call leaves you once transferred.',
        parameters: { type: 'object', properties, required: ['target'], additionalProperties: false },
        handler: async ({ target, summary }) => {
          const to = Object.hasOwn(targets, target) ? targets[target] : undefined;
          if (!to) throw new Error(`unknown transfer target '${String(target)}'`);
          const withSummary = warm && typeof summary === 'string' && summary.trim() ? summary.trim().slice(0, MAX_SUMMARY_CHARS) : undefined;
          await call.transferCall(to, withSummary ? { summary: withSummary } : undefined);
          return { transferred: true, target, ...(withSummary ? { warm: true } : {}) };
        },
      }) as ToolDefinition,
    );
  }
  if (options.sendDtmf && call.capabilities.sendDtmf) {
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
