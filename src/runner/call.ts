import { performance } from 'node:perf_hooks';
import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { AudioFrame } from '../audio/frame.js';
import type { PipelineEvent } from '../events.js';
import { buildTurnReports, type TimedEvent, type TurnReport } from './report.js';

export interface RunCallOptions {
  readonly frames: Observable<AudioFrame>;
  readonly pipeline: OperatorFunction<AudioFrame, PipelineEvent>;
  /** Sees every event as it leaves the chain (for live printing). */
  readonly onEvent?: (event: TimedEvent) => void;
  /**
   * After the caller's audio ends, how long the chain may stay quiet before the call is hung up (the
   * chain normally completes by itself once its last reply is done).
   */
  readonly idleAfterInputMs?: number;
  /**
   * Which events the result keeps (default: all). A load test that keeps every caller frame of a long
   * call holds megabytes per call, which slows the collector for every call in the process.
   */
  readonly retain?: (event: PipelineEvent) => boolean;
}

export interface CallResult {
  readonly events: readonly TimedEvent[];
  readonly turns: readonly TurnReport[];
  /** Wall ms from the first frame to the end of the call. */
  readonly durationMs: number;
  /** `performance.now()` when the call started (frame k is due at `startedAt + its end time`). */
  readonly startedAt: number;
}

/** Plays frames into a pipeline and collects what comes out, with wall-clock arrival times. */
export function runCall(options: RunCallOptions): Promise<CallResult> {
  const idleMs = options.idleAfterInputMs ?? 8000;
  return new Promise<CallResult>((resolve, reject) => {
    const events: TimedEvent[] = [];
    const started = performance.now();
    let inputDone = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let subscription: Subscription | undefined;
    let settled = false;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      if (idleTimer) clearTimeout(idleTimer);
      subscription?.unsubscribe();
      resolve({ events, turns: buildTurnReports(events), durationMs: performance.now() - started, startedAt: started });
    };
    // One timer for the idle wait, not one per event: each event only moves the deadline, and the timer,
    // when it fires early, waits out the rest.
    let lastActivity = 0;
    const onIdle = (): void => {
      const left = lastActivity + idleMs - performance.now();
      idleTimer = left >= 1 ? setTimeout(onIdle, left) : undefined;
      if (!idleTimer) finish();
    };
    const armIdle = (at: number): void => {
      if (!inputDone) return;
      lastActivity = at;
      idleTimer ??= setTimeout(onIdle, idleMs);
    };

    // Watch the input's completion without subscribing to it twice.
    const frames = new Observable<AudioFrame>((subscriber) =>
      options.frames.subscribe({
        next: (frame) => subscriber.next(frame),
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          inputDone = true;
          armIdle(performance.now());
          subscriber.complete();
        },
      }),
    );

    subscription = frames.pipe(options.pipeline).subscribe({
      next: (event) => {
        const timed = { at: performance.now(), event };
        if (!options.retain || options.retain(event)) events.push(timed);
        options.onEvent?.(timed);
        armIdle(timed.at);
      },
      error: (err: unknown) => {
        if (idleTimer) clearTimeout(idleTimer);
        settled = true;
        reject(err);
      },
      complete: finish,
    });
  });
}
