/** Waits `ms` (0 resolves on the next macrotask); resolves early, without error, when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Delay between paced items (tokens, audio chunks); 0 per second means unpaced. */
export function paceMs(perSecond: number): number {
  return perSecond > 0 ? 1000 / perSecond : 0;
}

/**
 * Paced sends without drift: the n-th wait ends at `origin + n * gapMs` (origin = the first call), so late
 * timers on a busy machine do not add up over a reply (a plain `sleep(gap)` per token accumulates every
 * timer's lateness, which a benchmark would then count as client overhead).
 */
export function pacer(gapMs: number): (signal?: AbortSignal) => Promise<void> {
  let origin: number | undefined;
  let count = 0;
  return (signal) => {
    origin ??= performance.now();
    count++;
    return sleep(origin + count * gapMs - performance.now(), signal);
  };
}
