/**
 * rxvoice's VAD vs LiveKit agents-js' Silero plugin, side by side:
 *   npx tsx bench/compare-livekit/run.ts [--streams 25,50,100,200] [--seconds 20] [--out bench/results/vad-vs-livekit]
 * (or `npm run bench:livekit`, which installs this folder's dependencies first).
 *
 * Each (engine, stream count) runs in its own child process (child.ts), one after the other, so both get the
 * same layout: one Node process, the same demo-call.wav frames at the same real-time pacing. Then one child
 * per engine runs every fixture once to list the speech segments each finds. Writes <out>.json and <out>.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPARABLE, type EngineName, type Segment } from './engines.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const counts = opt('streams', '25,50,100,200').split(',').map(Number);
const seconds = Number(opt('seconds', '20'));
const out = opt('out', join(root, 'bench', 'results', 'vad-vs-livekit'));
const engines: EngineName[] = ['rxvoice', 'livekit'];
/** One 32 ms window (the brief's tolerance) plus one LiveKit window: its 0.35 exponential filter on p lags the raw crossing by about one. */
const TOLERANCE_MS = 32 + 32;

interface LoadResult {
  engine: EngineName;
  streams: number;
  cpuMsPerStreamSecond: number;
  lagMs: { p50: number; p99: number; max: number };
  windowsDecided: number;
  windowsExpected: number;
  drainMs: number;
  pacedWallMs?: number;
  lateTicks: number;
  rssBaseMiB: number;
  rssPeakMiB: number;
  rssPerStreamMiB: number;
  loadavg: number[];
}
type SegmentsResult = { engine: EngineName; fixtures: Record<string, { segments: Segment[]; expected: { startMs: number; endMs: number }[] }> };

