/**
 * Latency benchmark: the same demo call through the seed's cascaded chain, the streaming cascaded chain
 * and the realtime chain, against the sandbox (in its own process) with the `typical` profile.
 *
 *   npx tsx bench/latency.ts [--runs 3] [--profile typical] [--out bench/results/latency.json]
 *
 * Reports per chain: end of speech -> first audio (median, p95), the breakdown by stage, and rxvoice's own
 * overhead: the measured time minus the end-of-turn silence and the provider latency the profile injected.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { readWavFile } from '../src/audio/wav.js';
import { fromPcm } from '../src/audio/sources.js';
import { buildChain, chainLabel, type ChainChoice } from '../src/cli/session.js';
import { resolveEndpoints } from '../src/providers/env.js';
import { runCall } from '../src/runner/call.js';
import { formatTable, ms, summarize } from '../src/runner/report.js';
import { PROFILES } from '../src/sandbox/profiles.js';
import { splitTokens } from '../src/sandbox/tokens.js';
import type { LatencyProfile } from '../src/sandbox/types.js';
import { startSandboxProcess } from './sandbox-process.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, profile: { type: 'string', default: 'typical' }, out: { type: 'string' } },
});
const runs = Number(values.runs);
const profileName = values.profile as keyof typeof PROFILES;
const profile: LatencyProfile = PROFILES[profileName];

const CHAINS: readonly ChainChoice[] = [
  { pipeline: 'cascaded', mode: 'seed' },
  { pipeline: 'cascaded', mode: 'streaming' },
  { pipeline: 'realtime', tts: 'streamed' },
];

interface TurnSample {
  firstAudioMs?: number;
  endpointMs?: number;
  transcriptMs?: number;
  firstTextMs?: number;
  injectedMs: number;
  overheadMs?: number;
}

const tokenMs = (text: string, tps: number): number => (tps > 0 ? (splitTokens(text).length * 1000) / tps : 0);

/** Provider latency the profile put between the end of speech and the first audio of this turn. */
function injectedFor(choice: ChainChoice, firstSpokenText: string, reply: string): number {
  const tts = profile.tts.firstByteMs;
  if (choice.pipeline === 'cascaded') {
    const text = choice.mode === 'seed' ? reply : firstSpokenText;
    return profile.transcribe.afterUploadMs + profile.chat.firstTokenMs + tokenMs(text, profile.chat.tokensPerSecond) + tts;
  }
  const text = choice.tts === 'final' ? reply : firstSpokenText;
  return profile.realtime.responseStartMs + tokenMs(text, profile.realtime.tokensPerSecond) + (choice.tts === 'model' ? 0 : tts);
}

const audio = await readWavFile('fixtures/call-3turns.wav');
const sandbox = await startSandboxProcess(['--profile', profileName, '--scenario', 'examples/scenarios/demo.json']);
const endpoints = resolveEndpoints({}, sandbox.url);
const results: { chain: string; turns: TurnSample[] }[] = [];
try {
  for (const choice of CHAINS) {
    const turns: TurnSample[] = [];
    for (let run = 0; run < runs; run++) {
      const result = await runCall({
        frames: fromPcm(audio.samples, audio.sampleRate, { realtime: true }),
        pipeline: await buildChain(choice, endpoints),
      });
      for (const turn of result.turns) {
        const firstSpoken = result.events.find((e) => e.event.type === 'assistant.text' && e.event.turnId === turn.turnId);
        const firstText = firstSpoken?.event.type === 'assistant.text' ? firstSpoken.event.delta : '';
        const injectedMs = injectedFor(choice, firstText, turn.reply);
        turns.push({
          ...(turn.firstAudioMs === undefined ? {} : { firstAudioMs: turn.firstAudioMs }),
          ...(turn.endpointMs === undefined ? {} : { endpointMs: turn.endpointMs }),
          ...(turn.transcriptMs === undefined ? {} : { transcriptMs: turn.transcriptMs }),
          ...(turn.firstTokenMs === undefined ? {} : { firstTextMs: turn.firstTokenMs }),
          injectedMs,
          ...(turn.firstAudioMs === undefined ? {} : { overheadMs: turn.firstAudioMs - (turn.endpointMs ?? 0) - injectedMs }),
        });
      }
      process.stderr.write(`${chainLabel(choice)}: run ${run + 1}/${runs} done\n`);
    }
    results.push({ chain: chainLabel(choice), turns });
  }
} finally {
  await sandbox.close();
}

const seedMedian = summarize(results[0]!.turns.map((t) => t.firstAudioMs)).median;
const rows = results.map(({ chain, turns }) => {
  const first = summarize(turns.map((t) => t.firstAudioMs));
  const overhead = summarize(turns.map((t) => t.overheadMs));
  return [
    chain,
    String(first.n),
    ms(first.median),
    ms(first.p95),
    ms(summarize(turns.map((t) => t.endpointMs)).median),
    ms(summarize(turns.map((t) => t.transcriptMs)).median),
    ms(summarize(turns.map((t) => t.firstTextMs)).median),
    ms(summarize(turns.map((t) => t.injectedMs)).median),
    ms(overhead.median),
    seedMedian && first.median ? `${(first.median / seedMedian).toFixed(2)}x` : '-',
  ];
});
const table = formatTable(
  ['chain', 'turns', 'first audio p50', 'p95', 'end-of-turn wait', 'transcript', 'first text', 'injected', 'own overhead p50', 'vs seed'],
  rows,
);
process.stdout.write(`\nprofile ${profile.name}, ${runs} runs of fixtures/call-3turns.wav per chain; times from the true end of speech\n${table}\n`);
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify({ profile, runs, results, table }, null, 2)}\n`);
}
