/**
 * Workers benchmark: how many concurrent calls one machine holds at p99 caller-frame lag under 20 ms with
 * `rxvoice serve --workers 1` and with `--workers 2`, in the same run (the ratio is the point).
 *
 *   npx tsx bench/workers.ts [--runs 3] [--start 25] [--step 25] [--max 200] [--sandbox cheap|full] [--fixture fixtures/call-3turns.wav] [--out bench/results/workers.json]
 *     [--server-node-args='--cpu-prof --cpu-prof-dir=/tmp/prof']
 *
 * Headline per level: the server's CPU per call-second (all its processes: primary and workers, from
 * /proc) and the p99 frame lag; the sandbox's CPU (cheap mode by default: speech served from memory) and
 * this caller process's CPU beside it, since all three share the machine's cores.
 *
 * The server is the real CLI, with the sandbox (profile and scenario as bench/scale.ts) in its own process
 * for both N: the CLI would otherwise put it in the single worker's process for N = 1 but in the primary
 * for N = 2, which would skew the ratio. This process is the callers: real WebSockets, caller audio paced
 * at real time (20 ms frames), calls started over one second, N calls per level rising by `--step` until
 * a level misses the bar. Frame lag is measured inside the server (bench/frame-lag-probe.ts, loaded into
 * every worker): when a caller frame comes out of the chain minus when it was due on the call's clock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { resolveEndpoints, SANDBOX_API_KEY } from '../src/providers/env.js';
import { formatTable, quantile } from '../src/runner/report.js';
import { callerAudio, clientUsage, microphone, staggered, type CallerAudio } from './caller.js';
import { treeCpuMeter } from './proc-cpu.js';
import { startSandboxProcess } from './sandbox-process.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    start: { type: 'string', default: '25' },
    step: { type: 'string', default: '25' },
    max: { type: 'string', default: '200' },
    sandbox: { type: 'string', default: 'cheap' },
    // Run every level up to --max even after one misses the bar (for CPU per call-second at every level).
    'every-level': { type: 'boolean', default: false },
    workers: { type: 'string', default: '1,2' },
    profile: { type: 'string', default: 'typical' },
    fixture: { type: 'string', default: 'fixtures/call-3turns.wav' },
    out: { type: 'string' },
    // Node flags for the server's processes only (cluster workers inherit them), e.g. a CPU profile of each.
    'server-node-args': { type: 'string' },
  },
});
const runs = Number(values.runs);
const [first, step, max] = [Number(values.start), Number(values.step), Number(values.max)];
const workerCounts = values.workers.split(',').map(Number);
const audio = await callerAudio(values.fixture);
const warmup = await callerAudio('fixtures/one-sentence.wav');
const TURNS = 3;
const BAR_MS = 20;

if (values.sandbox !== 'cheap' && values.sandbox !== 'full') throw new Error(`--sandbox must be cheap or full (got ${values.sandbox})`);
const sandbox = await startSandboxProcess([
  '--profile', values.profile, '--scenario', 'examples/scenarios/demo.json', ...(values.sandbox === 'cheap' ? ['--cheap'] : []),
]);
const sandboxEndpoints = resolveEndpoints({}, sandbox.url);
const sandboxOpenAI = sandboxEndpoints.openai.kind === 'openai' ? sandboxEndpoints.openai.baseURL : sandbox.url;

interface Server {
  readonly url: string;
  readonly lagDir: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** `rxvoice serve --workers n` against the sandbox process (as if it were the real providers). */
async function startServer(workers: number): Promise<Server> {
  const lagDir = mkdtempSync(join(tmpdir(), 'rxvoice-workers-'));
  const nodeArgs = values['server-node-args']?.split(' ').filter((a) => a !== '') ?? [];
  const args = [...nodeArgs, '--import', 'tsx', '--import', './bench/frame-lag-probe.ts', 'src/cli/main.ts', 'serve', '--workers', String(workers), '--port', '0'];
  // The lag gate would refuse calls at a level's start (a burst of set-ups), and the session limit (100 per
  // worker by default) the levels above it: capacity by frame lag is what we measure here.
  args.push('--max-lag-ms', '100000', '--drain-seconds', '1', '--max-sessions', String(max + step));
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      OPENAI_API_KEY: SANDBOX_API_KEY,
      OPENAI_BASE_URL: sandboxOpenAI,
      AZURE_OPENAI_API_KEY: '',
      ELEVENLABS_API_KEY: SANDBOX_API_KEY,
      ELEVENLABS_BASE_URL: sandboxEndpoints.elevenlabs.baseURL,
      RXVOICE_BENCH_LAG_DIR: lagDir,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (Date.now() < deadline) {
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    const listening = workers === 1 ? 1 : (stderr.match(/worker \d+ listening on port/g) ?? []).length;
    if (url && listening >= workers) break;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!url) throw new Error(`rxvoice serve did not start:\n${stdout}\n${stderr}`);
  return {
    url: url.replace(/^http/, 'ws') + '/v1/stream',
    lagDir,
    pid: child.pid,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(lagDir, { recursive: true, force: true });
    },
  };
}

