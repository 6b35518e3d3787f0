import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { asyncScheduler, defer, from, mergeMap, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { RxVoiceError } from '../errors.js';
import { isSampleRate, SAMPLE_RATES, type AudioFrame } from './frame.js';
import { createReframer, samplesPerFrame } from './reframe.js';
import { readWavFile } from './wav.js';

export interface PacingOptions {
  /** Frame duration; default 20 ms. */
  readonly frameMs?: number;
  /**
   * Pace frames at real time: frame k is emitted when it would have finished recording, at
   * (k + 1) · frameMs after subscription, as a microphone or phone line delivers it. Default false:
   * all frames as fast as possible (synchronously).
   */
  readonly realtime?: boolean;
  readonly scheduler?: SchedulerLike;
}

/** Cuts samples into frames (the last one may be shorter) with audio timestamps. */
export function framesOf(samples: Int16Array, sampleRate: AudioFrame['sampleRate'], frameMs = 20): AudioFrame[] {
  const size = samplesPerFrame(sampleRate, frameMs);
  const frames: AudioFrame[] = [];
  for (let at = 0, seq = 0; at < samples.length; at += size, seq++) {
    frames.push({ samples: samples.slice(at, at + size), sampleRate, startMs: (at * 1000) / sampleRate, seq });
  }
  return frames;
}

function paced(frames: AudioFrame[], scheduler: SchedulerLike): Observable<AudioFrame> {
  return new Observable<AudioFrame>((subscriber) => {
    const t0 = scheduler.now();
    let k = 0;
    const due = (i: number) => {
      const f = frames[i]!;
      return t0 + f.startMs + (f.samples.length * 1000) / f.sampleRate;
    };
    if (frames.length === 0) {
      subscriber.complete();
      return undefined;
    }
    // Each delay is computed from the start time, so scheduling jitter does not accumulate. Each step is a
    // fresh action: rescheduling one (`this.schedule`) nests TestScheduler actions in each other, and
    // unsubscribing a minute of them (3000 frames) overflows the stack.
    let pending: Subscription | undefined;
    const step = (): void => {
      while (k < frames.length && due(k) <= scheduler.now()) subscriber.next(frames[k++]!);
      if (k >= frames.length) {
        subscriber.complete();
        return;
      }
      pending = scheduler.schedule(step, Math.max(0, due(k) - scheduler.now()));
    };
    pending = scheduler.schedule(step, due(0) - t0);
    return () => pending?.unsubscribe();
  });
}

/** Frames from samples in memory. An unsupported rate errors with `unsupported_sample_rate`. */
export function fromPcm(samples: Int16Array, sampleRate: number, options: PacingOptions = {}): Observable<AudioFrame> {
  return defer(() => {
    if (!isSampleRate(sampleRate)) {
      throw new RxVoiceError({
        code: 'unsupported_sample_rate',
        stage: 'input',
        message: `Unsupported sample rate ${sampleRate} Hz (supported: ${SAMPLE_RATES.join(', ')})`,
      });
    }
    const frames = framesOf(samples, sampleRate, options.frameMs ?? 20);
    return options.realtime ? paced(frames, options.scheduler ?? asyncScheduler) : from(frames);
  });
}

/**
 * Frames from a WAV file (PCM16, mu-law or A-law; multi-channel averaged to mono). The file is read on
 * subscription; a missing, empty or non-PCM file, or an unsupported rate, errors with an `RxVoiceError`
 * naming the file.
 */
export function fromWav(path: string, options: PacingOptions = {}): Observable<AudioFrame> {
  return defer(() => from(readWavFile(path))).pipe(
    mergeMap((wav) => {
    if (!isSampleRate(wav.sampleRate)) {
      throw new RxVoiceError({
        code: 'unsupported_sample_rate',
        stage: 'input',
        message: `${basename(path)}: unsupported sample rate ${wav.sampleRate} Hz (supported: ${SAMPLE_RATES.join(', ')})`,
      });
    }
    return fromPcm(wav.samples, wav.sampleRate, options);
    }),
  );
}

export interface ReadableSourceOptions {
  readonly sampleRate: number;
  readonly frameMs?: number;
  readonly encoding?: 'pcm16' | 'mulaw';
}

/**
 * Frames from a Node Readable of raw audio bytes (a pipe, a socket, `sox -t raw -`). Chunks of any length
 * are reframed; a stream ending on an odd byte errors with `bad_audio`. Unsubscribing detaches from the
 * stream and pauses it (it is not destroyed: the caller owns it).
 */
export function fromReadable(readable: Readable, options: ReadableSourceOptions): Observable<AudioFrame> {
  return new Observable<AudioFrame>((subscriber) => {
    let reframer: ReturnType<typeof createReframer>;
    try {
      reframer = createReframer(options);
    } catch (err) {
      subscriber.error(err);
      return undefined;
    }
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'binary') : chunk;
      for (const frame of reframer.push(bytes)) subscriber.next(frame);
    };
    const onEnd = () => {
      try {
        for (const frame of reframer.flush()) subscriber.next(frame);
        subscriber.complete();
      } catch (err) {
        subscriber.error(err);
      }
    };
    const onError = (err: Error) =>
      subscriber.error(new RxVoiceError({ code: 'connection', stage: 'input', message: `audio stream failed: ${err.message}`, cause: err }));
    readable.on('data', onData);
    readable.once('end', onEnd);
    readable.once('error', onError);
    return () => {
      readable.off('data', onData);
      readable.off('end', onEnd);
      readable.off('error', onError);
      readable.pause();
    };
  });
}