function child<T>(childArgs: string[]): T {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, 'child.ts'), ...childArgs], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{"engine"')).pop();
  if (r.status !== 0 || !line) throw new Error(`child ${childArgs.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as T;
}

const loadBefore = loadavg();
const load: LoadResult[] = [];
for (const n of counts) {
  for (const engine of engines) {
    process.stderr.write(`${engine} ${n} streams x ${seconds} s ...\n`);
    load.push(child<LoadResult>(['--engine', engine, '--streams', String(n), '--seconds', String(seconds)]));
  }
}
process.stderr.write('segments ...\n');
const seg = Object.fromEntries(engines.map((e) => [e, child<SegmentsResult>(['--engine', e, '--segments']).fixtures])) as Record<EngineName, SegmentsResult['fixtures']>;
const loadAfter = loadavg();

const agreement = Object.keys(seg.rxvoice).map((fixture) => {
  const a = seg.rxvoice[fixture]!.segments;
  const b = seg.livekit[fixture]?.segments ?? [];
  const pairs = a.map((x, i) => ({ rx: x, lk: b[i], dStart: b[i] ? b[i]!.startMs - x.startMs : NaN, dEnd: b[i] ? b[i]!.endMs - x.endMs : NaN }));
  const agree = a.length === b.length && pairs.every((p) => Math.abs(p.dStart) <= TOLERANCE_MS && Math.abs(p.dEnd) <= TOLERANCE_MS);
  return { fixture, expected: seg.rxvoice[fixture]!.expected, rxvoice: a, livekit: b, dStartMs: pairs.map((p) => p.dStart), dEndMs: pairs.map((p) => p.dEnd), agree };
});

const version = (dir: string) => {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'absent';
  }
};
const versions = {
  'rxvoice onnxruntime-node': version(join(root, 'node_modules', 'onnxruntime-node')),
  '@livekit/agents-plugin-silero': version(join(here, 'node_modules', '@livekit', 'agents-plugin-silero')),
  '@livekit/agents': version(join(here, 'node_modules', '@livekit', 'agents')),
  'LiveKit onnxruntime-node': version(join(here, 'node_modules', 'onnxruntime-node')),
};
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const segs = (s: Segment[]) => (s.length ? s.map((x) => `${x.startMs}-${x.endMs}${x.openAtEnd ? '*' : ''}`).join(', ') : 'none');
const md: string[] = [
  `# rxvoice VAD vs LiveKit agents-js Silero plugin`,
  '',
  `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')} (a shared machine: other load inflates lag, not much CPU time).`,
  `Versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
  `Each row: one Node process, N streams of fixtures/demo-call.wav (16 kHz) paced at real time in 20 ms frames for ${seconds} s (one clock, starts spread over 4 slots of 5 ms, stream i starts 53*i frames in).`,
  '',
  '| streams | engine | CPU ms per stream-second | lag p50 ms | lag p99 ms | lag max ms | windows decided | late clock ticks | wall s to push the audio | RSS per stream MiB | RSS base MiB |',
  '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...load.map((r) => `| ${r.streams} | ${r.engine} | ${fmt(r.cpuMsPerStreamSecond, 2)} | ${fmt(r.lagMs.p50)} | ${fmt(r.lagMs.p99)} | ${fmt(r.lagMs.max)} | ${r.windowsDecided}/${r.windowsExpected} | ${r.lateTicks} | ${fmt((r.pacedWallMs ?? NaN) / 1000)} / ${seconds} | ${fmt(r.rssPerStreamMiB, 2)} | ${fmt(r.rssBaseMiB, 0)} |`),
  '',
  'CPU: process.cpuUsage (every thread) from the first paced frame until every window is decided, / (streams x seconds). Lag: for every 512-sample window, the time its decision reached the caller minus the time the 20 ms frame holding its last sample was due. Windows decided: within 10 s after the audio ended (an engine behind real time leaves the rest undecided; its lag percentiles then leave them out, so they understate). Late clock ticks: pacing ticks that fired over 20 ms late (the process\'s event loop was busy); wall s to push the audio above the audio\'s length: the process fell behind real time, and its lag grows through the run (frames are still due on the ideal clock, as a caller\'s would be). RSS per stream: (peak RSS during the run - RSS after the model\'s warm-up) / streams.',
  '',
  `## Speech segments (ms), tolerance ${TOLERANCE_MS} ms`,
  '',
  `Both configured alike: threshold ${COMPARABLE.threshold} (rxvoice positiveThreshold, LiveKit activationThreshold), minimum speech ${COMPARABLE.minSpeechMs} ms, end-of-turn silence ${COMPARABLE.silenceMs} ms, padding ${COMPARABLE.paddingMs} ms (audio kept before speech; does not move the times). Not alike, by design of each: rxvoice ends speech below ${COMPARABLE.negativeThreshold} (hysteresis), LiveKit below ${COMPARABLE.threshold} after a 0.35 exponential filter on p; rxvoice runs Silero v4, LiveKit Silero v5 (each bundles its own model). Start = first speech window, end = end of the last speech window. * = still open at the end of the file (rxvoice closes it: end_of_stream; LiveKit reports nothing, shown at the end of its last window over the threshold).`,
  '',
  '| fixture | labelled | rxvoice | LiveKit | start diff (LK - rx) | end diff | agree |',
  '|---|---|---|---|---|---|---|',
  ...agreement.map((a) => `| ${a.fixture} | ${segs(a.expected)} | ${segs(a.rxvoice)} | ${segs(a.livekit)} | ${a.dStartMs.join(', ') || '-'} | ${a.dEndMs.join(', ') || '-'} | ${a.agree ? 'yes' : 'no'} |`),
  '',
  `Reproduce: \`npm run bench:livekit\` (or \`npx tsx bench/compare-livekit/run.ts --streams ${counts.join(',')} --seconds ${seconds}\`).`,
  '',
];
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.json`, `${JSON.stringify({ versions, seconds, loadavgBefore: loadBefore, loadavgAfter: loadAfter, tolerance: TOLERANCE_MS, config: COMPARABLE, load, agreement }, null, 2)}\n`);
writeFileSync(`${out}.md`, md.join('\n'));
process.stdout.write(md.join('\n'));