interface CallOutcome {
  readonly replies: number;
  readonly errors: number;
  /** From the socket's open to its close. */
  readonly seconds: number;
}

/** One call over the socket: the fixture at real time, 3 s of quiet for the last reply, then stop. */
async function oneCall(url: string, caller: CallerAudio, lateness: number[] | undefined): Promise<CallOutcome> {
  const ws = new WebSocket(url);
  const openedAt = performance.now();
  let replies = 0;
  let errors = 0;
  let started!: () => void;
  const isStarted = new Promise<void>((resolve) => (started = resolve));
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) return;
    const type = (JSON.parse(data.toString()) as { type?: string }).type;
    if (type === 'started') started();
    else if (type === 'audio.start') replies++;
    else if (type === 'error') errors++;
  });
  ws.once('error', () => errors++);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: caller.sampleRate }, pipeline: 'cascaded' }));
  await isStarted;
  await new Promise<void>((resolve, reject) => {
    microphone(caller.frames, lateness).subscribe({
      next: (f) => ws.send(Buffer.from(f.samples.buffer, f.samples.byteOffset, f.samples.byteLength)),
      error: reject,
      complete: () => resolve(),
    });
  });
  await new Promise((r) => setTimeout(r, 3000));
  ws.send(JSON.stringify({ type: 'stop' }));
  await closed;
  return { replies, errors, seconds: (performance.now() - openedAt) / 1000 };
}

/** Frame lags the server's processes measured between `from` and `to` (wall ms), and how many per process. */
function serverLags(dir: string, from: number, to: number): { lags: number[]; perProcess: number[] } {
  const lags: number[] = [];
  const perProcess: number[] = [];
  for (const file of readdirSync(dir)) {
    const before = lags.length;
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      for (const [at, lag] of JSON.parse(line) as [number, number][]) if (at >= from && at <= to) lags.push(lag);
    }
    if (lags.length > before) perProcess.push(lags.length - before);
  }
  return { lags: lags.sort((a, b) => a - b), perProcess };
}

interface Level {
  workers: number;
  run: number;
  calls: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  frames: number;
  replies: number;
  expectedReplies: number;
  errors: number;
  /** How late this process sent its frames (p99): when high, the client, not the server, is the bottleneck. */
  clientSendLateP99Ms: number;
  clientCpuPercent: number;
  clientLoopBusy: number;
  /** The headline: CPU ms of the server's processes (primary + workers) per second of call. */
  serverCpuMsPerCallSecond: number;
  serverCpuPercent: number;
  sandboxCpuPercent: number;
  passed: boolean;
}

