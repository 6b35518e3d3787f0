import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { CALLER_FRAME_LAG_CHANNEL, PipelineRun, type CallerFrameLagReport } from '../../src/server/session.js';
import type { PipelineFactory } from '../../src/server/types.js';

// A chain that lets each frame straight through as `audio.in`: any lag is the run's own bookkeeping.
const passThrough: PipelineFactory = () => (frames) => frames.pipe(map((frame) => ({ type: 'audio.in' as const, frame })));

describe('caller frame lag channel', () => {
  it('reports one lag per frame, on the call clock, and none for the remainder flushed at hang-up', async () => {
    const lags: number[] = [];
    const listen = (report: unknown): void => void lags.push((report as CallerFrameLagReport).lagMs);
    subscribe(CALLER_FRAME_LAG_CHANNEL, listen);
    try {
      const choice = { pipeline: 'cascaded' as const, outputFormat: { encoding: 'pcm16' as const, sampleRate: 16000 as const }, sessionId: 's', transport: 'rxvoice' as const };
      const run = new PipelineRun(passThrough, choice, 16000, () => undefined);
      run.push(new Int16Array(320)); // 20 ms, on time: the clock starts here
      // The next 20 ms frame comes 20 ms of audio later but ~80 ms of wall time later: ~60 ms late.
      await new Promise((r) => setTimeout(r, 80));
      run.push(new Int16Array(320 + 100)); // one frame plus a remainder that only hang-up flushes
      run.end();
      await run.done;
      expect(lags).toHaveLength(2);
      expect(lags[0]).toBeGreaterThanOrEqual(0);
      expect(lags[0]).toBeLessThan(5);
      expect(lags[1]).toBeGreaterThan(50);
      expect(lags[1]).toBeLessThan(200);
    } finally {
      unsubscribe(CALLER_FRAME_LAG_CHANNEL, listen);
    }
  });
});
