/**
 * Scale benchmark: N concurrent calls on this machine, each a full streaming cascaded chain with real
 * Silero VAD and real sockets to the sandbox (its own process), caller audio paced at real time.
 *
 *   node --expose-gc --import tsx bench/scale.ts [--calls 25,50,100,200] [--runs 3] [--sandbox cheap|full] [--profile typical] [--out bench/results/scale.json]
 *
 * The headline is the client's CPU per call-second (ms of CPU this process spent per second of call, all
 * threads: the chain and the VAD worker) and the p99 frame lag, each the median of `--runs` runs per level.
 * The sandbox runs in cheap mode by default (`rxvoice sandbox --cheap`: speech synthesised once per text and
 * served from memory, same wire and latency), and its own CPU (from /proc) is reported beside the client's:
 * it still shares the two cores, which is what `--sandbox full` makes worse.
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
import { threadCpuMeter, treeCpuMeter } from './proc-cpu.js';
import { startSandboxProcess } from './sandbox-process.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '25,50,100,200' },
    runs: { type: 'string', default: '3' },
    sandbox: { type: 'string', default: 'cheap' },
    profile: { type: 'string', default: 'typical' },
    fixture: { type: 'string', default: 'fixtures/demo-call.wav' },
    out: { type: 'string' },
  },
});
const levels = values.calls.split(',').map(Number);
const { frames, seconds: audioSeconds } = await callerAudio(values.fixture);
const runs = Number(values.runs);
if (values.sandbox !== 'cheap' && values.sandbox !== 'full') throw new Error(`--sandbox must be cheap or full (got ${values.sandbox})`);
const sandbox = await startSandboxProcess([
  '--profile', values.profile, '--scenario', 'examples/scenarios/demo.json', ...(values.sandbox === 'cheap' ? ['--cheap'] : []),
]);
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
  /** The headline: client CPU ms (all threads) per second of call. */
  cpuMsPerCallSecond: number;
  sandboxCpuPercent: number;
  sandboxCpuMsPerCallSecond: number;
  loopDelayP99Ms: number;
  /** Share of wall time the event loop was busy (1 = always): near 1 with CPU well under 100 % means other processes had the core. */
  loopBusy: number;
  mibPerCall: number;
  wallSeconds: number;
}

async function oneCall(lags: number[]): Promise<{ replies: number; errors: number; seconds: number }> {
  const started = performance.now();
  const pipeline = await buildChain({ pipeline: 'cascaded', mode: 'streaming' }, endpoints);
  // Lags and errors are counted as events leave; only what the turn reports need is kept (the first
  // reply audio of each turn, no caller frames), as a server would not hold a call's audio either.
  const spoken = new Set<string>();
  let errors = 0;
  let t0 = 0;
  const result = await runCall({
    frames: microphone(frames, undefined, (at) => (t0 = at)),
    pipeline,
    idleAfterInputMs: 3000,
    onEvent: ({ at, event }) => {
      if (event.type === 'audio.in') lags.push(at - (t0 + frameEndMs(event.frame)));
      else if (event.type === 'error') errors++;
    },
    retain: (event) => {
      if (event.type === 'audio.in') return false;
      if (event.type !== 'assistant.audio') return true;
      if (spoken.has(event.turnId)) return false;
      spoken.add(event.turnId);
      return true;
    },
  });
  return {
    replies: result.turns.filter((t) => t.firstAudioMs !== undefined).length,
    errors,
    seconds: (performance.now() - started) / 1000,
  };
}

