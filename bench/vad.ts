/**
 * Silero vad throughput: `npx tsx bench/vad.ts [--runs 5] [--streams 1,10,50,100] [--paced 100] [--seconds 12]`.
 *
 * 0. `--paced N` (alone: only this part): N streams paced at real time (20 ms frames, start times spread over
 *    one 20 ms frame by one process-wide clock), energy gate on and off interleaved in the same run, 3 runs
 *    each: CPU per stream-second (process.cpuUsage: main thread + the model's worker thread; the main thread
 *    alone from /proc/self/task, 10 ms ticks), push latency
 *    p99, windows the model ran, and the gated / ungated CPU ratio.
 *
 * 1. Real-time factor of one stream: processing time / audio time over the 20 s fixture (8 kHz mu-law, so
 *    the resampler is included), through `createSpeechDetector` (the same engine as the `vad` operator).
 * 2. Many concurrent streams (all sharing the one InferenceSession, each with its own state): wall time and
 *    CPU time to get through the same audio; "streams per core" = audio seconds per CPU second.
 * Medians of several runs. Prints a table; asserts nothing.
 */
import { cpus, loadavg } from 'node:os';
import { framesOf } from '../src/audio/sources.js';
import type { AudioFrame } from '../src/audio/frame.js';
import { createSpeechDetector } from '../src/vad/detector.js';
import { loadFixture } from '../src/testing/index.js';
import { threadCpuMeter } from './proc-cpu.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const runs = Number(opt('runs', '5'));
const paced = args.includes('--paced') ? Number(opt('paced', '100')) : undefined;
const pacedSeconds = Number(opt('seconds', '12'));
/** `--gate off` or `--gate on`: only that variant (for --cpu-prof); default both. */
const onlyGate = opt('gate', 'both');
const streamCounts = opt('streams', '1,10,50,100').split(',').map(Number);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function loadFrames(name: string): Promise<{ frames: AudioFrame[]; audioMs: number }> {
  const fixture = await loadFixture(name);
  const wav = await fixture.read();
  const rate = wav.sampleRate as AudioFrame['sampleRate'];
  return { frames: framesOf(wav.samples, rate, 20), audioMs: (wav.samples.length * 1000) / rate };
}

/** Runs `streams` detectors over the frames, frame by frame in lockstep (as concurrent calls would arrive). */
async function runStreams(frames: AudioFrame[], streams: number): Promise<{ wallMs: number; cpuMs: number; utterances: number }> {
  const detectors = Array.from({ length: streams }, () => createSpeechDetector());
  // Warm-up: the model loads once per process.
  await detectors[0]!.push(frames[0]!);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let utterances = 0;
  for (let i = 1; i < frames.length; i++) {
    const results = await Promise.all(detectors.map((d) => d.push(frames[i]!)));
    utterances += results.flat().filter((t) => t.type === 'start').length;
  }
  await Promise.all(detectors.map((d) => d.end()));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(detectors.map((d) => d.release()));
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, utterances: utterances / streams };
}

/** N detectors fed at real time; CPU over the whole run (after one warm-up frame each). */
type PacedResult = { cpuMsPerStreamS: number; mainMsPerStreamS: number; p99Ms: number; windowsRun: number };

async function runPaced(frames: AudioFrame[], streams: number, energyGate: boolean): Promise<PacedResult> {
  const detectors = Array.from({ length: streams }, () => createSpeechDetector({ energyGate }));
  await Promise.all(detectors.map((d) => d.push(frames[0]!)));
  const { VAD_BATCH_CHANNEL } = await import('../src/vad/silero.js');
  const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
  let windowsRun = 0;
  const count = (m: unknown) => (windowsRun += (m as { windows: number }).windows);
  subscribe(VAD_BATCH_CHANNEL, count);
  const latencies: number[] = [];
  const groups = 4; // stream i pushes at offset (i % 4) * 5 ms within each 20 ms frame
  const cpu0 = process.cpuUsage();
  const threads = threadCpuMeter();
  const t0 = performance.now();
  let tick = 0;
  const pending: Promise<unknown>[] = [];
  await new Promise<void>((done) => {
    const step = () => {
      const frame = Math.floor(tick / groups) + 1;
      if (frame >= frames.length) return done();
      const g = tick % groups;
      for (let i = g; i < streams; i += groups) {
        const pushed = performance.now();
        pending.push(detectors[i]!.push(frames[frame]!).then(() => latencies.push(performance.now() - pushed)));
      }
      tick++;
      // One clock for every stream, corrected against the start time (no drift).
      setTimeout(step, Math.max(0, t0 + (tick * 20) / groups - performance.now()));
    };
    step();
  });
  await Promise.all(pending);
  await Promise.all(detectors.map((d) => d.end()));
  const cpu = process.cpuUsage(cpu0);
  const mainMs = threads().get('main') ?? Number.NaN;
  unsubscribe(VAD_BATCH_CHANNEL, count);
  await Promise.all(detectors.map((d) => d.release()));
  const audioS = ((frames.length - 1) * 20 * streams) / 1000;
  latencies.sort((a, b) => a - b);
  return { cpuMsPerStreamS: (cpu.user + cpu.system) / 1000 / audioS, mainMsPerStreamS: mainMs / audioS, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0, windowsRun };
}

