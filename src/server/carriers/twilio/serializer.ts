import { boundedParameters, numberField, objectField, parseObject, stringField } from '../parse.js';
import { mediaStreamOutbound, parseMediaStreamEvent } from '../media-stream.js';
import type { CarrierMessage, CarrierSerializer } from '../types.js';

const DIALECT = { inboundTrackOnly: true, dtmfDuration: false } as const;

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
        default:
          return parseMediaStreamEvent(message, DIALECT) ?? { kind: 'ignore' }; // 'connected', future events, noise
      }
    },
    ...mediaStreamOutbound(() => ({ streamSid })),
  };
}
