import { boundedParameters, dtmfDigit, numberField, objectField, parseObject, stringField } from '../parse.js';
import type { CarrierMessage, CarrierSerializer } from '../types.js';

/**
 * Vonage Voice API WebSocket (NCCO `connect` to an endpoint of `type: "websocket"`, `content-type:
 * "audio/l16;rate=16000"` or `8000`). Vonage's "WebSockets" guide (developer.vonage.com/voice/voice-api/
 * concepts/websockets; also Nexmo's nexmo-developer `_documentation/en/voice/voice-api/guides/websockets.md`):
 * the first message is text, `{"event":"websocket:connected","content-type":"audio/l16;rate=16000", ...}`
 * with the NCCO's `headers` flattened at the top level; then binary messages of 16-bit linear PCM
 * (little-endian), 20 ms each (320 bytes at 8 kHz, 640 at 16 kHz), both ways and in exactly those sizes,
 * and text events such as `{"event":"websocket:dtmf","digit":"5","duration":260}`. `{"action":"clear"}`
 * drops the audio Vonage still buffers (it answers `websocket:cleared`). Vonage reports nothing about what
 * was played, so the session's playback clock estimates it (real time from the first chunk queued).
 */
export function vonageSerializer(): CarrierSerializer {
  let started = false;
  return {
    name: 'vonage',
    chunkMs: 20,
    playback: 'clock',
    padLastChunk: true,
    parse(data, isBinary): CarrierMessage {
      if (isBinary) return started ? { kind: 'media', audio: data } : { kind: 'ignore' };
      const message = parseObject(data);
      switch (message?.event) {
        case 'websocket:connected': {
          const type = stringField(message, 'content-type', 64) ?? '';
          const match = /^audio\/l16;\s*rate=(8000|16000|24000)$/i.exec(type);
          if (!match) return { kind: 'refuse', reason: 'expected websocket:connected with audio/l16;rate=8000 or 16000' };
          started = true;
          const { event: _event, 'content-type': _type, ...headers } = message;
          const callId = stringField(message, 'uuid');
          return {
            kind: 'start',
            streamId: callId ?? 'vonage',
            ...(callId ? { callId } : {}),
            format: { encoding: 'pcm16le', sampleRate: Number(match[1]) as 8000 | 16000 | 24000 },
            customParameters: boundedParameters(headers),
          };
        }
        case 'websocket:dtmf': {
          // One key per event: `digit` at the top level (older payloads nest it under `dtmf`).
          const nested = objectField(message, 'dtmf');
          const digit = dtmfDigit(message.digit ?? nested?.digit ?? nested?.digits);
          const durationMs = numberField(message, 'duration') ?? numberField(nested, 'duration');
          return { kind: 'dtmf', ...(digit ? { digit } : {}), ...(durationMs !== undefined ? { durationMs } : {}) };
        }
        default:
          return { kind: 'ignore' }; // websocket:cleared, websocket:notify, future events
      }
    },
    media: (bytes) => bytes,
    mark: () => undefined,
    clear: () => JSON.stringify({ action: 'clear' }),
  };
}
