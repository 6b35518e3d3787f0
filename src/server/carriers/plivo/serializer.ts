import { base64Field, dtmfDigit, MAX_CUSTOM_PARAMETERS, MAX_PARAMETER_NAME_CHARS, MAX_PARAMETER_VALUE_CHARS, numberField, objectField, parseObject, stringField } from '../parse.js';
import type { CarrierFormat, CarrierMessage, CarrierSerializer } from '../types.js';

/** Plivo's `extraHeaders` arrive as one string, `k1=v1;k2=v2` (commas seen too): bounded pairs. */
export function parseExtraHeaders(raw: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (typeof raw !== 'string') return out;
  let count = 0;
  for (const pair of raw.slice(0, 8192).split(/[;,]/)) {
    if (count >= MAX_CUSTOM_PARAMETERS) break;
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    if (!name || name.length > MAX_PARAMETER_NAME_CHARS) continue;
    out[name] = pair.slice(eq + 1).trim().slice(0, MAX_PARAMETER_VALUE_CHARS);
    count++;
  }
  return out;
}

/**
 * Plivo Audio Streams, bidirectional (`<Stream bidirectional="true" keepCallAlive="true"
 * contentType="audio/x-mulaw;rate=8000">wss://...</Stream>`). Shapes from Plivo's "Audio Streaming
 * reference" (plivo.com/docs/voice-agents/audio-streaming/concepts/audio-streaming-reference) and the
 * checkpoint docs (plivo.com/docs/voice/xml/the-stream-element/checkpoint-event): Plivo sends `start`
 * (`start.callId`, `start.streamId`, `start.mediaFormat` {encoding audio/x-mulaw|audio/x-l16, sampleRate},
 * `extra_headers`), `media` (`media.payload` base64, `media.timestamp` in Unix ms), `dtmf` (`dtmf.digit`),
 * `playedStream` (a checkpoint's audio has played; only when it was played, not when cleared) and
 * `clearedAudio`. We send `playAudio` {media: {contentType, sampleRate, payload}}, `checkpoint` {name} and
 * `clearAudio`, each with the `streamId`. L16 is raw little-endian PCM16.
 */
export function plivoSerializer(): CarrierSerializer {
  let streamId = '';
  let format: CarrierFormat = { encoding: 'mulaw', sampleRate: 8000 };
  return {
    name: 'plivo',
    chunkMs: 20,
    playback: 'marks',
    parse(data, isBinary): CarrierMessage {
      if (isBinary) return { kind: 'ignore' };
      const message = parseObject(data);
      switch (message?.event) {
        case 'start': {
          const start = objectField(message, 'start');
          const id = stringField(start, 'streamId') ?? stringField(message, 'streamId');
          const fmt = objectField(start, 'mediaFormat');
          const encoding = fmt?.encoding === undefined || fmt.encoding === 'audio/x-mulaw' ? 'mulaw' : fmt.encoding === 'audio/x-l16' ? 'pcm16le' : undefined;
          const rate = fmt ? (numberField(fmt, 'sampleRate') ?? 8000) : 8000;
          if (!id || !encoding || (rate !== 8000 && rate !== 16000) || (encoding === 'mulaw' && rate !== 8000)) {
            return { kind: 'refuse', reason: 'expected a start with streamId and audio/x-mulaw 8000 or audio/x-l16 8000/16000' };
          }
          streamId = id;
          format = { encoding, sampleRate: rate };
          const callId = stringField(start, 'callId');
          return { kind: 'start', streamId: id, ...(callId ? { callId } : {}), format, customParameters: parseExtraHeaders(message.extra_headers) };
        }
        case 'media': {
          const media = objectField(message, 'media');
          const audio = base64Field(media, 'payload');
          if (!audio || (media?.track !== undefined && media.track !== 'inbound')) return { kind: 'ignore' };
          const timestampMs = numberField(media, 'timestamp');
          return { kind: 'media', audio, ...(timestampMs !== undefined ? { timestampMs } : {}) };
        }
        case 'playedStream': {
          const name = stringField(message, 'name', 256);
          return name ? { kind: 'mark', name } : { kind: 'ignore' };
        }
        case 'dtmf': {
          const digit = dtmfDigit(objectField(message, 'dtmf')?.digit);
          return { kind: 'dtmf', ...(digit ? { digit } : {}) };
        }
        case 'stop':
          return { kind: 'stop' };
        default:
          return { kind: 'ignore' }; // clearedAudio, future events
      }
    },
    media: (bytes) =>
      JSON.stringify({
        event: 'playAudio',
        streamId,
        media: { contentType: format.encoding === 'mulaw' ? 'audio/x-mulaw' : 'audio/x-l16', sampleRate: format.sampleRate, payload: bytes.toString('base64') },
      }),
    mark: (name) => JSON.stringify({ event: 'checkpoint', streamId, name }),
    clear: () => JSON.stringify({ event: 'clearAudio', streamId }),
  };
}
