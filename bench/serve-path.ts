/**
 * What the server path costs per call-second, without providers or a chain: `serve()` with a synthetic
 * pipeline (caller frames pass through; every 4 s a 2 s reply in TTS-sized bursts) in its own process,
 * N paced callers over real WebSockets from this one. With `--base DIR` (a source tree of another commit,
 * e.g. `git archive <commit> src | tar -x -C DIR`) both trees run, interleaved, and the ratio is printed.
 *
 *   npx tsx bench/serve-path.ts [--calls 100] [--seconds 12] [--runs 3] [--base /tmp/base] [--server-node-args='--cpu-prof']
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import type { AudioFrame } from '../src/audio/frame.js';
import { quantile } from '../src/runner/report.js';
import { clientUsage, microphone, staggered } from './caller.js';
import { treeCpuMeter } from './proc-cpu.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '12' },
    runs: { type: 'string', default: '3' },
    base: { type: 'string' },
    // Node flags for the server process, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'.
    'server-node-args': { type: 'string' },
  },
});
const calls = Number(values.calls);
const seconds = Number(values.seconds);
// A quiet caller (the synthetic pipeline does not listen); 20 ms frames at 16 kHz.
const frames: AudioFrame[] = Array.from({ length: (seconds * 1000) / 20 }, (_, i) => ({
  samples: new Int16Array(320).fill(i % 7),
  sampleRate: 16000,
  startMs: i * 20,
  seq: i,
}));

async function startServer(root: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...(values['server-node-args']?.split(' ').filter((a) => a !== '') ?? []), '--import', 'tsx', 'bench/serve-path-server.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RXVOICE_SERVE_PATH_ROOT: root },
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening (\S+)/.exec(line);
      if (m) resolve(m[1]!.replace(/^http/, 'ws') + '/v1/stream');
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { url, pid: child.pid!, stop: async () => void (child.kill('SIGTERM'), await exited) };
}

async function oneCall(url: string): Promise<{ seconds: number; audioBytes: number; messages: number }> {
  const ws = new WebSocket(url);
  let audioBytes = 0;
  let messages = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    messages++;
    if (isBinary) audioBytes += data.length;
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const opened = performance.now();
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.send(JSON.stringify({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'cascaded' }));
  await new Promise<void>((resolve, reject) =>
    microphone(frames).subscribe({ next: (f) => ws.send(Buffer.from(f.samples.buffer, f.samples.byteOffset, f.samples.byteLength)), error: reject, complete: resolve }),
  );
  await new Promise((r) => setTimeout(r, 2500)); // the last reply
  ws.send(JSON.stringify({ type: 'stop' }));
  await closed;
  return { seconds: (performance.now() - opened) / 1000, audioBytes, messages };
}

const variants = values.base ? [['base', values.base], ['this tree', process.cwd()]] : [['this tree', process.cwd()]];
const results = new Map<string, { server: number[]; caller: number[] }>();
for (let run = 1; run <= Number(values.runs); run++) {
  for (const [name, root] of run % 2 === 1 ? variants : [...variants].reverse()) {
    const server = await startServer(root!);
    await Promise.all([oneCall(server.url), oneCall(server.url)]); // warm-up, not counted
    const cpu = treeCpuMeter(server.pid);
    const usage = clientUsage();
    const outcomes = await staggered(calls, () => oneCall(server.url));
    const serverMs = cpu();
    const client = usage();
    await server.stop();
    const callSeconds = outcomes.reduce((s, o) => s + o.seconds, 0);
    const r = results.get(name!) ?? { server: [], caller: [] };
    r.server.push(serverMs / callSeconds);
    r.caller.push((client.cpuPercent * client.wallMs) / 100 / callSeconds);
    results.set(name!, r);
    const audio = outcomes.reduce((s, o) => s + o.audioBytes, 0) / calls;
    const messages = outcomes.reduce((s, o) => s + o.messages, 0) / calls;
    process.stderr.write(
      `run ${run}, ${name}: server ${(serverMs / callSeconds).toFixed(3)} ms CPU per call-second, caller ${r.caller.at(-1)!.toFixed(3)} ms; ` +
        `per call ${(audio / 1000).toFixed(0)} KB reply audio in ${messages.toFixed(0)} messages\n`,
    );
  }
}
const median = (xs: number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);
for (const [name, r] of results) {
  process.stdout.write(`${name}: server ${median(r.server).toFixed(3)} ms CPU per call-second (runs ${r.server.map((x) => x.toFixed(3)).join(', ')}), caller ${median(r.caller).toFixed(3)} ms\n`);
}
if (values.base) {
  const [b, h] = [results.get('base')!, results.get('this tree')!];
  const ratios = h.server.map((x, i) => x / b.server[i]!);
  process.stdout.write(`ratio this tree / base (server, median of per-run ratios): ${median(ratios).toFixed(2)}\n`);
}
