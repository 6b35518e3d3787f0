import { PROFILE_NAMES } from '../sandbox/profiles.js';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWavFile } from '../audio/wav.js';
import { fromPcm } from '../audio/sources.js';
import { runCall } from '../runner/call.js';
import { formatTable, ms, summarize, type TurnReport } from '../runner/report.js';
import { speculationCounts } from '../runner/floor.js';
import { renderTimelineHtml } from '../runner/timeline.js';
import type { ParsedOptions } from './main.js';
import { choiceOption, stringOption } from './options.js';
import { livePrinter, turnTable } from './print.js';
import { buildChain, chainLabel, openProviders, type ChainChoice } from './session.js';
import { defineTool } from '../tools.js';

/** The demo's one tool: the scenario makes the model call it for the weather question. */
const weatherTool = defineTool({
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  handler: async () => 'sunny and twenty-one degrees',
});

/** Finds the package root from this file, in `src/cli` (tsx) or `dist/src/cli` (compiled). */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'src')}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
}

/** Every chain the targets name: the original design's cascaded, and the new chains (preemptive by default). */
const CHAINS: readonly ChainChoice[] = [
  { pipeline: 'cascaded', mode: 'seed' },
  { pipeline: 'cascaded', mode: 'streaming' },
  { pipeline: 'realtime', tts: 'streamed' },
  { pipeline: 'realtime', tts: 'model' },
];

/**
 * `rxvoice demo` (`npm start`): the demo call through every chain, the conversations, one comparison table.
 * The chains take the call at the same time (each its own call id, so the sandbox keeps a script per call):
 * ~35 s instead of four 30 s calls one after another; each chain's conversation is printed once its call ends.
 */
export async function demoCommand(opts: ParsedOptions): Promise<number> {
  const root = packageRoot();
  const callPath = join(root, 'fixtures', 'demo-call.wav');
  const profile = choiceOption(opts, 'profile', PROFILE_NAMES, 'typical');
  const audio = await readWavFile(callPath);
  const providers = await openProviders({ profile, scenario: join(root, 'examples', 'scenarios', 'demo.json') });
  process.stdout.write(`${providers.description}\n`);
  process.stdout.write(
    `demo call: fixtures/demo-call.wav (${(audio.samples.length / audio.sampleRate).toFixed(1)} s, 3 caller turns), played at real time ` +
      `into ${CHAINS.length} chains at once\n`,
  );
  let results: { choice: ChainChoice; turns: readonly TurnReport[]; wasted: number }[];
  try {
    results = await Promise.all(
      CHAINS.map(async (choice) => {
        const printed: string[] = [];
        const result = await runCall({
          frames: fromPcm(audio.samples, audio.sampleRate, { realtime: true }),
          pipeline: await buildChain(choice, providers.endpoints, { tools: [weatherTool] }),
          onEvent: livePrinter({ write: (text) => printed.push(text) }),
        });
        process.stdout.write(`\n=== ${chainLabel(choice)} ===\n${printed.join('')}\n${turnTable(result.turns)}\n`);
        return { choice, turns: result.turns, wasted: speculationCounts(result.events).discarded };
      }),
    );
  } finally {
    await providers.close();
  }

  process.stdout.write('\n=== latency after the caller stops talking (end of speech -> first reply audio) ===\n');
  const seed = summarize(results[0]!.turns.map((t) => t.firstAudioMs)).median;
  const rows = results.map(({ choice, turns, wasted }) => {
    const first = summarize(turns.map((t) => t.firstAudioMs));
    const ratio = seed !== undefined && first.median !== undefined ? `${(first.median / seed).toFixed(2)}x` : '-';
    return [
      chainLabel(choice),
      String(first.n),
      ms(summarize(turns.map((t) => t.endpointMs)).median),
      ms(summarize(turns.map((t) => t.transcriptMs)).median),
      ms(summarize(turns.map((t) => t.firstTokenMs)).median),
      ms(first.median),
      ratio,
      turns.length > 0 ? (wasted / turns.length).toFixed(2) : '-',
    ];
  });
  process.stdout.write(
    `${formatTable(['chain', 'turns', 'end-of-turn wait', 'transcript', 'first token', 'first audio (median)', 'vs original design', 'wasted requests per turn'], rows)}\n`,
  );
  process.stdout.write(
    '\n"vs original design" compares with the first row: the cascaded chain that speaks each reply only once its\n' +
      'whole text is written. "end-of-turn wait" is the silence before the caller is taken to be done: the\n' +
      "VAD's fixed 512 ms, or, with preemption, as soon as the words heard at a 192 ms pause read complete\n" +
      '(longer when they trail off). The rest is provider latency (the sandbox profile, which varies per\n' +
      'request like the real services) plus rxvoice. "wasted requests" are speculative requests started at a pause\n' +
      'and discarded because the caller went on. The four calls shared this machine; `npm run bench` runs\n' +
      "the chains one at a time over 21 turns each and shows each chain's floor beside its measure.\n",
  );
  const timeline = stringOption(opts, 'timeline');
  if (timeline !== undefined) {
    writeFileSync(timeline, renderTimelineHtml(results.map(({ choice, turns }) => ({ title: chainLabel(choice), turns }))));
    process.stdout.write(`wrote ${timeline}\n`);
  }
  const complete = results.every(({ turns }) => turns.filter((t) => t.firstAudioMs !== undefined).length >= 3);
  return complete ? 0 : 1;
}
