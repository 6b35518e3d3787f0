import { PROFILE_NAMES } from '../sandbox/profiles.js';
import { writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { encodeWav } from '../audio/wav.js';
import { readAudioFile } from '../audio/decode.js';
import { fromPcm } from '../audio/sources.js';
import { resample } from '../audio/resample.js';
import { runCall, type CallResult } from '../runner/call.js';
import { renderTimelineHtml, renderTimelineSvg } from '../runner/timeline.js';
import { UsageError } from './errors.js';
import type { ParsedOptions } from './main.js';
import { choiceOption, existingFile, scenarioFile, stringOption, writableFile } from './options.js';
import { livePrinter, progressBar, turnTable } from './print.js';
import { buildChain, chainLabel, keyNameFor, openProviders, type ChainChoice } from './session.js';

/** `rxvoice run`: one WAV through one chain, printed live, then the per-turn latency table. */
export async function runCommand(opts: ParsedOptions): Promise<number> {
  const input = existingFile(stringOption(opts, 'in'), 'input file');
  if (input === undefined) throw new UsageError('--in FILE is required (the caller: a WAV, or any format ffmpeg reads)');
  const choice: ChainChoice = {
    pipeline: choiceOption(opts, 'pipeline', ['cascaded', 'realtime'] as const, 'cascaded'),
    mode: choiceOption(opts, 'mode', ['streaming', 'seed'] as const, 'streaming'),
    tts: choiceOption(opts, 'tts', ['final', 'streamed', 'model'] as const, 'streamed'),
  };
  const profile = choiceOption(opts, 'profile', PROFILE_NAMES, 'typical');
  const scenario = scenarioFile(stringOption(opts, 'scenario'));
  const out = writableFile(stringOption(opts, 'out'), '--out');
  const timeline = writableFile(stringOption(opts, 'timeline'), '--timeline');
  const json = writableFile(stringOption(opts, 'json'), '--json');
  if (timeline !== undefined && !['.html', '.svg'].includes(extname(timeline))) {
    throw new UsageError('--timeline must name a .html or .svg file');
  }
  const audio = await readAudioFile(input);

  const providers = await openProviders({ profile, ...(scenario ? { scenario } : {}) });
  process.stdout.write(`${providers.description}\n`);
  process.stdout.write(`pipeline: ${chainLabel(choice)}; input: ${input} (${(audio.samples.length / audio.sampleRate).toFixed(1)} s)\n\n`);
  try {
    const progress = progressBar((audio.samples.length * 1000) / audio.sampleRate);
    // The bar is cleared before each stdout write, so conversation lines never glue onto it.
    // The bar waits while a line is half written (the assistant's words stream in), so it never overwrites one.
    let midLine = false;
    const print = livePrinter({
      write: (text) => {
        progress.clear();
        process.stdout.write(text);
        midLine = !text.endsWith('\n');
      },
    });
    const result = await runCall({
      frames: fromPcm(audio.samples, audio.sampleRate, { realtime: opts.fast !== true }),
      pipeline: await buildChain(choice, providers.endpoints),
      onEvent: (timed) => {
        if (timed.event.type === 'audio.in') {
          if (!midLine) progress.update(timed.event.frame.startMs);
        }
        else print(timed);
      },
    });
    progress.done();
    process.stdout.write(result.turns.length === 0 ? '\nno speech detected in the input\n' : `\n${turnTable(result.turns)}\n`);

    if (out !== undefined) {
      const written = writeCallWav(out, result, audio.samples, audio.sampleRate);
      process.stdout.write(`\nwrote ${out}: caller on the left channel, assistant on the right (${(written / 1000).toFixed(1)} s)\n`);
    }
    if (timeline !== undefined) {
      const title = `${chainLabel(choice)}: ${input}`;
      const page = extname(timeline) === '.svg' ? renderTimelineSvg(title, result.turns) : renderTimelineHtml([{ title, turns: result.turns }]);
      writeFileSync(timeline, page);
      process.stdout.write(`wrote ${timeline}\n`);
    }
    if (json !== undefined) writeFileSync(json, `${JSON.stringify(result.turns, null, 2)}\n`);
    return reportAuthFailures(result, providers.endpoints) || reportTtsFailures(result);
  } finally {
    await providers.close();
  }
}

/** A provider answering 401/403: say which key is wrong, never its value. */
function reportAuthFailures(result: CallResult, endpoints: Parameters<typeof keyNameFor>[1]): number {
  const auth = result.events.map((e) => e.event).find((e) => e.type === 'error' && e.code === 'auth');
  if (auth === undefined || auth.type !== 'error') return 0;
  process.stderr.write(
    `rxvoice: the ${auth.stage} provider refused its credentials: check ${keyNameFor(auth.stage, endpoints)} (the key itself is not printed)\n`,
  );
  return 1;
}

/** Text-to-speech that failed (connection refused, reset, 5xx): the caller heard nothing, so the run failed. */
function reportTtsFailures(result: CallResult): number {
  const failed = result.events.map((e) => e.event).filter((e) => e.type === 'error' && e.stage === 'tts');
  if (failed.length === 0) return 0;
  process.stderr.write(`rxvoice: text-to-speech failed ${failed.length} time(s); see the [error tts/...] lines above\n`);
  return 1;
}

/**
 * The call as a two-channel WAV at the caller's rate: the caller on the left, the assistant's audio on the
 * right at the time it left the chain (so the gaps and overlaps a caller would hear are audible).
 */
export function writeCallWav(path: string, result: CallResult, caller: Int16Array, sampleRate: number): number {
  const start = result.events[0]?.at ?? 0;
  const pieces: { atMs: number; samples: Int16Array }[] = [];
  let cursorMs = 0;
  for (const { at, event } of result.events) {
    if (event.type !== 'assistant.audio') continue;
    const samples = event.frame.sampleRate === sampleRate ? event.frame.samples : resample(event.frame.samples, event.frame.sampleRate, sampleRate);
    // Audio is played back to back: a frame never starts before the previous one ended.
    const atMs = Math.max(at - start, cursorMs);
    pieces.push({ atMs, samples });
    cursorMs = atMs + (samples.length * 1000) / sampleRate;
  }
  const totalMs = Math.max((caller.length * 1000) / sampleRate, cursorMs);
  const frames = Math.ceil((totalMs * sampleRate) / 1000);
  const interleaved = new Int16Array(frames * 2);
  for (let i = 0; i < caller.length; i++) interleaved[i * 2] = caller[i]!;
  for (const piece of pieces) {
    const offset = Math.round((piece.atMs * sampleRate) / 1000);
    for (let i = 0; i < piece.samples.length && offset + i < frames; i++) interleaved[(offset + i) * 2 + 1] = piece.samples[i]!;
  }
  writeFileSync(resolve(path), encodeWav(interleaved, sampleRate, 2));
  return totalMs;
}
