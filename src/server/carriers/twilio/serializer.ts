import { base64Field, boundedParameters, dtmfDigit, numberField, objectField, parseObject, stringField } from '../parse.js';
import type { CarrierMessage, CarrierSerializer } from '../types.js';

/**
 * Twilio Media Streams, bidirectional (`<Connect><Stream>`). Twilio's "Media Streams - WebSocket Messages"
 * docs (twilio.com/docs/voice/media-streams/websocket-messages): it sends `connected`, `start`
 * (`streamSid`, `callSid`, `customParameters`, `mediaFormat` = audio/x-mulaw 8000 Hz mono), `media`
 * (base64 mu-law, `timestamp` in ms from the stream's start, as a string), `mark` (echo of ours), `dtmf`
 * (`dtmf.digit`) and `stop`; we send `media`, `mark` and `clear`, each with the `streamSid`. A `clear`
 * makes Twilio echo the marks still pending.
 */
export function twilioSerializer(): CarrierSerializer {
  let streamSid = '';
  return {
    name: 'twilio',
    chunkMs: 20, // 160 bytes of 8 kHz mu-law: Twilio's own framing
    playback: 'marks',
    timestampsFromZero: true,
    parse(data, isBinary): CarrierMessage {
      if (isBinary) return { kind: 'ignore' }; // Twilio only sends JSON
      const message = parseObject(data);
      switch (message?.event) {
        case 'start': {
          const start = objectField(message, 'start');
          const sid = stringField(start, 'streamSid') ?? stringField(message, 'streamSid');
          const fmt = objectField(start, 'mediaFormat');
          if (!sid || (fmt && (fmt.encoding !== 'audio/x-mulaw' || numberField(fmt, 'sampleRate') !== 8000))) {
            return { kind: 'refuse', reason: 'expected a start with streamSid and audio/x-mulaw 8000' };
          }
          streamSid = sid;
          const callId = stringField(start, 'callSid');
          return {
            kind: 'start',
            streamId: sid,
            ...(callId ? { callId } : {}),
            format: { encoding: 'mulaw', sampleRate: 8000 },
            customParameters: boundedParameters(start?.customParameters),
          };
        }
        case 'media': {
          const media = objectField(message, 'media');
          const audio = base64Field(media, 'payload');
          if (!audio || (media?.track !== undefined && media.track !== 'inbound')) return { kind: 'ignore' };
          const timestampMs = numberField(media, 'timestamp');
          return { kind: 'media', audio, ...(timestampMs !== undefined ? { timestampMs } : {}) };
        }
        case 'mark': {
          const name = stringField(objectField(message, 'mark'), 'name', 256);
          return name ? { kind: 'mark', name } : { kind: 'ignore' };
        }
        case 'dtmf': {
          const digit = dtmfDigit(objectField(message, 'dtmf')?.digit);
          return { kind: 'dtmf', ...(digit ? { digit } : {}) };
        }
        case 'stop':
          return { kind: 'stop' };
        default:
          return { kind: 'ignore' }; // 'connected', future events, noise
      }
    },
    media: (bytes) => JSON.stringify({ event: 'media', streamSid, media: { payload: bytes.toString('base64') } }),
    mark: (name) => JSON.stringify({ event: 'mark', streamSid, mark: { name } }),
    clear: () => JSON.stringify({ event: 'clear', streamSid }),
  };
}
