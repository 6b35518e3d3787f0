/**
 * Latency benchmark: the same demo call through the seed's cascaded chain, the streaming cascaded chain
 * and the realtime chain, against the sandbox (in its own process) with the `typical` profile.
 *
 *   npx tsx bench/latency.ts [--runs 7] [--profile typical] [--seed 1] [--fixture fixtures/demo-call.wav]
 *                            [--scenario examples/scenarios/demo.json] [--out bench/results/latency.json]
 *
 * Per chain: end of speech -> first audio (median and p90; the default 7 runs of the 3-turn demo call give
 * each chain 21 turns), the split of that time into stages, and rxvoice's own overhead: first audio - end-of-turn silence - the provider latency the profile injected (see `injected`).
 * `typical` varies each request's latency around its medians (seeded, so a run repeats; see
 * src/sandbox/profiles.ts): `injected` and the overhead are then counted against the medians, so a turn's
 * overhead is noisy and only its median means something; `--profile typical-fixed` injects the medians
 * exactly, for measuring overhead.
 * Each chain first makes one warm-up call that is not counted (module loading, JIT, first sockets).
 * The client's CPU time per call and its event-loop delay are recorded too: the overhead is wall time, so on
 * a busy machine it includes waiting for a core, and those two figures tell the two apart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { readWavFile } from '../src/audio/wav.js';
import { fromPcm } from '../src/audio/sources.js';
import { buildChain, chainLabel, type ChainChoice } from '../src/cli/session.js';
import type { PipelineEvent } from '../src/events.js';
import { resolveEndpoints } from '../src/providers/env.js';
import { runCall, type CallResult } from '../src/runner/call.js';
import { formatTable, ms, quantile, summarize } from '../src/runner/report.js';
import { PROFILES } from '../src/sandbox/profiles.js';
import { tokenize as realtimeTokens } from '../src/sandbox/realtime/response.js';
import { splitTokens } from '../src/sandbox/tokens.js';
import type { LatencyProfile } from '../src/sandbox/types.js';
import { startSandboxProcess } from './sandbox-process.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    seed: { type: 'string', default: '1' },
    profile: { type: 'string', default: 'typical' },
    fixture: { type: 'string', default: 'fixtures/demo-call.wav' },
    scenario: { type: 'string', default: 'examples/scenarios/demo.json' },
    out: { type: 'string' },
  },
});
const runs = Number(values.runs);
const profile: LatencyProfile = PROFILES[values.profile as keyof typeof PROFILES];
if (!profile) throw new Error(`unknown profile ${values.profile} (known: ${Object.keys(PROFILES).join(', ')})`);

const CHAINS: readonly ChainChoice[] = [
  { pipeline: 'cascaded', mode: 'seed' },
  // Last round's streaming chain (transcription waits for the end of the turn), beside the preemptive one.
  { pipeline: 'cascaded', mode: 'streaming', preemptive: false },
  { pipeline: 'cascaded', mode: 'streaming' },
  { pipeline: 'realtime', tts: 'streamed' },
  // The seed's "realtime ~1 s": the model speaks itself, no separate text-to-speech.
  { pipeline: 'realtime', tts: 'model' },
];

/** The vad's padding before speech and the pipelines' preemptive pause (operators/vad.ts defaults, pipelines' pauseMs). */
const PRE_PADDING_MS = 300;
const PREEMPTIVE_PAUSE_MS = 200;

/** The realtime sandbox sends model audio in 100 ms chunks at 4x real time (src/sandbox/realtime/response.ts). */
const MODEL_AUDIO_FIRST_CHUNK_MS = 100 / 4;

/** One turn, all times in ms from the true end of the caller's speech. */
interface TurnSample {
  /** The first text the chain emitted (a segment in streaming chains) and the whole reply, for checking `injected`. */
  firstText: string;
  reply: string;
  endpointMs: number;
  firstTextMs?: number;
  firstAudioMs?: number;
  /** Cascaded only: the final transcript (realtime transcribes off the critical path). */
  transcriptMs?: number;
  /** Provider time the profile put between the end-of-turn decision and the first text, then the first audio. */
  injectedTextMs: number;
  injectedAudioMs: number;
  /** (first text - end-of-turn) - injected text time; (first audio - first text) - injected audio time. */
  overheadTextMs?: number;
  overheadAudioMs?: number;
  overheadMs?: number;
  /** The synthesizer's own request -> first byte, from the chain's `tts_first_byte` metric. */
  ttsSinceRequestMs?: number;
}

