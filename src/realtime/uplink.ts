import { concatSamples } from '../audio/pcm.js';
import { createResampler, type StreamingResampler } from '../audio/resample.js';
import type { AudioFrame } from '../audio/frame.js';
import { toRxVoiceError, type RxVoiceError } from '../errors.js';

/** A slice of caller audio at the wire rate, with its place in the call's audio timeline. */
export interface Batch {
  readonly startMs: number;
  readonly endMs: number;
  readonly samples: Int16Array;
}

export interface UplinkOptions {
  readonly wireRate: number;
  /** Audio per append, ms. */
  readonly batchMs: number;
  /** Sends one batch to the session. */
  readonly append: (samples: Int16Array) => void;
  /** True while audio between turns may be trimmed to the recent past (server turn detection, nobody speaking). */
  readonly betweenTurns: () => boolean;
}

/**
 * Caller audio on its way up: resampled to the wire rate, cut into batches, sent, and kept until the
 * session commits it (so a reconnect can send it again). Before a local turn starts it is only kept in a
 * short ring, so the turn can start with some padding.
 */
export class AudioUplink {
  /** Audio sent since the last commit (resent after a reconnect). */
  uncommitted: Batch[] = [];
  lastAudioEndMs = 0;
  private ring: Batch[] = [];
  private resampler: StreamingResampler | undefined;
  private resamplerRate = 0;
  private parts: Int16Array[] = [];
  private length = 0;
  private startMs = 0;
  private readonly batchSamples: number;

  constructor(private readonly options: UplinkOptions) {
    this.batchSamples = Math.round((options.wireRate * options.batchMs) / 1000);
  }

  /** Takes one frame: streamed when `live`, else kept in the ring. A frame the resampler refuses is an error. */
  push(frame: AudioFrame, live: boolean): RxVoiceError | undefined {
    if (this.resamplerRate !== frame.sampleRate) {
      this.resampler = frame.sampleRate === this.options.wireRate ? undefined : createResampler(frame.sampleRate, this.options.wireRate);
      this.resamplerRate = frame.sampleRate;
    }
    let samples: Int16Array;
    try {
      samples = this.resampler ? this.resampler.push(frame.samples) : frame.samples;
    } catch (err) {
      return toRxVoiceError(err, 'audio', 'unsupported_sample_rate');
    }
    const endMs = frame.startMs + (frame.samples.length * 1000) / frame.sampleRate;
    this.lastAudioEndMs = Math.max(this.lastAudioEndMs, endMs);
    if (live) {
      this.add(samples, frame.startMs);
    } else {
      this.ring.push({ startMs: frame.startMs, endMs, samples });
      while (this.ring.length > 0 && this.ring[0]!.endMs < endMs - 2000) this.ring.shift();
    }
    return undefined;
  }

  /** A local turn starts at `audioMs`: the ring's last `paddingMs` go out first. */
  startTurn(audioMs: number, paddingMs: number): void {
    for (const b of this.ring) if (b.endMs > audioMs - paddingMs) this.add(b.samples, b.startMs);
    this.ring = [];
  }

  /** Sends what is batched so far. */
  flush(): void {
    if (this.length === 0) return;
    const samples = concatSamples(this.parts);
    this.parts = [];
    this.length = 0;
    const batch: Batch = { startMs: this.startMs, endMs: this.startMs + (samples.length * 1000) / this.options.wireRate, samples };
    this.uncommitted.push(batch);
    if (this.options.betweenTurns()) {
      // Between turns only the recent past can become part of the next one (prefix padding).
      while (this.uncommitted.length > 1 && this.uncommitted[0]!.endMs < batch.endMs - 1500) this.uncommitted.shift();
    }
    this.options.append(samples);
  }

  /** The session committed the input: the audio sent so far now belongs to a user item. */
  takeCommitted(): Batch[] {
    const audio = this.uncommitted;
    this.uncommitted = [];
    return audio;
  }

  /** Forgets the uncommitted batches after the first `count` (the session cleared them). */
  dropAfter(count: number): void {
    this.uncommitted.splice(count);
  }

  /** Sends the uncommitted audio again (after a reconnect). */
  resend(append: (samples: Int16Array) => void): void {
    for (const batch of this.uncommitted) append(batch.samples);
  }

  private add(samples: Int16Array, startMs: number): void {
    if (this.length === 0) this.startMs = startMs;
    this.parts.push(samples);
    this.length += samples.length;
    if (this.length >= this.batchSamples) this.flush();
  }
}
