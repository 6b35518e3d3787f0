import { boundedParameters, numberField, objectField, parseObject, stringField } from '../parse.js';
import { mediaStreamOutbound, parseMediaStreamEvent } from '../media-stream.js';
import type { CarrierMessage, CarrierSerializer } from '../types.js';

const RATES = [8000, 16000, 24000] as const;
const asRate = (n: number | undefined): (typeof RATES)[number] | undefined => RATES.find((r) => r === n);

const DIALECT = { inboundTrackOnly: false, dtmfDuration: true } as const;

/**
 * Exotel Voicebot applet (bidirectional stream). Exotel's "WebSocket protocol" (developer.exotel.com/docs/
 * agentstream/websocket-protocol) and "Working with the Stream and Voicebot Applet"
 * (developer.exotel.com/docs/agentstream/stream-voicebot-applet): Exotel sends `connected`, `start`
 * (`stream_sid`, `start.call_sid`, `start.custom_parameters`, `start.media_format` {sample_rate as a
 * string}), `media` (`media.payload`: base64 raw/slin, 16-bit little-endian mono PCM; `media.timestamp`),
 * `dtmf` (`dtmf.digit`, `dtmf.duration`), `mark` (ours, once the audio before it has played) and `stop`.
 * We send `media` {media.payload}, `mark` {mark.name} and `clear`, with the `stream_sid`. Outbound chunks
 * must be multiples of 320 bytes and at least 3.2 KB: 200 ms chunks at 8 kHz, 100 ms above, the last one padded. The
 * rate is 8 kHz unless the applet's URL asks for `?sample-rate=16000` (or 24000).
 */
export function exotelSerializer(url?: URL): CarrierSerializer {
  let streamSid = '';
  let rate: number = 8000;
  const asked = asRate(Number(url?.searchParams.get('sample-rate') ?? NaN));
  return {
    name: 'exotel',
    // At least 3.2 KB per chunk: 200 ms of 8 kHz PCM16, 100 ms at 16 kHz and above (multiples of 320 bytes).
    get chunkMs() {
      return rate === 8000 ? 200 : 100;
    },
    playback: 'marks',
    padLastChunk: true,
    parse(data, isBinary): CarrierMessage {
      if (isBinary) return { kind: 'ignore' };
      const message = parseObject(data);
      switch (message?.event) {
        case 'start': {
          const start = objectField(message, 'start');
          const sid = stringField(message, 'stream_sid') ?? stringField(start, 'stream_sid');
          const fmt = objectField(start, 'media_format');
          const stated = fmt?.sample_rate === undefined ? undefined : numberField(fmt, 'sample_rate');
          const sampleRate = stated === undefined ? (asked ?? 8000) : asRate(stated);
          if (!sid || !sampleRate) return { kind: 'refuse', reason: 'expected a start with stream_sid and 8000/16000/24000 Hz PCM' };
          streamSid = sid;
          rate = sampleRate;
          const callId = stringField(start, 'call_sid');
          return {
            kind: 'start',
            streamId: sid,
            ...(callId ? { callId } : {}),
            format: { encoding: 'pcm16le', sampleRate },
            customParameters: boundedParameters(start?.custom_parameters),
          };
        }
        default:
          return parseMediaStreamEvent(message, DIALECT) ?? { kind: 'ignore' }; // connected, future events
      }
    },
    ...mediaStreamOutbound(() => ({ stream_sid: streamSid })),
  };
}
