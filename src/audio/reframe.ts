import { Observable, type OperatorFunction } from 'rxjs';
import { RxVoiceError } from '../errors.js';
import { isSampleRate, SAMPLE_RATES, type AudioFrame, type SampleRate } from './frame.js';
import { muLawDecode } from './g711.js';

export interface ReframerOptions {
  readonly sampleRate: number;
  /** Frame duration; default 20 ms. */
  readonly frameMs?: number;
  /** How the incoming bytes encode samples; default little-endian PCM16. */
  readonly encoding?: 'pcm16' | 'mulaw';
  /** Audio time of the first sample; default 0. */
  readonly startMs?: number;
}

export interface Reframer {
  /** Takes any number of bytes (odd counts carried over) and returns the frames now complete. */
  push(bytes: Uint8Array): AudioFrame[];
  /** Returns the last, shorter frame if samples remain. A dangling odd byte is a `bad_audio` error. */
  flush(): AudioFrame[];
}

export function assertSampleRate(rate: number, stage: 'audio' | 'input' | 'vad' = 'audio'): asserts rate is SampleRate {
  if (!isSampleRate(rate)) {
    throw new RxVoiceError({
      code: 'unsupported_sample_rate',
      stage,
      message: `Unsupported sample rate ${rate} Hz (supported: ${SAMPLE_RATES.join(', ')})`,
    });
  }
}

/** Samples per frame of `frameMs` at `sampleRate` (rounded half up: 10 ms at 22.05 kHz is 221 samples). */
export function samplesPerFrame(sampleRate: number, frameMs: number): number {
  return Math.max(1, Math.round((sampleRate * frameMs) / 1000));
}

/** Turns a byte stream (socket, pipe, file) into fixed-duration frames with audio timestamps. */
export function createReframer(options: ReframerOptions): Reframer {
  const { sampleRate, frameMs = 20, encoding = 'pcm16', startMs = 0 } = options;
  assertSampleRate(sampleRate);
  const size = samplesPerFrame(sampleRate, frameMs);
  const pending = new Int16Array(size);
  let filled = 0;
  let carry = -1; // a leftover low byte of a PCM16 sample, or -1
  let emittedSamples = 0;
  let seq = 0;

  const makeFrame = (samples: Int16Array): AudioFrame => {
    const frame: AudioFrame = { samples, sampleRate, startMs: startMs + (emittedSamples * 1000) / sampleRate, seq: seq++ };
    emittedSamples += samples.length;
    return frame;
  };

  const take = (sample: number, out: AudioFrame[]) => {
    pending[filled++] = sample;
    if (filled === size) {
      out.push(makeFrame(pending.slice()));
      filled = 0;
    }
  };

  return {
    push(bytes) {
      const out: AudioFrame[] = [];
      if (encoding === 'mulaw') {
        const decoded = muLawDecode(bytes);
        for (let i = 0; i < decoded.length; i++) take(decoded[i]!, out);
        return out;
      }
      let i = 0;
      if (carry >= 0 && bytes.length > 0) {
        take(((bytes[0]! << 8) | carry) << 16 >> 16, out);
        carry = -1;
        i = 1;
      }
      for (; i + 1 < bytes.length; i += 2) take(((bytes[i + 1]! << 8) | bytes[i]!) << 16 >> 16, out);
      if (i < bytes.length) carry = bytes[i]!;
      return out;
    },
    flush() {
      if (carry >= 0) {
        carry = -1;
        filled = 0;
        throw new RxVoiceError({ code: 'bad_audio', stage: 'input', message: 'PCM16 stream ended on an odd byte count' });
      }
      if (filled === 0) return [];
      const last = makeFrame(pending.slice(0, filled));
      filled = 0;
      return [last];
    },
  };
}

/**
 * Re-cuts a frame stream into frames of `frameMs` (e.g. 20 ms telephony frames into 32 ms model frames),
 * keeping audio time: an output frame's `startMs` is the time of its first sample. A change of sample
 * rate flushes the partial frame and starts a new run at the new rate. The last, shorter frame is
 * emitted when the source completes.
 *
 * ```
 * in:  -[30ms]-[30ms]-[30ms]-|
 * out: -[20ms]-[20ms]-[20ms]-[20ms]-(10ms|)
 * ```
 */
export function reframe(frameMs: number): OperatorFunction<AudioFrame, AudioFrame> {
  return (source) =>
    new Observable<AudioFrame>((subscriber) => {
      let rate: SampleRate | undefined;
      let buffer = new Int16Array(0);
      let filled = 0;
      let bufferStartMs = 0;
      let seq = 0;
      const emit = (samples: Int16Array) => {
        subscriber.next({ samples, sampleRate: rate!, startMs: bufferStartMs, seq: seq++ });
        bufferStartMs += (samples.length * 1000) / rate!;
      };
      const flushPartial = () => {
        if (filled > 0) emit(buffer.slice(0, filled));
        filled = 0;
      };
      return source.subscribe({
        next(frame) {
          if (frame.sampleRate !== rate) {
            flushPartial();
            rate = frame.sampleRate;
            buffer = new Int16Array(samplesPerFrame(rate, frameMs));
          }
          if (filled === 0) bufferStartMs = frame.startMs;
          const { samples } = frame;
          let i = 0;
          while (i < samples.length) {
            const n = Math.min(buffer.length - filled, samples.length - i);
            buffer.set(samples.subarray(i, i + n), filled);
            filled += n;
            i += n;
            if (filled === buffer.length) {
              emit(buffer.slice());
              filled = 0;
              // The next output starts at the next unconsumed sample of this frame.
              bufferStartMs = frame.startMs + (i * 1000) / frame.sampleRate;
            }
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete() {
          flushPartial();
          subscriber.complete();
        },
      });
    });
}
