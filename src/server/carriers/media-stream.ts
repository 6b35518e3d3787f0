import { base64Field, dtmfDigit, numberField, objectField, stringField, type JsonObject } from './parse.js';
import type { CarrierMessage, CarrierSerializer } from './types.js';

/**
 * The message family Twilio's Media Streams defined and Telnyx and Exotel copied: `media` {payload,
 * timestamp, track}, `mark` {name}, `dtmf` {digit}, `stop` in; `media`, `mark`, `clear` out, each
 * addressed by the carrier's stream-id field when it has one. Each carrier keeps its own `start`.
 */
export interface MediaStreamDialect {
  /** Only `media.track` 'inbound' (or no track) is caller audio (Twilio, Telnyx). */
  readonly inboundTrackOnly: boolean;
  /** `dtmf.duration` is reported (Exotel). */
  readonly dtmfDuration: boolean;
}

/** The non-`start` events of the family; undefined for any other event. */
export function parseMediaStreamEvent(message: JsonObject | undefined, dialect: MediaStreamDialect): CarrierMessage | undefined {
  switch (message?.event) {
    case 'media': {
      const media = objectField(message, 'media');
      const audio = base64Field(media, 'payload');
      if (!audio || (dialect.inboundTrackOnly && media?.track !== undefined && media.track !== 'inbound')) return { kind: 'ignore' };
      const timestampMs = numberField(media, 'timestamp');
      return { kind: 'media', audio, ...(timestampMs !== undefined ? { timestampMs } : {}) };
    }
    case 'mark': {
      const name = stringField(objectField(message, 'mark'), 'name', 256);
      return name ? { kind: 'mark', name } : { kind: 'ignore' };
    }
    case 'dtmf': {
      const dtmf = objectField(message, 'dtmf');
      const digit = dtmfDigit(dtmf?.digit);
      const durationMs = dialect.dtmfDuration ? numberField(dtmf, 'duration') : undefined;
      return { kind: 'dtmf', ...(digit ? { digit } : {}), ...(durationMs !== undefined ? { durationMs } : {}) };
    }
    case 'stop':
      return { kind: 'stop' };
    default:
      return undefined;
  }
}

/** The outbound `media`, `mark` and `clear` messages, with `address()` (e.g. `{ streamSid }`) in each. */
export function mediaStreamOutbound(address: () => Readonly<Record<string, string>>): Pick<CarrierSerializer, 'media' | 'mark' | 'clear'> {
  return {
    media: (bytes) => JSON.stringify({ event: 'media', ...address(), media: { payload: bytes.toString('base64') } }),
    mark: (name) => JSON.stringify({ event: 'mark', ...address(), mark: { name } }),
    clear: () => JSON.stringify({ event: 'clear', ...address() }),
  };
}
