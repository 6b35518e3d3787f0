import type WebSocket from 'ws';

/** A stream-input message: its fields (the audio left as `""`) and its audio, base64-decoded. */
export interface ReceivedMessage {
  readonly fields: Record<string, unknown>;
  readonly audio?: Buffer;
}

const AUDIO_FIRST = Buffer.from('{"audio":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses a stream-input message without turning its audio into JSON strings: ElevenLabs (and the sandbox)
 * put `audio` first, so its base64 is cut out of the raw bytes and decoded from there, and only the small
 * rest (alignment, flags) goes through JSON.parse. Any other shape is parsed whole. Throws on bad JSON.
 */
export function parseStreamMessage(data: WebSocket.RawData): ReceivedMessage {
  const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  const start = AUDIO_FIRST.length;
  if (raw.length > start && raw.compare(AUDIO_FIRST, 0, start, 0, start) === 0) {
    const end = raw.indexOf(QUOTE, start);
    const escape = raw.indexOf(BACKSLASH, start);
    // An escape inside the value (e.g. `\/`) would need JSON's decoding: take the whole-message path.
    if (end > 0 && (escape === -1 || escape > end)) {
      const fields = JSON.parse(`{"audio":""${raw.toString('utf8', end + 1)}`) as Record<string, unknown>;
      return end > start ? { fields, audio: Buffer.from(raw.toString('latin1', start, end), 'base64') } : { fields };
    }
  }
  const fields = JSON.parse(raw.toString()) as Record<string, unknown>;
  if (typeof fields.audio !== 'string' || fields.audio.length === 0) return { fields };
  const audio = Buffer.from(fields.audio, 'base64');
  fields.audio = '';
  return { fields, audio };
}
