/**
 * `npm run bench`: the transport baseline, the latency benchmark (the demo scenario, then longer replies), the scale benchmark,
 * then Silero VAD throughput, each in its own process (a clean heap and event loop each), one after the
 * other (they would skew each other). Tables go to stdout; results to bench/results/{transport,latency,
 * latency-long,scale}.json and bench/results/vad.txt. About 45 minutes in all (the latency runs take most).
 *
 *   npx tsx bench/index.ts [--runs 7] [--calls 10,25,50,100] [--only transport,latency,long,turns,scale,vad] [--quick]
 *
 * `--quick`: one latency run of each kind and 10,25 calls, to check everything works (about 8 minutes).
 * Ends with one summary: each chain's first audio (median, p90, floor, measure/floor, wasted requests per
 * turn) from the latency run, and the end-of-turn early cuts (fixed silence vs the turn detector) from the
 * turns run, read back from their results files.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    calls: { type: 'string' },
    only: { type: 'string', default: 'transport,latency,long,turns,scale,vad' },
    quick: { type: 'boolean', default: false },
  },
});
const runs = values.runs ?? (values.quick ? '1' : '7'); // 7 runs of the 3-turn demo call: 21 turns per chain
const calls = values.calls ?? (values.quick ? '10,25' : '10,25,50,100');
const only = new Set(values.only.split(','));
const RESULTS = 'bench/results';
mkdirSync(RESULTS, { recursive: true });

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
process.stdout.write(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${gib(totalmem())} RAM (${gib(freemem())} free), ` +
    `node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`,
);

/** Runs one benchmark script in a child node (with tsx), its output shown live and optionally copied to a file. */
function run(title: string, args: readonly string[], copyTo?: string): Promise<void> {
  process.stdout.write(`\n=== ${title} ===\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const copy = copyTo ? createWriteStream(copyTo) : undefined;
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      copy?.write(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      copy?.end();
      if (code === 0) resolve();
      else reject(new Error(`${title} exited with code ${code}`));
    });
  });
}

if (only.has('transport')) {
  await run('transport baseline: the same provider requests from a bare client (no rxvoice)', [
    'bench/transport.ts', '--runs', values.quick ? '5' : '20', '--out', `${RESULTS}/transport.json`,
  ]);
}
if (only.has('latency')) {
  await run('latency: every chain side by side, with its floor (sandbox, typical profile)', [
    'bench/latency.ts', '--runs', runs, '--out', `${RESULTS}/latency.json`,
  ]);
}
if (only.has('long')) {
  await run('latency with longer replies (2-3 sentences, ~45 tokens): where the seed loses most', [
    'bench/latency.ts', '--runs', runs, '--scenario', 'bench/scenarios/long-replies.json', '--out', `${RESULTS}/latency-long.json`,
  ]);
}
if (only.has('turns')) {
  await run('end of turn: early cuts and wait on the labelled turns (fixtures/turns), real Silero vad', [
    'bench/turns.ts', '--out', `${RESULTS}/turns.json`,
  ]);
}
if (only.has('scale')) {
  await run('scale: concurrent streaming cascaded calls on this machine', [
    '--expose-gc', 'bench/scale.ts', '--calls', calls, '--out', `${RESULTS}/scale.json`,
  ]);
}
if (only.has('vad')) {
  await run('Silero VAD throughput', ['bench/vad.ts', '--runs', values.quick ? '1' : '3'], `${RESULTS}/vad.txt`);
}
/** The first table a results file carries (`tables[0]` of latency.json, `table` of turns.json), if this run wrote it. */
function tableOf(path: string, key: 'tables' | 'table'): string | undefined {
  if (!existsSync(path)) return undefined;
  const body = JSON.parse(readFileSync(path, 'utf8')) as { tables?: string[]; table?: string };
  return key === 'tables' ? body.tables?.[0] : body.table;
}
const summary = [
  only.has('latency') ? tableOf(`${RESULTS}/latency.json`, 'tables') : undefined,
  only.has('turns') ? tableOf(`${RESULTS}/turns.json`, 'table') : undefined,
].filter((t): t is string => t !== undefined);
if (summary.length > 0) {
  process.stdout.write('\n=== summary: end of speech -> first audio per chain (demo call), and turns cut too early ===\n\n');
  process.stdout.write(`${summary.join('\n\n')}\n`);
}
process.stdout.write(`\nresults in ${RESULTS}/ (see BENCHMARKS.md for how to read them)\n`);
