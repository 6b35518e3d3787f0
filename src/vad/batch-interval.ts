/**
 * How long the Silero batcher lets windows gather after a model run before the next one, and where that
 * run goes. Pure: unit-tested in test/vad/batch-interval.test.ts.
 *
 * A stream has at most one window in a run (its next window needs the state this one leaves), so waiting
 * only helps when several streams are active: a lone stream never waits (a run of its own costs the same
 * now or later), two or more wait MIN_INTERVAL_MS after the last run. A longer wait under load (up to
 * 10 ms from 32 streams) made runs ~25 % bigger and saved ~5 % CPU at 100 paced streams (none
 * measurable in the 100-call scale run), but took that run's p99 frame lag from ~15 ms to 27-370 ms
 * (docs/perf.md, issue 14), so it was dropped.
 */

/** The wait between runs once two or more streams are active. */
export const MIN_INTERVAL_MS = 4;

/**
 * From this many active streams every run goes to the worker thread, even a small one: the main thread
 * carries every call's sockets and operators, and a run there delays all of their frames.
 */
export const WORKER_FROM_STREAMS = 4;
/** Below WORKER_FROM_STREAMS, a run this big still goes to the worker (a small one is cheaper in-thread). */
export const WORKER_MIN_BATCH = 8;

/** Minimum ms between two runs when `streams` streams sent windows recently. */
export function batchIntervalMs(streams: number): number {
  return streams <= 1 ? 0 : MIN_INTERVAL_MS;
}

/** True when a run of `windows` windows should go to the worker thread (when there is one). */
export function runInWorker(windows: number, streams: number): boolean {
  return windows >= WORKER_MIN_BATCH || streams >= WORKER_FROM_STREAMS;
}
