/**
 * End-of-turn benchmark (`npm run bench:turns`): every labelled caller turn of fixtures/turns/ through the
 * real Silero vad and each end-of-turn policy; per policy, the share of turns cut too early (a turn ended
 * before the caller's last word: inside the labelled mid-sentence pause, or in a turn said in one go) and
 * the end-of-turn wait (end of speech -> the decision), median and p90.
 *
 *   npx tsx bench/turns.ts [--silences 300,500,800] [--policy ./my-policy.ts] [--realtime] [--out bench/results/turns.json]
 *
 * Policies: today's fixed silence at each of `--silences`, the template text policy
 * (bench/policies/punctuation.ts), the chain's turnDetector operator when operators/turnDetector.ts exists
 * (bench/policies/turn-detector.ts), plus those of each `--policy`: a module whose `policies` export (or
 * default export) is a `TurnPolicy[]` (bench/turns-measure.ts), each an OperatorFunction<PipelineEvent,
 * PipelineEvent> inserted after vad that emits the turn ends. The audio
 * goes in as fast as the model reads it (times are audio times) unless `--realtime` paces it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTable, ms } from '../src/runner/report.js';
import { loadTurnAudio, loadTurnManifest } from './turn-fixtures.js';
import { fixedSilence, runTurn, summarizePolicy, type PolicySummary, type TurnOutcome, type TurnPolicy } from './turns-measure.js';

const { values } = parseArgs({
  options: {
    silences: { type: 'string', default: '300,500,800' },
    policy: { type: 'string', multiple: true },
    realtime: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

async function importedPolicies(path: string): Promise<TurnPolicy[]> {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as { policies?: TurnPolicy[]; default?: TurnPolicy[] };
  const found = mod.policies ?? mod.default;
  if (!Array.isArray(found)) throw new Error(`${path}: export 'policies' (or a default export) as a TurnPolicy[]`);
  return found;
}

const policies: TurnPolicy[] = values.silences
  .split(',')
  .filter(Boolean)
  .map((s) => fixedSilence(Number(s)));
const modules = ['bench/policies/punctuation.ts', ...(existsSync('operators/turnDetector.ts') ? ['bench/policies/turn-detector.ts'] : []), ...(values.policy ?? [])];
for (const path of modules) policies.push(...(await importedPolicies(path)));

const fixtures = loadTurnManifest();
const audio = await Promise.all(fixtures.map((f) => loadTurnAudio(f)));
const summaries: PolicySummary[] = [];
const outcomes: Record<string, TurnOutcome[]> = {};
for (const policy of policies) {
  const results: TurnOutcome[] = [];
  for (let i = 0; i < fixtures.length; i++) results.push(await runTurn(fixtures[i]!, audio[i]!, policy, { realtime: values.realtime }));
  outcomes[policy.name] = results;
  summaries.push(summarizePolicy(policy.name, results));
  process.stderr.write(`${policy.name}: done\n`);
}

const pct = (n: number, of: number): string => `${n}/${of} (${of ? Math.round((100 * n) / of) : 0} %)`;
const table = formatTable(
  ['policy', 'turns cut too early', 'paused turns cut in the pause', 'one-go turns cut', 'end-of-turn wait p50', 'p90', 'undecided'],
  summaries.map((s) => [s.policy, pct(s.cutEarly, s.turns), pct(s.cutInPause, s.pausedTurns), pct(s.completeCut, s.completeTurns), ms(s.waitMedianMs), ms(s.waitP90Ms), String(s.undecided)]),
);
const header = `${fixtures.length} labelled turns (fixtures/turns: ${fixtures.filter((f) => f.complete).length} said in one go, ${fixtures.filter((f) => !f.complete).length} with a 300-900 ms mid-sentence pause), real Silero vad; wait = end of speech -> end-of-turn decision, in audio time`;
process.stdout.write(`\n${header}\n\n${table}\n`);
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  writeFileSync(values.out, `${JSON.stringify({ machine, realtime: values.realtime, summaries, outcomes, table }, null, 2)}\n`);
}
