import type { IncomingMessage } from 'node:http';

/** The phone carriers whose media streams the server speaks, each behind its own WebSocket path. */
export const CARRIER_NAMES = ['twilio', 'telnyx', 'plivo', 'vonage', 'exotel'] as const;
export type CarrierName = (typeof CARRIER_NAMES)[number];

/** Audio on a carrier's socket, both ways (the server answers in the format the carrier streams). */
export interface CarrierFormat {
  readonly encoding: 'mulaw' | 'alaw' | 'pcm16le' | 'pcm16be';
  readonly sampleRate: 8000 | 16000 | 24000;
}

/** One inbound carrier message, reduced to what the session needs. Parsing never throws. */
export type CarrierMessage =
  | {
      readonly kind: 'start';
      readonly streamId: string;
      readonly callId?: string;
      readonly format: CarrierFormat;
      /** Bounded string name/value pairs (see `boundedParameters`). */
      readonly customParameters: Readonly<Record<string, string>>;
    }
  /** A start the server cannot serve (an unsupported codec, no stream id): closes with 1008. */
  | { readonly kind: 'refuse'; readonly reason: string }
  | { readonly kind: 'media'; readonly audio: Uint8Array; readonly timestampMs?: number }
  /** The carrier confirms the audio before this mark (checkpoint, notify) has played, or was cleared. */
  | { readonly kind: 'mark'; readonly name: string }
  /** A key press; `digit` is absent when the carrier sent something that is not one DTMF key. */
  | { readonly kind: 'dtmf'; readonly digit?: string; readonly durationMs?: number }
  | { readonly kind: 'stop' }
  | { readonly kind: 'ignore' };

/**
 * One carrier's wire protocol for one call: reads its messages, writes its media, marks and clear. The
 * session (`handleCarrierSession`) does the rest the same way for every carrier: pipeline, codecs, chunking,
 * barge-in, what was heard, DTMF, recording. A serializer is stateful (it learns the stream id from the
 * start) and is made fresh per connection.
 */
export interface CarrierSerializer {
  readonly name: CarrierName;
  /** Milliseconds of audio per outbound media message (20 for most; Exotel wants at least 100). */
  readonly chunkMs: number;
  /**
   * How the server learns what was played: `marks` when the carrier echoes a named marker once the audio
   * before it has played (Twilio/Telnyx/Exotel `mark`, Plivo `checkpoint`), `clock` when it reports
   * nothing and playback is assumed to run at real time from the first chunk queued (Vonage).
   */
  readonly playback: 'marks' | 'clock';
  /** Media timestamps count from 0 at the stream's start (Twilio) rather than from the first media. */
  readonly timestampsFromZero?: boolean;
  /** The last chunk of a reply is padded with silence to a whole chunk (the carrier wants exact sizes). */
  readonly padLastChunk?: boolean;
  /** Reads one WebSocket message; anything unexpected is `ignore` (or `refuse` for a bad start). */
  parse(data: Buffer, isBinary: boolean): CarrierMessage;
  /** One outbound media message holding `bytes` of audio in the start's format. */
  media(bytes: Buffer): string | Buffer;
  /** A marker the carrier echoes once the audio sent before it has played (for `playback: 'marks'`). */
  mark(name: string): string | undefined;
  /** Drops the audio the carrier still queues for the caller (barge-in). */
  clear(): string;
}

/** A carrier's upgrade check: `undefined` = accepted, a string = refused with 401 and that reason. */
export type CarrierUpgradeCheck = (req: IncomingMessage, url: URL) => string | undefined;
