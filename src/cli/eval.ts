import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { findRecordings, loadRecording } from '../eval/recording.js';
import { loadAgentFile, loadScenarios } from '../eval/load.js';
import { replayRecording } from '../eval/replay.js';
import { evalCounts, evalTable, failureLines, htmlReport, junitXml } from '../eval/report.js';
import { runEvals, type EvalRun, type ScenarioResult } from '../eval/run.js';
import { ScenarioError } from '../eval/scenario.js';
import { UsageError } from './errors.js';
import { choiceOption, existingFile, stringOption, writableFile } from './options.js';

export const EVAL_HELP = `Usage: rxvoice eval <scenario files or directories> [options]
       rxvoice eval --replay <recording directories or files> [--agent FILE] [options]

Runs each scenario (YAML or JSON: the caller's turns, the agent, the sandbox's script, the expectations)
as a real-time call through the real chain, prints a pass/fail table per scenario and turn with the
measured latencies, and exits 1 when any expectation failed. See docs/evals.md.

  --concurrency N                scenarios run at once (default 2)
  --profile instant|typical      sandbox latency profile when a scenario names none (default instant)
  --junit FILE                   write JUnit XML (a suite per scenario, a case per caller turn)
  --html FILE                    write an HTML report with each turn's checks and timeline
  --replay                       the paths are recordings (rxvoice serve --record): play each caller
                                 channel into the agent and report what differs from the recording
  --agent FILE                   replay: the agent (and sandbox replies) to play into, from a scenario file
  --tolerance-ms N               replay: how much slower than recorded a timing may be (default 500)
`;

/** `rxvoice eval`: scenario runs, or replays of recorded calls. */
export async function evalCommand(args: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)} (see --help)`);
  }
  const { values: opts, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError(`eval needs scenario files or directories${opts.replay ? ' (recordings, with --replay)' : ''}`);
  const junit = writableFile(stringOption(opts, 'junit'), '--junit');
  const html = writableFile(stringOption(opts, 'html'), '--html');
  const concurrency = wholeNumber(stringOption(opts, 'concurrency'), '--concurrency', 2, 1, 64);
  const tolerance = wholeNumber(stringOption(opts, 'tolerance-ms'), '--tolerance-ms', 500, 0, 600_000);
  const profile = choiceOption(opts, 'profile', ['instant', 'typical'] as const, 'instant');
  const print = (line: string): void => void process.stdout.write(`${line}\n`);
  const onResult = (r: ScenarioResult): void =>
    print(`${r.pass ? 'PASS' : 'FAIL'} ${r.name} (${r.turns.length} turn${r.turns.length === 1 ? '' : 's'}, ${(r.durationMs / 1000).toFixed(1)} s; ${r.providers})`);

  let run: EvalRun;
  try {
    if (opts.replay === true) {
      const agentFile = existingFile(stringOption(opts, 'agent'), 'agent file');
      const agent = agentFile ? await loadAgentFile(agentFile) : undefined;
      const recordings = await Promise.all((await findRecordings(positionals)).map(loadRecording));
      print(`replaying ${recordings.length} recording${recordings.length === 1 ? '' : 's'} at real time`);
      const started = performance.now();
      const results: ScenarioResult[] = new Array<ScenarioResult>(recordings.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < recordings.length) {
          const i = next++;
          results[i] = await replayRecording(recordings[i]!, {
            ...(agent ? { agent: agent.agent, ...(agent.sandbox ? { sandbox: agent.sandbox } : {}) } : {}),
            toleranceMs: tolerance,
            profile,
          });
          onResult(results[i]!);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, recordings.length) }, worker));
      run = { scenarios: results, pass: results.every((r) => r.pass), durationMs: performance.now() - started };
    } else {
      if (opts.agent !== undefined) throw new UsageError('--agent goes with --replay (a scenario file names its own agent)');
      const scenarios = await loadScenarios(positionals);
      print(`running ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'} at real time, ${Math.min(concurrency, scenarios.length)} at once`);
      run = await runEvals(scenarios, { concurrency, profile, onResult });
    }
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }

  print('');
  print(evalTable(run));
  const failures = failureLines(run);
  if (failures.length > 0) {
    print('');
    for (const line of failures) print(line);
  }
  const counts = evalCounts(run);
  print('');
  print(`${counts.scenarios - counts.failedScenarios}/${counts.scenarios} scenarios passed, ${counts.tests - counts.failures}/${counts.tests} turns passed`);
  if (junit) {
    writeFileSync(junit, junitXml(run));
    print(`wrote ${junit}`);
  }
  if (html) {
    writeFileSync(html, htmlReport(run, opts.replay === true ? 'rxvoice replay' : 'rxvoice eval'));
    print(`wrote ${html}`);
  }
  return run.pass ? 0 : 1;
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      concurrency: { type: 'string' },
      profile: { type: 'string' },
      junit: { type: 'string' },
      html: { type: 'string' },
      replay: { type: 'boolean' },
      agent: { type: 'string' },
      'tolerance-ms': { type: 'string' },
    },
  });
}

function wholeNumber(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max} (got '${value}')`);
  return n;
}
