/**
 * ElevenLabs' error messages and helpers as the sandbox sends them. The wire shapes themselves live in
 * src/providers/elevenlabs/wire.ts, shared with the client.
 */
import type { ElevenLabsErrorBody, ValidationErrorBody, WsErrorMessage } from '../../providers/elevenlabs/wire.js';

export type {
  ElevenLabsErrorBody,
  RestAlignment,
  RestTimestampsChunk,
  TextToSpeechBody,
  ValidationErrorBody,
  VoiceSettingsWire,
  WsAlignment,
  WsAudioMessage,
  WsErrorMessage,
} from '../../providers/elevenlabs/wire.js';

export function errorBody(status: string, message: string): ElevenLabsErrorBody {
  return { detail: { status, message } };
}

export function validationError(type: string, loc: ReadonlyArray<string | number>, msg: string, input: unknown): ValidationErrorBody {
  return { detail: [{ type, loc, msg, input }] };
}

export const WS_POLICY_VIOLATION = 1008;
export const WS_INTERNAL_ERROR = 1011;

export const WS_ERRORS = {
  inputTimeout: (seconds: number): WsErrorMessage => ({
    message: `Have not received a new text input within the timeout of ${seconds} seconds. Streaming input terminated. Please make sure to either feed the input in the timely manner, or to send the end of input text (empty string "") when done.`,
    error: 'input_timeout_exceeded',
    code: WS_POLICY_VIOLATION,
  }),
  invalidMessage: (): WsErrorMessage => ({
    message: 'Could not parse input message, make sure it is a json and follows the schema outlined in protocol.',
    error: 'invalid_input_message',
    code: WS_POLICY_VIOLATION,
  }),
  voiceSettingsChanged: (): WsErrorMessage => ({
    message: 'voice_settings field must be provided in the first message and then either be not provided or not change.',
    error: 'invalid_input_message',
    code: WS_POLICY_VIOLATION,
  }),
  auth: (status: string, message: string): WsErrorMessage => ({ message, error: status, code: WS_POLICY_VIOLATION }),
  badQuery: (message: string): WsErrorMessage => ({ message, error: 'invalid_request', code: WS_POLICY_VIOLATION }),
  internal: (): WsErrorMessage => ({
    message: 'We are sorry, something went wrong. You are not charged for this request.',
    error: 'internal_error',
    code: WS_INTERNAL_ERROR,
  }),
};

/** A close reason is at most 123 bytes (RFC 6455); ElevenLabs' long messages arrive cut, so do ours. */
export function closeReason(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length <= 123) return message;
  let cut = 123;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--; // do not split a UTF-8 sequence
  return bytes.subarray(0, cut).toString('utf8');
}

/** Voice ids as ElevenLabs issues them (20 alphanumerics) or any simple name; others are "not found". */
export function isKnownVoiceId(voiceId: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(voiceId);
}

export function voiceNotFound(voiceId: string): ElevenLabsErrorBody {
  return errorBody('voice_not_found', `A voice with the voice_id ${voiceId} was not found.`);
}
