/**
 * How long the Silero batcher lets windows gather after a model run before the next one, and where that
 * run goes. Pure: unit-tested in test/vad/batch-interval.test.ts.
 *
 * A run has a fixed cost (~0.1 ms of model setup plus the hop to the worker) whatever its size, so under
 * load fewer, bigger runs are cheaper; but every ms of wait is added frame lag. A stream has at most one
 * window in a run (its next window needs the state this one leaves), so a run can only grow with the
 * number of streams: a lone stream never waits, a few wait the old 4 ms, and from RAMP_FROM_STREAMS the
 * wait grows to MAX_INTERVAL_MS, but no longer than TARGET_BATCH windows take to arrive from paced
 * streams (one window per stream every 32 ms).
 */

/** The wait with a few streams (what every load had before the wait adapted). */
export const MIN_INTERVAL_MS = 4;
/** The longest wait: the frame lag it adds stays small beside the 32 ms window. */
export const MAX_INTERVAL_MS = 10;
/** Windows per run worth waiting for: beyond ~32 a window costs the same in a bigger run. */
export const TARGET_BATCH = 32;
/** Streams from which the wait starts to grow, and at which it reaches MAX_INTERVAL_MS. */
const RAMP_FROM_STREAMS = 8;
const RAMP_TO_STREAMS = 32;
/** Audio per window (512 samples at 16 kHz): a paced stream's window period. */
const WINDOW_MS = 32;
/**
 * From this many active streams every run goes to the worker thread, even a small one: the main thread
 * carries every call's sockets and operators, and a run there delays all of their frames.
 */
export const WORKER_FROM_STREAMS = 4;
/** Below WORKER_FROM_STREAMS, a run this big still goes to the worker (a small one is cheaper in-thread). */
export const WORKER_MIN_BATCH = 8;

/** Minimum ms between two runs when `streams` streams sent windows recently. */
export function batchIntervalMs(streams: number): number {
  if (streams <= 1) return 0;
  const ramp = Math.min(1, Math.max(0, (streams - RAMP_FROM_STREAMS) / (RAMP_TO_STREAMS - RAMP_FROM_STREAMS)));
  const byLoad = MIN_INTERVAL_MS + (MAX_INTERVAL_MS - MIN_INTERVAL_MS) * ramp;
  const toTarget = (TARGET_BATCH * WINDOW_MS) / streams;
  return Math.max(MIN_INTERVAL_MS, Math.min(byLoad, toTarget));
}

/** True when a run of `windows` windows should go to the worker thread (when there is one). */
export function runInWorker(windows: number, streams: number): boolean {
  return windows >= WORKER_MIN_BATCH || streams >= WORKER_FROM_STREAMS;
}
