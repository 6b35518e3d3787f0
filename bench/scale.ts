/**
 * Scale benchmark: N concurrent calls on this machine, each a full streaming cascaded chain with real
 * Silero VAD and real sockets to the sandbox (its own process), caller audio paced at real time.
 *
 *   node --expose-gc --import tsx bench/scale.ts [--calls 10,25,50,100] [--profile typical] [--out bench/results/scale.json]
 *
 * For each N: the per-frame processing lag (when a caller frame came out of the chain, i.e. after the VAD
 * decided on it, minus when the "microphone" delivered its last sample), the replies that came back, the
 * client process's CPU use, how busy its event loop was, its event-loop delay, and memory per call. The largest N whose p99 frame lag
 * stays under 20 ms is the machine's capacity.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { buildChain } from '../src/cli/session.js';
import { resolveEndpoints } from '../src/providers/env.js';
import { runCall } from '../src/runner/call.js';
import { formatTable, quantile } from '../src/runner/report.js';
import { callerAudio, clientUsage, frameEndMs, microphone, staggered } from './caller.js';
import { startSandboxProcess } from './sandbox-process.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '10,25,50,100' },
    profile: { type: 'string', default: 'typical' },
    fixture: { type: 'string', default: 'fixtures/demo-call.wav' },
    out: { type: 'string' },
  },
});
const levels = values.calls.split(',').map(Number);
const { frames, seconds: audioSeconds } = await callerAudio(values.fixture);
const sandbox = await startSandboxProcess(['--profile', values.profile, '--scenario', 'examples/scenarios/demo.json']);
const endpoints = resolveEndpoints({}, sandbox.url);

interface Level {
  calls: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  replies: number;
  expectedReplies: number;
  errors: number;
  cpuPercent: number;
  loopDelayP99Ms: number;
  /** Share of wall time the event loop was busy (1 = always): near 1 with CPU well under 100 % means other processes had the core. */
  loopBusy: number;
  mibPerCall: number;
  wallSeconds: number;
}

async function oneCall(lags: number[]): Promise<{ replies: number; errors: number }> {
  const result = await runCall({
    frames: microphone(frames),
    pipeline: await buildChain({ pipeline: 'cascaded', mode: 'streaming' }, endpoints),
    idleAfterInputMs: 3000,
  });
  for (const { at, event } of result.events) {
    if (event.type !== 'audio.in') continue;
    const dueAt = result.startedAt + frameEndMs(event.frame);
    lags.push(at - dueAt);
  }
  return {
    replies: result.turns.filter((t) => t.firstAudioMs !== undefined).length,
    errors: result.events.filter((e) => e.event.type === 'error').length,
  };
}

const levelsOut: Level[] = [];
try {
  // One call first, not counted: loads the Silero model, compiles the code paths, opens the first sockets.
  await oneCall([]);
  for (const n of levels) {
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 250);
    const usage = clientUsage();
    const lags: number[] = [];
    const outcomes = await staggered(n, () => oneCall(lags));
    const { cpuPercent, loopBusy, loopDelayP99Ms, wallMs } = usage();
    clearInterval(sampler);
    lags.sort((a, b) => a - b);
    levelsOut.push({
      calls: n,
      lagP50Ms: quantile(lags, 0.5),
      lagP99Ms: quantile(lags, 0.99),
      lagMaxMs: lags[lags.length - 1] ?? 0,
      replies: outcomes.reduce((s, o) => s + o.replies, 0),
      expectedReplies: n * 3,
      errors: outcomes.reduce((s, o) => s + o.errors, 0),
      cpuPercent,
      loopDelayP99Ms,
      loopBusy,
      mibPerCall: (rssPeak - rssBefore) / n / 1024 / 1024,
      wallSeconds: wallMs / 1000,
    });
    process.stderr.write(`${n} calls done\n`);
  }
} finally {
  await sandbox.close();
}

const capacity = Math.max(0, ...levelsOut.filter((l) => l.lagP99Ms < 20 && l.replies === l.expectedReplies).map((l) => l.calls));
const table = formatTable(
  ['calls', 'frame lag p50', 'p99', 'max', 'replies with audio', 'errors', 'client CPU (1 core = 100 %)', 'CPU per call', 'event loop busy', 'event-loop delay p99', 'memory per call'],
  levelsOut.map((l) => [
    String(l.calls),
    `${l.lagP50Ms.toFixed(1)} ms`,
    `${l.lagP99Ms.toFixed(1)} ms`,
    `${l.lagMaxMs.toFixed(0)} ms`,
    `${l.replies}/${l.expectedReplies}`,
    String(l.errors),
    `${l.cpuPercent.toFixed(0)} %`,
    `${(l.cpuPercent / l.calls).toFixed(2)} %`,
    `${(l.loopBusy * 100).toFixed(0)} %`,
    `${l.loopDelayP99Ms.toFixed(1)} ms`,
    `${l.mibPerCall.toFixed(1)} MiB`,
  ]),
);
const verdict = `capacity (p99 frame lag < 20 ms, every reply back): ${capacity || `< ${levels[0]}`} concurrent calls`;
process.stdout.write(
  `\nprofile ${values.profile}, ${values.fixture} (${audioSeconds.toFixed(1)} s, 3 turns) per call, streaming cascaded chain\n${table}\n${verdict}\n`,
);
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(values.out, `${JSON.stringify({ machine, profile: values.profile, fixture: values.fixture, levels: levelsOut, capacity, table }, null, 2)}\n`);
}
