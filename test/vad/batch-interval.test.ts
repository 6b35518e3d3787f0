import { describe, expect, it } from 'vitest';
import { batchIntervalMs, MAX_INTERVAL_MS, MIN_INTERVAL_MS, runInWorker, TARGET_BATCH, WORKER_MIN_BATCH } from '../../src/vad/batch-interval.js';

describe('the wait between batched Silero runs', () => {
  it('never makes a lone stream wait', () => {
    expect(batchIntervalMs(0)).toBe(0);
    expect(batchIntervalMs(1)).toBe(0);
  });

  it('keeps the old 4 ms for a few streams', () => {
    for (const n of [2, 5, 8]) expect(batchIntervalMs(n)).toBe(MIN_INTERVAL_MS);
  });

  it('grows with the streams, never past the cap', () => {
    const waits = [8, 12, 16, 24, 32, 64, 100].map(batchIntervalMs);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(batchIntervalMs(16)).toBeGreaterThan(MIN_INTERVAL_MS);
    expect(batchIntervalMs(100)).toBe(MAX_INTERVAL_MS);
    expect(Math.max(...waits)).toBeLessThanOrEqual(MAX_INTERVAL_MS);
  });

  it('waits no longer than the target batch takes to arrive from paced streams, and never below 4 ms', () => {
    // 200 streams send a window each 32 ms: TARGET_BATCH of them in 32 * 32 / 200 = 5.1 ms.
    expect(batchIntervalMs(200)).toBeCloseTo((TARGET_BATCH * 32) / 200, 6);
    expect(batchIntervalMs(200)).toBeLessThan(MAX_INTERVAL_MS);
    expect(batchIntervalMs(10_000)).toBe(MIN_INTERVAL_MS);
  });
});

describe('where a batched run goes', () => {
  it('runs small batches of a few streams in-thread, big ones in the worker', () => {
    expect(runInWorker(1, 1)).toBe(false);
    expect(runInWorker(WORKER_MIN_BATCH - 1, 2)).toBe(false);
    expect(runInWorker(WORKER_MIN_BATCH, 1)).toBe(true);
  });

  it('sends every run to the worker once many streams are active', () => {
    expect(runInWorker(1, 4)).toBe(true);
    expect(runInWorker(2, 100)).toBe(true);
  });
});
