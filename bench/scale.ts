/**
 * Scale benchmark: N concurrent calls on this machine, each a full streaming cascaded chain with real
 * Silero VAD and real sockets to the sandbox (its own process), caller audio paced at real time.
 *
 *   npx tsx bench/scale.ts [--calls 10,25,50,100] [--profile instant]
 *
 * For each N: the 99th percentile of per-frame processing lag (when a caller frame came out of the chain
 * minus when it was due from the "microphone"), the replies that came back, and memory per call.
 * The largest N whose p99 lag stays under 20 ms is the machine's capacity.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { readWavFile } from '../src/audio/wav.js';
import { fromPcm } from '../src/audio/sources.js';
import { buildChain } from '../src/cli/session.js';
import { resolveEndpoints } from '../src/providers/env.js';
import { runCall } from '../src/runner/call.js';
import { formatTable, quantile } from '../src/runner/report.js';
import { startSandboxProcess } from './sandbox-process.js';

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '10,25,50,100' }, profile: { type: 'string', default: 'instant' } },
});
const levels = values.calls.split(',').map(Number);
const audio = await readWavFile('fixtures/call-3turns.wav');
const sandbox = await startSandboxProcess(['--profile', values.profile, '--scenario', 'examples/scenarios/demo.json']);
const endpoints = resolveEndpoints({}, sandbox.url);

const rows: string[][] = [];
let capacity = 0;
try {
  for (const n of levels) {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 250);
    const lags: number[] = [];
    let replies = 0;
    const started = performance.now();
    const calls = Array.from({ length: n }, async (_, i) => {
      // Calls do not all start on the same millisecond, as on a real line.
      await new Promise((r) => setTimeout(r, (i * 1000) / n));
      const result = await runCall({
        frames: fromPcm(audio.samples, audio.sampleRate, { realtime: true }),
        pipeline: await buildChain({ pipeline: 'cascaded', mode: 'streaming' }, endpoints),
        idleAfterInputMs: 5000,
      });
      for (const { at, event } of result.events) {
        if (event.type !== 'audio.in') continue;
        const dueAt = result.startedAt + event.frame.startMs + (event.frame.samples.length * 1000) / event.frame.sampleRate;
        lags.push(at - dueAt);
      }
      replies += result.turns.filter((t) => t.firstAudioMs !== undefined).length;
    });
    await Promise.all(calls);
    clearInterval(sampler);
    lags.sort((a, b) => a - b);
    const p50 = quantile(lags, 0.5);
    const p99 = quantile(lags, 0.99);
    if (p99 < 20) capacity = Math.max(capacity, n);
    rows.push([
      String(n),
      `${p50.toFixed(1)} ms`,
      `${p99.toFixed(1)} ms`,
      `${replies}/${n * 3}`,
      `${((rssPeak - rssBefore) / n / 1024 / 1024).toFixed(1)} MiB`,
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
    ]);
    process.stderr.write(`${n} calls done\n`);
  }
} finally {
  await sandbox.close();
}
process.stdout.write(
  `\n${formatTable(['calls', 'frame lag p50', 'frame lag p99', 'replies with audio', 'memory per call (peak RSS growth)', 'wall'], rows)}\n`,
);
process.stdout.write(`capacity (p99 frame lag < 20 ms): ${capacity || `< ${levels[0]}`} concurrent calls\n`);