/** How long a paced stream takes to deliver `text`, given where its first token lands (0: at the start, 1: one gap in). */
function pacingMs(text: string, reply: string, tokensPerSecond: number, firstTokenGaps: 0 | 1, segmented: boolean): number {
  // Chat completions stream word pieces (src/sandbox/tokens.ts); the realtime sandbox streams whole words.
  const split = firstTokenGaps === 0 ? splitTokens : realtimeTokens;
  if (tokensPerSecond <= 0) return 0;
  const gap = 1000 / tokensPerSecond;
  const all = split(reply).length;
  if (!segmented) return firstTokenGaps * gap; // the first raw delta
  const k = split(text).length;
  // `sentences` needs the token after a segment to know it ended; the reply's last segment waits for the end.
  // Chat completions: token i at i gaps, the finish one gap after the last; realtime: token i at i + 1 gaps.
  if (k >= all) return all * gap;
  return (k + firstTokenGaps) * gap;
}

/**
 * The provider latency the sandbox profile injects on a turn's critical path (the sandbox paces its token
 * streams from one origin, so timer lateness does not add up; see src/sandbox/time.ts `pacer`).
 */
function injected(choice: ChainChoice, firstText: string, segmented: boolean, reply: string, uploadSeconds: number): { text: number; audio: number } {
  if (choice.pipeline === 'cascaded') {
    const transcribeMs = profile.transcribe.afterUploadMs + (profile.transcribe.perAudioSecondMs ?? 0) * uploadSeconds;
    const text = transcribeMs + profile.chat.firstTokenMs + pacingMs(firstText, reply, profile.chat.tokensPerSecond, 0, segmented);
    // The seed speaks the whole reply: its text-to-speech waits for the end of the stream.
    const rest = choice.mode === 'seed' ? pacingMs(reply, reply, profile.chat.tokensPerSecond, 0, true) : 0;
    return { text, audio: rest + profile.tts.firstByteMs };
  }
  if (choice.tts === 'model') {
    // The first audio chunk follows the response start by one paced chunk; the transcript runs alongside.
    return { text: profile.realtime.responseStartMs, audio: profile.realtime.tokensPerSecond > 0 ? MODEL_AUDIO_FIRST_CHUNK_MS : 0 };
  }
  const text = profile.realtime.responseStartMs + pacingMs(firstText, reply, profile.realtime.tokensPerSecond, 1, segmented);
  const rest = choice.tts === 'final' ? pacingMs(reply, reply, profile.realtime.tokensPerSecond, 1, true) - (text - profile.realtime.responseStartMs) : 0;
  return { text, audio: rest + profile.tts.firstByteMs };
}

function samplesOf(choice: ChainChoice, result: CallResult): TurnSample[] {
  return result.turns.map((turn) => {
    const mine = (e: PipelineEvent): boolean => 'turnId' in e && e.turnId === turn.turnId;
    const first = result.events.find((e) => e.event.type === 'assistant.text' && mine(e.event))?.event;
    const firstText = first?.type === 'assistant.text' ? first.delta : '';
    const segmented = first?.type === 'assistant.text' && first.segment === true;
    const ttsMetric = result.events.find((e) => e.event.type === 'metric' && e.event.name === 'tts_first_byte' && mine(e.event))?.event;
    const sinceRequest = ttsMetric?.type === 'metric' ? ttsMetric.detail?.sinceRequestMs : undefined;
    const endpointMs = turn.endpointMs ?? 0;
    const started = result.events.find((e) => e.event.type === 'speech.started' && mine(e.event))?.event;
    const speechMs = started?.type === 'speech.started' ? turn.speechEndAudioMs - started.audioMs : 0;
    // The upload the transcription's time grows with: padding, the speech, then the silence up to where the
    // upload ended (the preemptive pause, or the end-of-turn silence).
    const preemptive = choice.preemptive ?? (choice.mode ?? 'streaming') === 'streaming';
    const uploadSeconds = (PRE_PADDING_MS + speechMs + (preemptive ? PREEMPTIVE_PAUSE_MS : endpointMs)) / 1000;
    const inj = injected(choice, firstText, segmented, turn.reply, uploadSeconds);
    const sample: TurnSample = { firstText, reply: turn.reply, endpointMs, injectedTextMs: inj.text, injectedAudioMs: inj.audio };
    if (choice.pipeline === 'cascaded' && turn.transcriptMs !== undefined) sample.transcriptMs = turn.transcriptMs;
    if (typeof sinceRequest === 'number') sample.ttsSinceRequestMs = sinceRequest;
    if (turn.firstTokenMs !== undefined) {
      sample.firstTextMs = turn.firstTokenMs;
      sample.overheadTextMs = turn.firstTokenMs - endpointMs - inj.text;
    }
    if (turn.firstAudioMs !== undefined) {
      sample.firstAudioMs = turn.firstAudioMs;
      sample.overheadMs = turn.firstAudioMs - endpointMs - inj.text - inj.audio;
      if (turn.firstTokenMs !== undefined) sample.overheadAudioMs = turn.firstAudioMs - turn.firstTokenMs - inj.audio;
    }
    return sample;
  });
}

interface ChainResult {
  chain: string;
  turns: TurnSample[];
  expectedTurns: number;
  /** Client process CPU ms per measured call (VAD inference included), and its event-loop delay p99. */
  cpuMsPerCall: number[];
  loopDelayP99Ms: number[];
}

