/**
 * Where a `node --cpu-prof` profile's time went, in the categories of docs/perf.md's per-call-second
 * breakdown: self time of every sampled frame, bucketed by script URL and function name.
 *
 *   npx tsx bench/profile-summary.ts PROFILE.cpuprofile [--call-seconds S]
 *
 * With `--call-seconds` (calls x seconds per call of the profiled run) each bucket is also given in ms per
 * call-second. Main thread only: a worker thread writes its own profile file (summarise it the same way).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const BUCKETS: readonly [string, (url: string, fn: string) => boolean][] = [
  ['GC', (_u, f) => f === '(garbage collector)'],
  ['idle', (_u, f) => f === '(idle)' || f === '(program)'],
  ['VAD model (onnxruntime, src/vad)', (u) => /onnxruntime|\/src\/vad\//.test(u)],
  ['worker messaging', (_u, f) => /postMessage|onmessage|structuredClone/.test(f)],
  ['resampling and conversion (src/audio)', (u) => /\/src\/audio\//.test(u)],
  ['RxJS', (u) => /node_modules\/rxjs\//.test(u)],
  ['sockets (ws, undici, net, http, tls)', (u) => /node_modules\/(ws|undici)\/|node:(net|http|_http|tls|stream|internal\/stream)|internal\/(streams|deps\/undici)/.test(u)],
  ['JSON', (_u, f) => /JSON|parse|stringify/.test(f)],
  ['timers', (u, f) => /timers/.test(u) || /setTimeout|setImmediate|processTimers|listOnTimeout/.test(f)],
  ['providers (src/providers)', (u) => /\/src\/providers\//.test(u)],
  ['operators and the rest of rxvoice', (u) => /\/(src|operators|pipelines)\//.test(u)],
  ['benchmark harness (bench/)', (u) => /\/bench\//.test(u)],
  ['other (node internals, natives)', () => true],
];

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'call-seconds': { type: 'string' } } });
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]!)!;
  const bucket = BUCKETS.find(([, test]) => test(node.callFrame.url, node.callFrame.functionName))![0];
  selfUs.set(bucket, (selfUs.get(bucket) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const busyUs = [...selfUs].filter(([b]) => b !== 'idle').reduce((s, [, us]) => s + us, 0);
const callSeconds = values['call-seconds'] ? Number(values['call-seconds']) : undefined;
process.stdout.write(`busy ${(busyUs / 1000).toFixed(0)} ms of main thread\n`);
for (const [bucket] of BUCKETS) {
  const us = selfUs.get(bucket) ?? 0;
  if (bucket === 'idle' || us === 0) continue;
  const perCallSecond = callSeconds ? `  ${(us / 1000 / callSeconds).toFixed(3)} ms per call-second` : '';
  process.stdout.write(`${bucket.padEnd(42)} ${((us / busyUs) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms${perCallSecond}\n`);
}
