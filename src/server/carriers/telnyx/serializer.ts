import { boundedParameters, numberField, objectField, parseObject, stringField } from '../parse.js';
import { mediaStreamOutbound, parseMediaStreamEvent } from '../media-stream.js';
import type { CarrierFormat, CarrierMessage, CarrierSerializer } from '../types.js';

/** Telnyx's media_format.encoding names -> ours. L16 is RTP's linear PCM: network byte order (RFC 3551 §4.5.11). */
const ENCODINGS: Readonly<Record<string, CarrierFormat['encoding']>> = { PCMU: 'mulaw', PCMA: 'alaw', L16: 'pcm16be' };

const DIALECT = { inboundTrackOnly: true, dtmfDuration: false } as const;

/**
 * Telnyx Media Streaming over WebSocket, bidirectional in RTP mode (`stream_bidirectional_mode: rtp`,
 * TeXML `<Stream bidirectionalMode="rtp">`). Shapes from Telnyx's AsyncAPI "Stream call media over
 * WebSocket" (developers.telnyx.com/api-reference/websockets/stream-call-media-over-websocket): `connected`,
 * `start` (`stream_id`, `start.call_control_id`, `start.custom_parameters`, `start.media_format`
 * {encoding PCMU|PCMA|G722|OPUS|AMR-WB|L16, sample_rate, channels}), `media` (base64 RTP payload without
 * headers, `media.track`, `media.timestamp`), `dtmf` (`dtmf.digit`), `mark` (echo of ours once the media
 * before it played; a `clear` returns the queued marks), `error`, `stop`. We send `media`
 * {media.payload}, `mark` {mark.name} and `clear`. The reply codec is the stream's (set
 * `bidirectionalCodec` / `stream_bidirectional_codec` to match). G.722, Opus and AMR-WB are refused.
 */
export function telnyxSerializer(): CarrierSerializer {
  return {
    name: 'telnyx',
    chunkMs: 20,
    playback: 'marks',
    parse(data, isBinary): CarrierMessage {
      if (isBinary) return { kind: 'ignore' };
      const message = parseObject(data);
      switch (message?.event) {
        case 'start': {
          const start = objectField(message, 'start');
          const streamId = stringField(message, 'stream_id') ?? stringField(start, 'stream_id');
          const fmt = objectField(start, 'media_format');
          const encoding = typeof fmt?.encoding === 'string' ? ENCODINGS[fmt.encoding] : 'mulaw';
          const rate = fmt ? numberField(fmt, 'sample_rate') : 8000;
          const sampleRate = rate === 8000 || rate === 16000 || (rate === 24000 && encoding === 'pcm16be') ? rate : undefined;
          if (!streamId || !encoding || !sampleRate || (encoding !== 'pcm16be' && sampleRate !== 8000)) {
            return { kind: 'refuse', reason: 'expected a start with stream_id and PCMU/PCMA 8000 or L16 8000/16000' };
          }
          const callId = stringField(start, 'call_control_id');
          return {
            kind: 'start',
            streamId,
            ...(callId ? { callId } : {}),
            format: { encoding, sampleRate },
            customParameters: boundedParameters(start?.custom_parameters),
          };
        }
        default:
          return parseMediaStreamEvent(message, DIALECT) ?? { kind: 'ignore' }; // connected, error (logged by Telnyx's own webhooks), future events
      }
    },
    ...mediaStreamOutbound(() => ({})),
  };
}
