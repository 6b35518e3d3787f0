/**
 * The caller side shared by the scale benchmarks (bench/scale.ts in-process, bench/workers.ts over a
 * socket): a fixture cut into 20 ms frames once, a "microphone" that delivers them at real time, calls
 * started spread over a second, and what the client process itself spent.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Observable } from 'rxjs';
import type { AudioFrame } from '../src/audio/frame.js';
import { framesOf } from '../src/audio/sources.js';
import { readWavFile } from '../src/audio/wav.js';

export interface CallerAudio {
  readonly frames: readonly AudioFrame[];
  readonly seconds: number;
  readonly sampleRate: number;
}

// Cut once and shared (frames are read-only): cutting a 28 s file per call blocked the event loop for
// ~5 ms per call plus GC at each level's start, which showed up as frame lag that a real call (frames
// from a socket) would not have.
export async function callerAudio(fixture: string): Promise<CallerAudio> {
  const audio = await readWavFile(fixture);
  return {
    frames: framesOf(audio.samples, audio.sampleRate as AudioFrame['sampleRate'], 20),
    seconds: audio.samples.length / audio.sampleRate,
    sampleRate: audio.sampleRate,
  };
}

export const frameEndMs = (f: AudioFrame): number => f.startMs + (f.samples.length * 1000) / f.sampleRate;

/**
 * The caller's "microphone": frame k is delivered when its last sample is due, timed from the start.
 * `lateness`, when given, gets how late each frame left (the client's own timer lag).
 */
export function microphone(frames: readonly AudioFrame[], lateness?: number[]): Observable<AudioFrame> {
  return new Observable<AudioFrame>((subscriber) => {
    const t0 = performance.now();
    let k = 0;
    let timer: NodeJS.Timeout | undefined;
    const dueAt = (f: AudioFrame): number => t0 + frameEndMs(f);
    const step = (): void => {
      while (k < frames.length && dueAt(frames[k]!) <= performance.now()) {
        lateness?.push(performance.now() - dueAt(frames[k]!));
        subscriber.next(frames[k++]!);
      }
      if (k >= frames.length) subscriber.complete();
      else timer = setTimeout(step, Math.max(0, dueAt(frames[k]!) - performance.now()));
    };
    timer = setTimeout(step, dueAt(frames[0]!) - t0);
    return () => clearTimeout(timer);
  });
}

/** n calls that do not all start on the same millisecond, as on a real line: spread over `spreadMs`. */
export function staggered<T>(n: number, call: (i: number) => Promise<T>, spreadMs = 1000): Promise<T[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * spreadMs) / n));
      return call(i);
    }),
  );
}

export interface ClientUsage {
  /** CPU of this process over the wall time (1 core = 100). */
  readonly cpuPercent: number;
  /** Share of wall time the event loop was busy (1 = always): near 1 with CPU well under 100 % means other processes had the core. */
  readonly loopBusy: number;
  readonly loopDelayP99Ms: number;
  readonly wallMs: number;
}

/** Starts measuring this process; the returned function stops and reports. */
export function clientUsage(): () => ClientUsage {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const started = performance.now();
  return () => {
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const busy = performance.eventLoopUtilization(elu).utilization;
    loop.disable();
    return { cpuPercent: ((used.user + used.system) / 1000 / wallMs) * 100, loopBusy: busy, loopDelayP99Ms: loop.percentile(99) / 1e6, wallMs };
  };
}
