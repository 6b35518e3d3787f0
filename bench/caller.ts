/**
 * The caller side shared by the scale benchmarks (bench/scale.ts in-process, bench/workers.ts over a
 * socket): a fixture cut into 20 ms frames once, a "microphone" that delivers them at real time, calls
 * started spread over a second, and what the client process itself spent.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Observable, type Subscriber } from 'rxjs';
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

/** Step of the process-wide pacing clock: frames (20 ms) fall due on 4 phases of a frame. */
const TICK_MS = 5;

interface Mic {
  readonly frames: readonly AudioFrame[];
  readonly t0: number;
  k: number;
  readonly subscriber: Subscriber<AudioFrame>;
  readonly lateness: number[] | undefined;
}

/**
 * One clock for every microphone of the process, not a timer per call: 100 callers cost 200 wake-ups a
 * second instead of 5000, as a media server reading many streams on one loop would. The clock runs only
 * while a microphone is open and schedules from absolute tick times, so it does not drift.
 */
class PacingClock {
  private readonly mics = new Set<Mic>();
  private timer: NodeJS.Timeout | undefined;
  private nextTick = 0;

  /** When a microphone opened now starts: the next tick, so its frames fall due on ticks. */
  startTime(): number {
    if (this.timer === undefined) this.nextTick = performance.now() + TICK_MS;
    return this.nextTick;
  }

  add(mic: Mic): void {
    this.mics.add(mic);
    if (this.timer === undefined) this.schedule();
  }

  remove(mic: Mic): void {
    this.mics.delete(mic);
    if (this.mics.size === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.nextTick - performance.now()));
  }

  private tick(): void {
    const now = performance.now();
    while (this.nextTick <= now) this.nextTick += TICK_MS;
    for (const mic of [...this.mics]) {
      while (mic.k < mic.frames.length && mic.t0 + frameEndMs(mic.frames[mic.k]!) <= now) {
        mic.lateness?.push(now - (mic.t0 + frameEndMs(mic.frames[mic.k]!)));
        mic.subscriber.next(mic.frames[mic.k++]!);
      }
      if (mic.k >= mic.frames.length) {
        this.remove(mic);
        mic.subscriber.complete();
      }
    }
    if (this.mics.size > 0) this.schedule();
    else this.timer = undefined;
  }
}

const clock = new PacingClock();

/**
 * The caller's "microphone": frame k is delivered when its last sample is due, timed from the start (the
 * next tick of the shared pacing clock; `onStart` gets that time). `lateness`, when given, gets how late
 * each frame left (the client's own timer lag).
 */
export function microphone(frames: readonly AudioFrame[], lateness?: number[], onStart?: (t0: number) => void): Observable<AudioFrame> {
  return new Observable<AudioFrame>((subscriber) => {
    const mic: Mic = { frames, t0: clock.startTime(), k: 0, subscriber, lateness };
    onStart?.(mic.t0);
    if (frames.length === 0) {
      subscriber.complete();
      return undefined;
    }
    clock.add(mic);
    return () => clock.remove(mic);
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