const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
const runsOut: Level[] = [];
try {
  // One call first, not counted: loads the Silero model, compiles the code paths, opens the first sockets.
  await oneCall([]);
  for (let run = 1; run <= runs; run++) {
    for (const n of levels) {
      (globalThis as { gc?: () => void }).gc?.();
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 250);
      const usage = clientUsage();
      const sandboxCpu = treeCpuMeter(sandbox.pid);
      const threads = threadCpuMeter();
      const lags: number[] = [];
      const outcomes = await staggered(n, () => oneCall(lags));
      const { cpuPercent, loopBusy, loopDelayP99Ms, wallMs } = usage();
      const sandboxMs = sandboxCpu();
      const threadMs = threads();
      clearInterval(sampler);
      lags.sort((a, b) => a - b);
      const callSeconds = outcomes.reduce((s, o) => s + o.seconds, 0);
      const level: Level = {
        calls: n,
        lagP50Ms: quantile(lags, 0.5),
        lagP99Ms: quantile(lags, 0.99),
        lagMaxMs: lags[lags.length - 1] ?? 0,
        replies: outcomes.reduce((s, o) => s + o.replies, 0),
        expectedReplies: n * 3,
        errors: outcomes.reduce((s, o) => s + o.errors, 0),
        cpuPercent,
        cpuMsPerCallSecond: ((cpuPercent / 100) * wallMs) / callSeconds,
        sandboxCpuPercent: (sandboxMs / wallMs) * 100,
        sandboxCpuMsPerCallSecond: sandboxMs / callSeconds,
        loopDelayP99Ms,
        loopBusy,
        mibPerCall: (rssPeak - rssBefore) / n / 1024 / 1024,
        wallSeconds: wallMs / 1000,
      };
      runsOut.push(level);
      process.stderr.write(
        `run ${run}, ${n} calls: client ${level.cpuMsPerCallSecond.toFixed(2)} ms CPU per call-second, p99 lag ${level.lagP99Ms.toFixed(1)} ms, sandbox ${level.sandboxCpuMsPerCallSecond.toFixed(2)} ms per call-second\n` +
          `  client threads, ms per call-second: ${[...threadMs].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${(ms / callSeconds).toFixed(2)}`).join(', ')}\n`,
      );
    }
  }
} finally {
  await sandbox.close();
}

/** Per level, the median of every figure over the runs (replies and errors: the worst run). */
const levelsOut: Level[] = levels.map((n) => {
  const of = runsOut.filter((l) => l.calls === n);
  const med = (k: keyof Level): number => median(of.map((l) => l[k]));
  return {
    calls: n,
    lagP50Ms: med('lagP50Ms'),
    lagP99Ms: med('lagP99Ms'),
    lagMaxMs: med('lagMaxMs'),
    replies: Math.min(...of.map((l) => l.replies)),
    expectedReplies: n * 3,
    errors: Math.max(...of.map((l) => l.errors)),
    cpuPercent: med('cpuPercent'),
    cpuMsPerCallSecond: med('cpuMsPerCallSecond'),
    sandboxCpuPercent: med('sandboxCpuPercent'),
    sandboxCpuMsPerCallSecond: med('sandboxCpuMsPerCallSecond'),
    loopDelayP99Ms: med('loopDelayP99Ms'),
    loopBusy: med('loopBusy'),
    mibPerCall: med('mibPerCall'),
    wallSeconds: med('wallSeconds'),
  };
});

const capacity = Math.max(0, ...levelsOut.filter((l) => l.lagP99Ms < 20 && l.replies === l.expectedReplies).map((l) => l.calls));
const table = formatTable(
  ['calls', 'client CPU per call-second', 'frame lag p99', 'p50', 'max', 'replies with audio', 'errors', 'client CPU (1 core = 100 %)', 'sandbox CPU', 'sandbox CPU per call-second', 'event loop busy', 'event-loop delay p99', 'memory per call'],
  levelsOut.map((l) => [
    String(l.calls),
    `${l.cpuMsPerCallSecond.toFixed(2)} ms`,
    `${l.lagP99Ms.toFixed(1)} ms`,
    `${l.lagP50Ms.toFixed(1)} ms`,
    `${l.lagMaxMs.toFixed(0)} ms`,
    `${l.replies}/${l.expectedReplies}`,
    String(l.errors),
    `${l.cpuPercent.toFixed(0)} %`,
    `${l.sandboxCpuPercent.toFixed(0)} %`,
    `${l.sandboxCpuMsPerCallSecond.toFixed(2)} ms`,
    `${(l.loopBusy * 100).toFixed(0)} %`,
    `${l.loopDelayP99Ms.toFixed(1)} ms`,
    `${l.mibPerCall.toFixed(1)} MiB`,
  ]),
);
const verdict = `capacity (p99 frame lag < 20 ms, every reply back): ${capacity || `< ${levels[0]}`} concurrent calls`;
const shared =
  `still shared: the sandbox (${values.sandbox} mode) runs on the same ${cpus().length} cores, and the callers' pacing ` +
  'timers and the report\'s event capture run in this (the client) process; its CPU is counted in the client\'s figures';
process.stdout.write(
  `\nprofile ${values.profile}, sandbox ${values.sandbox}, ${values.fixture} (${audioSeconds.toFixed(1)} s, 3 turns) per call, streaming cascaded chain, median of ${runs} run(s)\n${table}\n${verdict}\n${shared}\n`,
);
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(values.out, `${JSON.stringify({ machine, profile: values.profile, sandbox: values.sandbox, fixture: values.fixture, runs: runsOut, levels: levelsOut, capacity, table }, null, 2)}\n`);
}
