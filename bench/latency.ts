/**
 * Latency benchmark: the same demo call through every chain side by side (the seed's cascaded chain, last
 * round's streaming cascaded, streaming cascaded as it ships, realtime with ElevenLabs and with the model's
 * voice, each without and with preemption), in the same run, same audio, same profile, against the sandbox
 * in its own process.
 *
 *   npx tsx bench/latency.ts [--runs 7] [--profile typical] [--chains seed,streaming,...] [--seed 1]
 *                            [--fixture fixtures/demo-call.wav] [--scenario examples/scenarios/demo.json]
 *                            [--out bench/results/latency.json]
 *
 * Per chain: end of speech -> first audio, median and p90 (the default 7 runs of the 3-turn demo call give
 * each chain 21 turns); the chain's FLOOR (src/runner/floor.ts: per turn, the shortest pause the end of turn
 * can act on + the latencies the sandbox reports it injected, GET /sandbox/stats, for the turn's requests in
 * sequence; then the median) and measure/floor; wasted requests per turn (speculative requests discarded /
 * turns, from the `speculation` metrics), speculative requests started and every request served per turn.
 * Then the split into stages and the client's CPU time and event-loop delay (the overhead is wall time, so
 * on a busy machine it includes waiting for a core; those two figures tell the two apart).
 * Each chain first makes one warm-up call that is not counted (module loading, JIT, first sockets).
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
import { fetchInjections, PREEMPTIVE_PAUSE_MS, speculationCounts, turnFloor, type FloorChain } from '../src/runner/floor.js';
import { formatTable, ms, quantile, summarize } from '../src/runner/report.js';
import type { InjectionRecord } from '../src/sandbox/latency.js';
import { PROFILES } from '../src/sandbox/profiles.js';
import type { LatencyProfile } from '../src/sandbox/types.js';
import { startSandboxProcess } from './sandbox-process.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    seed: { type: 'string', default: '1' },
    profile: { type: 'string', default: 'typical' },
    chains: { type: 'string' },
    fixture: { type: 'string', default: 'fixtures/demo-call.wav' },
    scenario: { type: 'string', default: 'examples/scenarios/demo.json' },
    out: { type: 'string' },
  },
});
const runs = Number(values.runs);
const profile: LatencyProfile = PROFILES[values.profile as keyof typeof PROFILES];
if (!profile) throw new Error(`unknown profile ${values.profile} (known: ${Object.keys(PROFILES).join(', ')})`);

/** A chain the benchmark runs: its `--chains` id, how to build it, what its floor counts, its target. */
interface ChainSpec {
  readonly id: string;
  readonly choice: ChainChoice;
  readonly floor: FloorChain;
  /** The target on `typical` (BENCHMARKS.md), shown beside the measure. */
  readonly target: string;
}

const cascadedFloor = { pipeline: 'cascaded', modelVoice: false } as const;
const realtimeFloor = { pipeline: 'realtime', wholeText: false } as const;
const CHAINS: readonly ChainSpec[] = [
  // The original design: the vad's fixed silence, then transcription, then the whole reply, then speech.
  { id: 'seed', choice: { pipeline: 'cascaded', mode: 'seed' }, floor: { ...cascadedFloor, wholeText: true, preemptive: false, turnDetector: false }, target: 'original design: 2-3 s' },
  // Last round's streaming chain: no preemption, no turn detection (transcription waits for the end of the turn).
  { id: 'streaming-last', choice: { pipeline: 'cascaded', mode: 'streaming', preemptive: false }, floor: { ...cascadedFloor, wholeText: false, preemptive: false, turnDetector: false }, target: '-' },
  // As it ships: preemptive at the 200 ms pause, the turn detector deciding the end of turn.
  { id: 'streaming', choice: { pipeline: 'cascaded', mode: 'streaming' }, floor: { ...cascadedFloor, wholeText: false, preemptive: true, turnDetector: true }, target: '<= 1.3 s, within 5 % of floor' },
  { id: 'realtime-el-last', choice: { pipeline: 'realtime', tts: 'streamed', preemptive: false }, floor: { ...realtimeFloor, modelVoice: false, preemptive: false, turnDetector: false }, target: '-' },
  { id: 'realtime-el', choice: { pipeline: 'realtime', tts: 'streamed' }, floor: { ...realtimeFloor, modelVoice: false, preemptive: true, turnDetector: true }, target: 'within 5 % of floor' },
  // The original design's "realtime ~1 s": the model speaks itself, no separate text-to-speech.
  { id: 'realtime-model-last', choice: { pipeline: 'realtime', tts: 'model', preemptive: false }, floor: { ...realtimeFloor, modelVoice: true, preemptive: false, turnDetector: false }, target: 'original design: ~1 s' },
  { id: 'realtime-model', choice: { pipeline: 'realtime', tts: 'model' }, floor: { ...realtimeFloor, modelVoice: true, preemptive: true, turnDetector: true }, target: '<= 0.85 s, within 5 % of floor' },
];
const picked = values.chains?.split(',').filter(Boolean) ?? CHAINS.map((c) => c.id);
for (const id of picked) if (!CHAINS.some((c) => c.id === id)) throw new Error(`unknown chain ${id} (known: ${CHAINS.map((c) => c.id).join(', ')})`);
const chains = CHAINS.filter((c) => picked.includes(c.id));

