/**
 * Answering-machine detection: `npx tsx bench/amd.ts [--runs 3]`.
 *
 * Each fixture of `AMD_FIXTURES` (people answering; voicemail greetings with and without a beep, spoken
 * by espeak-ng at 8 kHz) is fed to `AnsweringMachineDetector` in 20 ms frames, as a call would deliver it,
 * twice: audio only (greeting length and shape, the beep), and audio + the greeting's transcript arriving
 * 300 ms after its first pause of 400 ms or more (the wording cue, as a streaming transcriber would give it).
 * Reports accuracy and time to decision (audio ms after the answer: median and worst), and the detector's
 * CPU cost per audio second (median of runs). Prints a table; asserts nothing.
 */
import { AnsweringMachineDetector, type AmdDecision } from '../src/amd/index.js';
import { AMD_FIXTURES, calleeAudio } from '../src/sandbox/index.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** When the first pause of `pauseMs` after speech ends (audio ms), or undefined. */
function firstPauseEnd(samples: Int16Array, pauseMs = 400): number | undefined {
  let speech = false;
  let quietMs = 0;
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    let sum = 0;
    for (let j = i; j < i + 160; j++) sum += samples[j]! * samples[j]!;
    const loud = Math.sqrt(sum / 160) > 500;
    if (loud) [speech, quietMs] = [true, 0];
    else if (speech && (quietMs += 20) >= pauseMs) return (i / 8) - pauseMs + 20;
  }
  return undefined;
}

function detect(samples: Int16Array, transcript?: { text: string; atMs: number }): AmdDecision {
  const detector = new AnsweringMachineDetector();
  for (let i = 0; i < samples.length; i += 160) {
    if (transcript && i / 8 >= transcript.atMs) detector.transcript(transcript.text);
    const decision = detector.push(samples.subarray(i, i + 160), 8000);
    if (decision) return decision;
  }
  return detector.result ?? { answeredBy: 'unknown', reason: 'timeout', atMs: samples.length / 8 };
}

const cases = await Promise.all(AMD_FIXTURES.map(async (f) => ({ ...f, samples: await calleeAudio(f.script) })));
type Row = { mode: string; name: string; expected: string; got: string; reason: string; atMs: number };
const rows: Row[] = [];
for (const mode of ['audio only', 'audio + wording'] as const) {
  for (const c of cases) {
    const pause = firstPauseEnd(c.samples);
    const transcript = mode === 'audio + wording' && pause !== undefined ? { text: c.text, atMs: pause + 300 } : undefined;
    const d = detect(c.samples, transcript);
    rows.push({ mode, name: c.name, expected: c.expected, got: d.answeredBy, reason: d.reason, atMs: d.atMs });
  }
}

const cpu: number[] = [];
const audioMs = cases.reduce((n, c) => n + c.samples.length / 8, 0);
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  for (const c of cases) {
    const detector = new AnsweringMachineDetector({ decisionTimeoutMs: Infinity });
    for (let i = 0; i < c.samples.length; i += 160) detector.push(c.samples.subarray(i, i + 160), 8000);
  }
  cpu.push(performance.now() - t0);
}

console.log('| mode | fixture | expected | decided | reason | at (ms) |\n|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.mode} | ${r.name} | ${r.expected} | ${r.got}${r.got === r.expected ? '' : ' ✗'} | ${r.reason} | ${r.atMs} |`);
console.log('\n| mode | accuracy | humans right | machines right | time to decision, median (worst) |\n|---|---|---|---|---|');
for (const mode of ['audio only', 'audio + wording']) {
  const mine = rows.filter((r) => r.mode === mode);
  const right = (kind?: string) => mine.filter((r) => (!kind || r.expected === kind) && r.got === r.expected).length;
  const count = (kind: string) => mine.filter((r) => r.expected === kind).length;
  const times = mine.map((r) => r.atMs);
  console.log(`| ${mode} | ${right()}/${mine.length} | ${right('human')}/${count('human')} | ${right('machine')}/${count('machine')} | ${median(times)} ms (${Math.max(...times)} ms) |`);
}
console.log(`\ndetector CPU: ${(median(cpu) / (audioMs / 1000)).toFixed(3)} ms per audio second (median of ${runs} runs over ${(audioMs / 1000).toFixed(1)} s of audio)`);
