import { describe, expect, it } from 'vitest';
import { batchIntervalMs, MIN_INTERVAL_MS, runInWorker, WORKER_MIN_BATCH } from '../../src/vad/batch-interval.js';

describe('the wait between batched Silero runs', () => {
  it('never makes a lone stream wait', () => {
    expect(batchIntervalMs(0)).toBe(0);
    expect(batchIntervalMs(1)).toBe(0);
  });

  it('waits 4 ms once several streams are active, whatever their number', () => {
    for (const n of [2, 8, 100, 10_000]) expect(batchIntervalMs(n)).toBe(MIN_INTERVAL_MS);
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