if (paced !== undefined) {
  const call = await loadFrames('call-3turns');
  const frames = call.frames.slice(0, Math.min(call.frames.length, Math.round((pacedSeconds * 1000) / 20) + 1));
  await runPaced(frames.slice(0, 50), paced, true); // warm-up: model, worker, JIT
  const results: Record<'gated' | 'ungated', PacedResult[]> = { gated: [], ungated: [] };
  for (let r = 0; r < 3; r++) {
    if (onlyGate !== 'on') results.ungated.push(await runPaced(frames, paced, false));
    if (onlyGate !== 'off') results.gated.push(await runPaced(frames, paced, true));
  }
  if (onlyGate !== 'both') {
    const only = results[onlyGate === 'on' ? 'gated' : 'ungated'];
    console.log(`gate ${onlyGate}: ${only.map((x) => x.cpuMsPerStreamS.toFixed(2)).join(' / ')} ms CPU per stream-second (main thread ${only.map((x) => x.mainMsPerStreamS.toFixed(2)).join(' / ')})`);
    process.exit(0);
  }
  const row = (name: 'gated' | 'ungated') => ({
    'energy gate': name === 'gated' ? 'on (default)' : 'off',
    streams: paced,
    'CPU ms per stream-second': +median(results[name].map((x) => x.cpuMsPerStreamS)).toFixed(2),
    'runs (ms/stream-s)': results[name].map((x) => x.cpuMsPerStreamS.toFixed(2)).join(' / '),
    'main thread ms/stream-s': +median(results[name].map((x) => x.mainMsPerStreamS)).toFixed(2),
    'push latency p99 ms': +median(results[name].map((x) => x.p99Ms)).toFixed(1),
    'model windows per stream': Math.round(median(results[name].map((x) => x.windowsRun)) / paced),
  });
  console.log(`${paced} paced streams, ${(frames.length - 1) * 0.02} s of call-3turns (16 kHz), medians of 3 interleaved runs; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.table([row('ungated'), row('gated')]);
  const ratio = median(results.gated.map((g, i) => g.cpuMsPerStreamS / results.ungated[i]!.cpuMsPerStreamS));
  console.log(`gated / ungated CPU (median of per-run ratios): ${ratio.toFixed(2)}`);
  process.exit(0);
}

const rows: Record<string, string | number>[] = [];
const long = await loadFrames('long-utterance');
const call = await loadFrames('call-3turns');

{
  const samples: { wallMs: number; cpuMs: number }[] = [];
  for (let r = 0; r < runs; r++) samples.push(await runStreams(long.frames, 1));
  const wall = median(samples.map((s) => s.wallMs));
  const cpu = median(samples.map((s) => s.cpuMs));
  rows.push({
    case: 'one stream, 20 s 8 kHz mu-law',
    streams: 1,
    'audio s': +(long.audioMs / 1000).toFixed(1),
    'wall ms': Math.round(wall),
    'cpu ms': Math.round(cpu),
    'RTF (wall)': +(wall / long.audioMs).toFixed(4),
    'streams/core': Math.floor(long.audioMs / cpu),
  });
}

for (const n of streamCounts) {
  const samples: { wallMs: number; cpuMs: number }[] = [];
  for (let r = 0; r < Math.max(1, Math.min(runs, n >= 100 ? 3 : runs)); r++) samples.push(await runStreams(call.frames, n));
  const wall = median(samples.map((s) => s.wallMs));
  const cpu = median(samples.map((s) => s.cpuMs));
  rows.push({
    case: `${n} concurrent, 12.9 s 16 kHz call`,
    streams: n,
    'audio s': +((call.audioMs * n) / 1000).toFixed(1),
    'wall ms': Math.round(wall),
    'cpu ms': Math.round(cpu),
    'RTF (wall)': +(wall / call.audioMs).toFixed(4),
    'streams/core': Math.floor((call.audioMs * n) / cpu),
  });
}

console.log(`Silero VAD v4 (onnxruntime-node, 1 intra-op thread, one shared session), ${cpus().length} cores: ${cpus()[0]?.model ?? '?'}`);
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}: wall times grow with other load on the machine; CPU time does not`);
console.log(`median of ${runs} runs (3 for >= 100 streams); RTF < 1 keeps up with real time; streams/core = audio s per CPU s`);
console.table(rows);