/** The vad's padding before speech (operators/vad.ts default): part of the upload transcription's time grows with. */
const PRE_PADDING_MS = 300;

/** One turn, all times in ms from the true end of the caller's speech. */
interface TurnSample {
  /** The first text the chain emitted (a segment in streaming chains) and the whole reply. */
  firstText: string;
  reply: string;
  endpointMs: number;
  firstTextMs?: number;
  firstAudioMs?: number;
  /** Cascaded only: the final transcript (realtime transcribes off the critical path). */
  transcriptMs?: number;
  /** The turn's floor (src/runner/floor.ts): from the latencies the sandbox reports it injected. */
  floorMs?: number;
  /** Provider time the sandbox injected on the critical path up to the first text, then to the first audio. */
  injectedTextMs?: number;
  injectedAudioMs?: number;
  /** The profile's medians for the same requests (what `typical-fixed` would inject), for comparison. */
  medianInjectedMs: number;
  /** (first text - pause) - injected text time; (first audio - first text) - injected audio time. */
  overheadTextMs?: number;
  overheadAudioMs?: number;
  overheadMs?: number;
  /** The synthesizer's own request -> first byte, from the chain's `tts_first_byte` metric. */
  ttsSinceRequestMs?: number;
}

/** The profile's medians for a turn's sequential requests (transcription grows with the uploaded audio). */
function medianInjected(chain: ChainSpec, uploadSeconds: number): number {
  if (chain.choice.pipeline === 'cascaded') {
    return profile.transcribe.afterUploadMs + (profile.transcribe.perAudioSecondMs ?? 0) * uploadSeconds + profile.chat.firstTokenMs + profile.tts.firstByteMs;
  }
  return profile.realtime.responseStartMs + (chain.choice.tts === 'model' ? 0 : profile.tts.firstByteMs);
}

function samplesOf(chain: ChainSpec, result: CallResult, injections: readonly InjectionRecord[]): TurnSample[] {
  return result.turns.map((turn) => {
    const mine = (e: PipelineEvent): boolean => 'turnId' in e && e.turnId === turn.turnId;
    const first = result.events.find((e) => e.event.type === 'assistant.text' && mine(e.event))?.event;
    const firstText = first?.type === 'assistant.text' ? first.delta : '';
    const ttsMetric = result.events.find((e) => e.event.type === 'metric' && e.event.name === 'tts_first_byte' && mine(e.event))?.event;
    const sinceRequest = ttsMetric?.type === 'metric' ? ttsMetric.detail?.sinceRequestMs : undefined;
    const endpointMs = turn.endpointMs ?? 0;
    const started = result.events.find((e) => e.event.type === 'speech.started' && mine(e.event))?.event;
    const speechMs = started?.type === 'speech.started' ? turn.speechEndAudioMs - started.audioMs : 0;
    const uploadSeconds = (PRE_PADDING_MS + speechMs + (chain.floor.preemptive ? PREEMPTIVE_PAUSE_MS : endpointMs)) / 1000;
    const sample: TurnSample = { firstText, reply: turn.reply, endpointMs, medianInjectedMs: medianInjected(chain, uploadSeconds) };
    if (chain.choice.pipeline === 'cascaded' && turn.transcriptMs !== undefined) sample.transcriptMs = turn.transcriptMs;
    if (typeof sinceRequest === 'number') sample.ttsSinceRequestMs = sinceRequest;
    const floor = turnFloor(chain.floor, profile, result, turn, injections);
    if (floor) {
      sample.floorMs = floor.floorMs;
      sample.injectedTextMs = floor.injectedTextMs;
      sample.injectedAudioMs = floor.injectedAudioMs;
    }
    if (turn.firstTokenMs !== undefined) {
      sample.firstTextMs = turn.firstTokenMs;
      if (floor) sample.overheadTextMs = turn.firstTokenMs - floor.pauseMs - floor.injectedTextMs;
    }
    if (turn.firstAudioMs !== undefined) {
      sample.firstAudioMs = turn.firstAudioMs;
      if (floor) sample.overheadMs = turn.firstAudioMs - floor.floorMs;
      if (floor && turn.firstTokenMs !== undefined) sample.overheadAudioMs = turn.firstAudioMs - turn.firstTokenMs - floor.injectedAudioMs;
    }
    return sample;
  });
}