const levels: Level[] = [];
const capacities: Record<number, number[]> = {};
try {
  for (let run = 1; run <= runs; run++) {
    // Alternate the order across runs, so a machine getting busier does not favour one N.
    const order = run % 2 === 1 ? workerCounts : [...workerCounts].reverse();
    for (const workers of order) {
      const server = await startServer(workers);
      try {
        // Not counted: loads Silero and compiles the paths in every worker (round-robin spreads these).
        await Promise.all(Array.from({ length: 2 * workers }, () => oneCall(server.url, warmup, undefined)));
        let capacity = 0;
        let missed = false;
        for (let calls = first; calls <= max; calls += step) {
          const lateness: number[] = [];
          const from = Date.now();
          const usage = clientUsage();
          const serverCpu = treeCpuMeter(server.pid);
          const sandboxCpu = treeCpuMeter(sandbox.pid);
          const outcomes = await staggered(calls, () => oneCall(server.url, audio, lateness));
          const client = usage();
          const [serverMs, sandboxMs] = [serverCpu(), sandboxCpu()];
          const callSeconds = outcomes.reduce((s, o) => s + o.seconds, 0);
          const to = Date.now();
          await new Promise((r) => setTimeout(r, 1500)); // the probe appends once a second
          const { lags, perProcess } = serverLags(server.lagDir, from, to);
          lateness.sort((a, b) => a - b);
          const replies = outcomes.reduce((s, o) => s + o.replies, 0);
          const errors = outcomes.reduce((s, o) => s + o.errors, 0);
          const level: Level = {
            workers,
            run,
            calls,
            lagP50Ms: quantile(lags, 0.5),
            lagP99Ms: quantile(lags, 0.99),
            lagMaxMs: lags[lags.length - 1] ?? 0,
            frames: lags.length,
            replies,
            expectedReplies: calls * TURNS,
            errors,
            clientSendLateP99Ms: quantile(lateness, 0.99),
            clientCpuPercent: client.cpuPercent,
            clientLoopBusy: client.loopBusy,
            serverCpuMsPerCallSecond: serverMs / callSeconds,
            serverCpuPercent: (serverMs / client.wallMs) * 100,
            sandboxCpuPercent: (sandboxMs / client.wallMs) * 100,
            passed: false,
          };
          level.passed = level.lagP99Ms < BAR_MS && errors === 0 && replies === level.expectedReplies;
          levels.push(level);
          process.stderr.write(`run ${run}, --workers ${workers}, ${calls} calls: server ${level.serverCpuMsPerCallSecond.toFixed(2)} ms CPU per call-second, p99 ${level.lagP99Ms.toFixed(1)} ms, replies ${replies}/${level.expectedReplies}, client CPU ${client.cpuPercent.toFixed(0)} %, caller frames per worker ${perProcess.join(' / ')}\n`);
          // Capacity = the last level before the first miss (later levels may pass by luck).
          if (!level.passed) missed = true;
          else if (!missed) capacity = calls;
          if (missed && !values['every-level']) break;
        }
        (capacities[workers] ??= []).push(capacity);
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await sandbox.close();
}

const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
const table = formatTable(
  ['workers', 'run', 'calls', 'server CPU per call-second', 'frame lag p99', 'p50', 'max', 'replies with audio', 'errors', 'server CPU (1 core = 100 %)', 'sandbox CPU', 'client send late p99', 'caller CPU', 'caller loop busy', ''],
  levels.map((l) => [
    String(l.workers),
    String(l.run),
    String(l.calls),
    `${l.serverCpuMsPerCallSecond.toFixed(2)} ms`,
    `${l.lagP99Ms.toFixed(1)} ms`,
    `${l.lagP50Ms.toFixed(1)} ms`,
    `${l.lagMaxMs.toFixed(0)} ms`,
    `${l.replies}/${l.expectedReplies}`,
    String(l.errors),
    `${l.serverCpuPercent.toFixed(0)} %`,
    `${l.sandboxCpuPercent.toFixed(0)} %`,
    `${l.clientSendLateP99Ms.toFixed(1)} ms`,
    `${l.clientCpuPercent.toFixed(0)} %`,
    `${(l.clientLoopBusy * 100).toFixed(0)} %`,
    l.passed ? 'ok' : 'over',
  ]),
);
const summary = workerCounts.map((w) => `--workers ${w}: ${median(capacities[w] ?? [0])} calls (runs: ${(capacities[w] ?? []).join(', ')})`);
/** Per worker count and level, the median over the runs that reached it. */
const perLevel = workerCounts.flatMap((w) =>
  [...new Set(levels.filter((l) => l.workers === w).map((l) => l.calls))].map((calls) => {
    const of = levels.filter((l) => l.workers === w && l.calls === calls);
    return `--workers ${w}, ${calls} calls (${of.length} run(s)): server ${median(of.map((l) => l.serverCpuMsPerCallSecond)).toFixed(2)} ms CPU per call-second, ` +
      `p99 frame lag ${median(of.map((l) => l.lagP99Ms)).toFixed(1)} ms, sandbox CPU ${median(of.map((l) => l.sandboxCpuPercent)).toFixed(0)} %`;
  }),
);
const shared =
  `still shared: the sandbox (${values.sandbox} mode) and this caller process run on the same ${cpus().length} cores as the server`;
const [c1, c2] = [median(capacities[workerCounts[0]!] ?? [0]), median(capacities[workerCounts[1]!] ?? [0])];
const ratio = workerCounts.length === 2 && c1 > 0 ? `ratio --workers ${workerCounts[1]} / --workers ${workerCounts[0]}: ${(c2 / c1).toFixed(2)}` : '';
process.stdout.write(
  `\nmachine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n` +
    `profile ${values.profile}, sandbox ${values.sandbox}, ${values.fixture} (${audio.seconds.toFixed(1)} s, ${TURNS} turns) per call, rxvoice serve, step ${step}\n${table}\n` +
    `medians per level:\n  ${perLevel.join('\n  ')}\n` +
    `capacity (median of ${runs}; p99 frame lag < ${BAR_MS} ms, every reply back, no error):\n  ${summary.join('\n  ')}\n  ${ratio}\n${shared}\n`,
);
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(values.out, `${JSON.stringify({ machine, profile: values.profile, sandbox: values.sandbox, fixture: values.fixture, levels, capacities, table }, null, 2)}\n`);
}