const audio = await readWavFile(values.fixture);
const warmUp = await readWavFile('fixtures/one-sentence.wav');
const sandbox = await startSandboxProcess(['--profile', profile.name, '--seed', values.seed, '--scenario', values.scenario]);
const endpoints = resolveEndpoints({}, sandbox.url);
const results: ChainResult[] = [];
const call = async (choice: ChainChoice, samples: Int16Array, rate: number): Promise<CallResult> =>
  runCall({ frames: fromPcm(samples, rate, { realtime: true }), pipeline: await buildChain(choice, endpoints), idleAfterInputMs: 2000 });
try {
  for (const choice of CHAINS) {
    await call(choice, warmUp.samples, warmUp.sampleRate);
    const chain: ChainResult = { chain: chainLabel(choice), turns: [], expectedTurns: 0, cpuMsPerCall: [], loopDelayP99Ms: [] };
    for (let run = 0; run < runs; run++) {
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const cpu = process.cpuUsage();
      const result = await call(choice, audio.samples, audio.sampleRate);
      const used = process.cpuUsage(cpu);
      loop.disable();
      chain.cpuMsPerCall.push((used.user + used.system) / 1000);
      chain.loopDelayP99Ms.push(loop.percentile(99) / 1e6);
      chain.turns.push(...samplesOf(choice, result));
      chain.expectedTurns += 3;
      process.stderr.write(`${chain.chain}: run ${run + 1}/${runs}, ${result.turns.filter((t) => t.firstAudioMs !== undefined).length} replies with audio\n`);
    }
    results.push(chain);
  }
} finally {
  await sandbox.close();
}

const med = (xs: readonly (number | undefined)[]): number | undefined => summarize(xs).median;
const p90 = (xs: readonly (number | undefined)[]): number | undefined => {
  const sorted = xs.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  return sorted.length ? quantile(sorted, 0.9) : undefined;
};
const seedMedian = med(results[0]!.turns.map((t) => t.firstAudioMs));
const latencyRows = results.map(({ chain, turns, expectedTurns }) => {
  const first = summarize(turns.map((t) => t.firstAudioMs));
  return [
    chain,
    `${first.n}/${expectedTurns}`,
    ms(first.median),
    ms(p90(turns.map((t) => t.firstAudioMs))),
    ms(med(turns.map((t) => t.injectedTextMs + t.injectedAudioMs + t.endpointMs))),
    ms(med(turns.map((t) => t.overheadMs))),
    seedMedian && first.median ? `${(first.median / seedMedian).toFixed(2)}x` : '-',
  ];
});
const stageRows = results.map(({ chain, turns }) => [
  chain,
  ms(med(turns.map((t) => t.endpointMs))),
  ms(med(turns.map((t) => t.transcriptMs))),
  ms(med(turns.map((t) => t.firstTextMs))),
  ms(med(turns.map((t) => t.injectedTextMs))),
  ms(med(turns.map((t) => t.overheadTextMs))),
  ms(med(turns.map((t) => (t.firstAudioMs === undefined || t.firstTextMs === undefined ? undefined : t.firstAudioMs - t.firstTextMs)))),
  ms(med(turns.map((t) => t.ttsSinceRequestMs))),
  ms(med(turns.map((t) => t.injectedAudioMs))),
  ms(med(turns.map((t) => t.overheadAudioMs))),
]);
const clientRows = results.map(({ chain, cpuMsPerCall, loopDelayP99Ms }) => [
  chain,
  ms(med(cpuMsPerCall)),
  `${((med(cpuMsPerCall) ?? 0) / (audio.samples.length / audio.sampleRate) / 10).toFixed(2)} %`,
  `${(med(loopDelayP99Ms) ?? 0).toFixed(1)} ms`,
]);
const tables = [
  formatTable(['chain', 'turns', 'first audio p50', 'p90', 'floor (silence + injected)', 'own overhead p50', 'vs seed'], latencyRows),
  formatTable(
    ['chain', 'end-of-turn silence', 'transcript', 'first text', 'injected to text', 'overhead to text', 'text -> audio', 'tts request -> byte', 'injected to audio', 'overhead to audio'],
    stageRows,
  ),
  formatTable(['chain', 'client CPU per call', 'CPU per audio second', 'event-loop delay p99'], clientRows),
];
const header = `profile ${profile.name} (seed ${values.seed}), scenario ${values.scenario}, ${runs} runs of ${values.fixture} per chain (after one warm-up call); medians over all turns, ms from the true end of speech`;
process.stdout.write(`\n${header}\n\n${tables.join('\n\n')}\n`);
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(values.out, `${JSON.stringify({ machine, profile, seed: Number(values.seed), runs, fixture: values.fixture, scenario: values.scenario, results, tables }, null, 2)}\n`);
}
