/**
 * Hostile-input helpers shared by the carrier serializers: every field is checked for its type before it
 * is used, strings are cut to a bound, and nothing here throws.
 */

/** Bounds on custom parameters (Twilio `customParameters`, Telnyx/Exotel `custom_parameters`, ...). */
export const MAX_CUSTOM_PARAMETERS = 32;
export const MAX_PARAMETER_NAME_CHARS = 64;
export const MAX_PARAMETER_VALUE_CHARS = 1024;
/** Ids (stream, call) longer than this are cut: they are echoed in every outbound message. */
export const MAX_ID_CHARS = 128;

export type JsonObject = Readonly<Record<string, unknown>>;

/** Parses a text frame as a JSON object; anything else (bad JSON, `null`, a number) is `undefined`. */
export function parseObject(data: Buffer | string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

export function objectField(value: unknown, key: string): JsonObject | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const field = (value as JsonObject)[key];
  return field && typeof field === 'object' && !Array.isArray(field) ? (field as JsonObject) : undefined;
}

/** A string field, cut to `max` characters; numbers are accepted as their decimal text. */
export function stringField(value: JsonObject | undefined, key: string, max = MAX_ID_CHARS): string | undefined {
  const field = value?.[key];
  if (typeof field === 'string') return field.slice(0, max);
  if (typeof field === 'number' && Number.isFinite(field)) return String(field);
  return undefined;
}

/** A numeric field sent as a number or a decimal string (carriers send both). */
export function numberField(value: JsonObject | undefined, key: string): number | undefined {
  const field = value?.[key];
  const n = typeof field === 'number' ? field : typeof field === 'string' && field.length <= 32 ? Number(field) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Keeps string values only (so a deeply nested value never reaches the recording), capped in count and size. */
export function boundedParameters(raw: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  let count = 0;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (count >= MAX_CUSTOM_PARAMETERS) break;
    if (typeof value !== 'string' || name.length > MAX_PARAMETER_NAME_CHARS) continue;
    out[name] = value.slice(0, MAX_PARAMETER_VALUE_CHARS);
    count++;
  }
  return out;
}

/** One DTMF key (0-9, *, #, A-D) or `undefined`: a carrier's digit is never trusted to be one. */
export function dtmfDigit(value: unknown): string | undefined {
  return typeof value === 'string' && /^[0-9*#A-Da-d]$/.test(value) ? value.toUpperCase() : undefined;
}

/** Base64 payload -> bytes; `undefined` when the field is not a string. */
export function base64Field(value: JsonObject | undefined, key: string): Uint8Array | undefined {
  const field = value?.[key];
  return typeof field === 'string' ? Buffer.from(field, 'base64') : undefined;
}
