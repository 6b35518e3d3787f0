/**
 * Silero vad throughput: `npx tsx bench/vad.ts [--runs 5] [--streams 1,10,50,100]`.
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

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const runs = Number(opt('runs', '5'));
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