interface ChainResult {
  id: string;
  chain: string;
  target: string;
  turns: TurnSample[];
  expectedTurns: number;
  /** Caller turns the chain saw (the divisor of the per-turn counts). */
  seenTurns: number;
  /** Speculative requests (the chain's `speculation` metrics) and every request the sandbox saw, summed over the runs. */
  speculation: { started: number; used: number; discarded: number };
  requests: number;
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
  for (const spec of chains) {
    await call(spec.choice, warmUp.samples, warmUp.sampleRate);
    const chain: ChainResult = {
      id: spec.id,
      chain: chainLabel(spec.choice),
      target: spec.target,
      turns: [],
      expectedTurns: 0,
      seenTurns: 0,
      speculation: { started: 0, used: 0, discarded: 0 },
      requests: 0,
      cpuMsPerCall: [],
      loopDelayP99Ms: [],
    };
    for (let run = 0; run < runs; run++) {
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const cpu = process.cpuUsage();
      const since = Date.now();
      const result = await call(spec.choice, audio.samples, audio.sampleRate);
      const used = process.cpuUsage(cpu);
      loop.disable();
      // One call at a time, so everything the sandbox injected since the call started is this call's.
      const injections = await fetchInjections(sandbox.url, since);
      chain.cpuMsPerCall.push((used.user + used.system) / 1000);
      chain.loopDelayP99Ms.push(loop.percentile(99) / 1e6);
      chain.turns.push(...samplesOf(spec, result, injections));
      chain.expectedTurns += 3;
      chain.seenTurns += result.turns.length;
      const counts = speculationCounts(result.events);
      chain.speculation.started += counts.started;
      chain.speculation.used += counts.used;
      chain.speculation.discarded += counts.discarded;
      chain.requests += injections.length;
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
const perTurn = (n: number, turns: number): string => (turns > 0 ? (n / turns).toFixed(2) : '-');
const summaryRows = results.map(({ chain, turns, expectedTurns, seenTurns, speculation, requests, target }) => {
  const first = med(turns.map((t) => t.firstAudioMs));
  const floor = med(turns.map((t) => t.floorMs));
  return [
    chain,
    `${summarize(turns.map((t) => t.firstAudioMs)).n}/${expectedTurns}`,
    ms(first),
    ms(p90(turns.map((t) => t.firstAudioMs))),
    ms(floor),
    first !== undefined && floor ? `${(first / floor).toFixed(2)}` : '-',
    perTurn(speculation.discarded, seenTurns),
    perTurn(speculation.started, seenTurns),
    perTurn(requests, seenTurns),
    target,
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
  ms(med(turns.map((t) => t.overheadMs))),
  ms(med(turns.map((t) => t.medianInjectedMs))),
]);
const clientRows = results.map(({ chain, cpuMsPerCall, loopDelayP99Ms }) => [
  chain,
  ms(med(cpuMsPerCall)),
  `${((med(cpuMsPerCall) ?? 0) / (audio.samples.length / audio.sampleRate) / 10).toFixed(2)} %`,
  `${(med(loopDelayP99Ms) ?? 0).toFixed(1)} ms`,
]);
const tables = [
  formatTable(
    ['chain', 'turns', 'first audio p50', 'p90', 'floor p50', 'measure/floor', 'wasted requests per turn', 'speculative started per turn', 'requests per turn', 'target (typical)'],
    summaryRows,
  ),
  formatTable(
    ['chain', 'end-of-turn silence', 'transcript', 'first text', 'injected to text', 'overhead to text', 'text -> audio', 'tts request -> byte', 'injected to audio', 'overhead to audio', 'above floor', 'profile medians'],
    stageRows,
  ),
  formatTable(['chain', 'client CPU per call', 'CPU per audio second', 'event-loop delay p99'], clientRows),
];
const header = `profile ${profile.name} (seed ${values.seed}), scenario ${values.scenario}, ${runs} runs of ${values.fixture} per chain (after one warm-up call); medians over all turns, ms from the true end of speech`;
const legend =
  'floor (per turn, then the median): max(shortest end-of-turn silence, pause + the latencies the sandbox injected for the\n' +
  `turn's requests in sequence + its token pacing to the first spoken text); pause = ${PREEMPTIVE_PAUSE_MS} ms when preemptive, else the vad's\n` +
  'fixed silence; the requests are read from the sandbox (GET /sandbox/stats) among those started between the end of speech\n' +
  'and the first audio (docs/sandbox.md, src/runner/floor.ts). measure/floor = median first audio / median floor.\n' +
  'wasted requests per turn = speculative requests discarded / turns; requests per turn = every request the sandbox served.';
process.stdout.write(`\n${header}\n\n${tables.join('\n\n')}\n\n${legend}\n`);
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(values.out, `${JSON.stringify({ machine, profile, seed: Number(values.seed), runs, fixture: values.fixture, scenario: values.scenario, results, tables }, null, 2)}\n`);
}
