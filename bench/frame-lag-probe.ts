/**
 * Loaded into every `rxvoice serve` process of bench/workers.ts (`node --import`; cluster workers inherit
 * it): collects each caller frame's lag from the server's diagnostics channel and appends it, with the
 * wall time it was measured, to `$RXVOICE_BENCH_LAG_DIR/<pid>.jsonl` once a second.
 */
import { appendFileSync } from 'node:fs';
import { subscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CALLER_FRAME_LAG_CHANNEL, type CallerFrameLagReport } from '../src/server/session.js';

const dir = process.env.RXVOICE_BENCH_LAG_DIR;
if (dir) {
  const file = join(dir, `${process.pid}.jsonl`);
  let pending: [number, number][] = [];
  subscribe(CALLER_FRAME_LAG_CHANNEL, (report) => {
    pending.push([performance.timeOrigin + performance.now(), (report as CallerFrameLagReport).lagMs]);
  });
  const flush = (): void => {
    if (pending.length === 0) return;
    appendFileSync(file, `${JSON.stringify(pending)}\n`);
    pending = [];
  };
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
}
