import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { SampleRate } from '../audio/frame.js';
import { resample } from '../audio/resample.js';
import type { Alignment } from '../providers/types.js';
import type { SynthesizedSpeech } from './context.js';

/**
 * Offline speech synthesis for the sandbox: the `espeak-ng` npm package (espeak-ng compiled to WASM by
 * Emscripten, GPL-3.0-or-later; used by the sandbox only, never linked into pipelines).
 *
 * Speed: compiling and instantiating the 18 MB WASM costs ~300 ms, so it is done once. The instance is
 * created with `noInitialRun`, a copy of its linear memory is kept, and every synthesis restores that
 * copy and calls `main` again with new arguments: a fresh espeak process in ~20 ms, with no leaked
 * state (getopt, espeak globals) from the run before. Results are cached per (text, voice, rate).
 *
 * Alignment: espeak's CLI reports no timings, so they are estimated (see `estimateAlignment`).
 * Resampling from espeak's 22050 Hz: `resample()` from src/audio (polyphase).
 */

const ESPEAK_RATE = 22050;
const DEFAULT_WPM = 175;
const DATA_DIR = '/usr/local/share/espeak-ng-data';

export async function synthesizeSpeech(
  text: string,
  sampleRate: SampleRate,
  options: { language?: string; speed?: number } = {},
): Promise<SynthesizedSpeech> {
  const engine = await getEngine().catch((err: unknown) => {
    if (!isMissingEspeak(err)) throw err;
    return undefined;
  });
  if (!engine) return toneSpeech(text, sampleRate, wordsPerMinute(options.speed));
  const voice = engine.voiceFor(options.language);
  const wpm = wordsPerMinute(options.speed);
  // espeak runs synchronously: long texts go piece by piece, yielding to the event loop in between,
  // so one long request does not freeze every other socket of the sandbox.
  const parts: NativeSpeech[] = [];
  for (const piece of splitForSynthesis(text)) {
    if (parts.length > 0) await new Promise((resolve) => setImmediate(resolve));
    parts.push(synthesizeNative(await getEngine(), piece, voice, wpm));
  }
  const native = parts.length === 1 && parts[0] ? parts[0] : concatenate(parts);
  return {
    samples: resample(native.samples, ESPEAK_RATE, sampleRate),
    sampleRate,
    alignment: native.alignment,
  };
}

/**
 * The voice used when the optional `espeak-ng` package (GPL-3.0, not a dependency of rxvoice) is not
 * installed: a soft 220 Hz tone per word, timed like speech at `wpm`, so every sandbox path still has audio
 * and alignment. Install `espeak-ng` next to rxvoice for real speech.
 */
function toneSpeech(text: string, sampleRate: SampleRate, wpm: number): SynthesizedSpeech {
  warnNoEspeakOnce();
  const words = text.split(/\s+/u).filter((w) => w.length > 0);
  const wordSamples = Math.round((60 / wpm) * 0.8 * sampleRate);
  const gapSamples = Math.round((60 / wpm) * 0.2 * sampleRate);
  const samples = new Int16Array(Math.max(1, words.length) * (wordSamples + gapSamples));
  for (let w = 0; w < words.length; w++) {
    const start = w * (wordSamples + gapSamples);
    for (let i = 0; i < wordSamples; i++) {
      const envelope = Math.sin((Math.PI * i) / wordSamples);
      samples[start + i] = Math.round(6000 * envelope * Math.sin((2 * Math.PI * 220 * i) / sampleRate));
    }
  }
  return { samples, sampleRate, alignment: estimateAlignment(text, samples, sampleRate) };
}

let warnedNoEspeak = false;
function warnNoEspeakOnce(): void {
  if (warnedNoEspeak) return;
  warnedNoEspeak = true;
  process.emitWarning(
    "the sandbox speaks with a tone: the optional package 'espeak-ng' is not installed (npm install espeak-ng for real speech)",
    { code: 'RXVOICE_NO_ESPEAK' },
  );
}

function isMissingEspeak(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && /espeak-ng/u.test(e.message ?? '');
}

/** Pieces of about `target` characters that end at sentence ends; together they are exactly `text`. */
export function splitForSynthesis(text: string, target = 250): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (const match of text.matchAll(/[.!?。！？]+\s+/gu)) {
    const end = (match.index ?? 0) + match[0].length;
    if (end - start >= target && end < text.length) {
      pieces.push(text.slice(start, end));
      start = end;
    }
  }
  pieces.push(text.slice(start));
  return pieces;
}

function concatenate(parts: readonly NativeSpeech[]): NativeSpeech {
  const samples = new Int16Array(parts.reduce((n, p) => n + p.samples.length, 0));
  const chars: string[] = [];
  const charStartMs: number[] = [];
  const charDurationMs: number[] = [];
  let offset = 0;
  for (const part of parts) {
    samples.set(part.samples, offset);
    const offsetMs = Math.round((offset * 1000) / ESPEAK_RATE);
    chars.push(...part.alignment.chars);
    charStartMs.push(...part.alignment.charStartMs.map((t) => t + offsetMs));
    charDurationMs.push(...part.alignment.charDurationMs);
    offset += part.samples.length;
  }
  return { samples, alignment: { chars, charStartMs, charDurationMs } };
}

/** The espeak voice used for a language tag (`en` -> `gmw/en-US`, `fr-CA` -> `roa/fr`); exported for docs/tests. */
export async function espeakVoiceFor(language: string | undefined): Promise<string> {
  return (await getEngine()).voiceFor(language);
}

/** Forgets cached syntheses (tests use it to compare a fresh run with an earlier one). */
export function clearSpeechCache(): void {
  cache.clear();
}

// ---- the engine -----------------------------------------------------------------------------------

interface EmscriptenFs {
  readFile(path: string): Uint8Array;
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isDir(mode: number): boolean;
  unlink(path: string): void;
}

interface EspeakExports {
  readonly memory: WebAssembly.Memory;
  malloc(size: number): number;
  __main_argc_argv(argc: number, argv: number): number;
}

interface Engine {
  readonly fs: EmscriptenFs;
  readonly exports: EspeakExports;
  readonly snapshot: Uint8Array;
  voiceFor(language: string | undefined): string;
}

type EspeakFactory = (module: Record<string, unknown>) => Promise<{ FS: EmscriptenFs }>;

let enginePromise: Promise<Engine> | undefined;

function getEngine(): Promise<Engine> {
  enginePromise ??= createEngine().catch((err: unknown) => {
    enginePromise = undefined;
    throw err;
  });
  return enginePromise;
}

async function createEngine(): Promise<Engine> {
  // A variable specifier: the package ships no type declarations, the shape is declared above.
  const specifier = 'espeak-ng';
  const factory = ((await import(specifier)) as { default: EspeakFactory }).default;
  const wasmPath = createRequire(import.meta.url).resolve('espeak-ng/dist/espeak-ng.wasm');
  const compiled = await compiledModule(wasmPath);
  let instance: WebAssembly.Instance | undefined;
  const module = await factory({
    noInitialRun: true,
    print: () => {},
    printErr: () => {},
    instantiateWasm(imports: WebAssembly.Imports, receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
      void WebAssembly.instantiate(compiled, imports).then((created) => {
        instance = created;
        receive(created, compiled);
      });
      return {};
    },
  });
  if (!instance) throw new Error('espeak-ng: WASM instance missing after initialisation');
  const exports = instance.exports as unknown as EspeakExports;
  const voices = listVoices(module.FS);
  return {
    fs: module.FS,
    exports,
    snapshot: new Uint8Array(exports.memory.buffer).slice(),
    voiceFor: (language) => pickVoice(voices, language),
  };
}

let compiledPromise: Promise<WebAssembly.Module> | undefined;
function compiledModule(path: string): Promise<WebAssembly.Module> {
  compiledPromise ??= readFile(path).then((bytes) => WebAssembly.compile(bytes));
  return compiledPromise;
}

/** Runs espeak's `main` on a clean copy of the memory it had before its first run. */
function runMain(engine: Engine, args: readonly string[]): void {
  const { exports } = engine;
  new Uint8Array(exports.memory.buffer).set(engine.snapshot);
  const encoder = new TextEncoder();
  const all = ['espeak-ng', ...args];
  const pointers = all.map((arg) => {
    const bytes = encoder.encode(`${arg}\0`);
    const pointer = exports.malloc(bytes.length);
    new Uint8Array(exports.memory.buffer).set(bytes, pointer);
    return pointer;
  });
  const argv = exports.malloc(4 * (pointers.length + 1));
  const view = new DataView(exports.memory.buffer);
  pointers.forEach((pointer, i) => view.setUint32(argv + 4 * i, pointer, true));
  view.setUint32(argv + 4 * pointers.length, 0, true);
  const status = exports.__main_argc_argv(all.length, argv);
  if (status !== 0) throw new Error(`espeak-ng exited with status ${status}`);
}

// ---- synthesis at espeak's native rate, cached ----------------------------------------------------

interface NativeSpeech {
  readonly samples: Int16Array;
  readonly alignment: Alignment;
}

const CACHE_LIMIT = 128;
const cache = new Map<string, NativeSpeech>();

function synthesizeNative(engine: Engine, text: string, voice: string, wpm: number): NativeSpeech {
  const key = `${voice}|${wpm}|${text}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // re-insert: most recently used last
    cache.set(key, hit);
    return hit;
  }
  const samples = text.trim() === '' ? new Int16Array(0) : runEspeak(engine, text, voice, wpm);
  const result: NativeSpeech = { samples, alignment: estimateAlignment(text, samples, ESPEAK_RATE) };
  cache.set(key, result);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return result;
}

function runEspeak(engine: Engine, text: string, voice: string, wpm: number): Int16Array {
  const out = '/rxvoice-out.wav';
  try {
    // `--` keeps text that starts with '-' from being read as an option.
    runMain(engine, ['-w', out, '-v', voice, '-s', String(wpm), '--', text]);
  } catch (err) {
    // The instance may be in a bad state (trap, exit()); build a new one next time.
    enginePromise = undefined;
    throw err;
  }
  const wav = engine.fs.readFile(out);
  engine.fs.unlink(out);
  return wavSamples(wav);
}

/** PCM16 samples of espeak's WAV (its header may carry a placeholder length, so the file size decides). */
function wavSamples(wav: Uint8Array): Int16Array {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  let offset = 12;
  while (offset + 8 <= wav.byteLength) {
    const id = String.fromCharCode(...wav.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    if (id === 'data') {
      const start = offset + 8;
      const end = Math.min(wav.byteLength, start + size) & ~1;
      const samples = new Int16Array((end - start) >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(start + 2 * i, true);
      return samples;
    }
    offset += 8 + size + (size & 1);
  }
  throw new Error('espeak-ng produced a WAV without a data chunk');
}

// ---- voices ---------------------------------------------------------------------------------------

function listVoices(fs: EmscriptenFs): Map<string, string> {
  const voices = new Map<string, string>(); // lower-case tag -> path under lang/
  const walk = (dir: string, prefix: string): void => {
    for (const name of fs.readdir(dir)) {
      if (name === '.' || name === '..') continue;
      const path = `${dir}/${name}`;
      if (fs.isDir(fs.stat(path).mode)) walk(path, `${prefix}${name}/`);
      else voices.set(name.toLowerCase(), `${prefix}${name}`);
    }
  };
  walk(`${DATA_DIR}/lang`, '');
  return voices;
}

/** Full tag first (`pt-br`), then the primary language (`pt`); English means American English. */
function pickVoice(voices: Map<string, string>, language: string | undefined): string {
  const fallback = voices.get('en-us') ?? 'en-us';
  if (!language) return fallback;
  const tag = language.trim().toLowerCase().replace(/_/g, '-');
  const primary = tag.split('-')[0] ?? tag;
  if (primary === 'en' && tag !== 'en-gb') return (tag === 'en' ? undefined : voices.get(tag)) ?? fallback;
  if (tag === 'en-gb') return voices.get('en-gb-x-rp') ?? fallback;
  if (primary === 'zh') return voices.get('cmn') ?? fallback;
  return voices.get(tag) ?? voices.get(primary) ?? fallback;
}

function wordsPerMinute(speed: number | undefined): number {
  const factor = speed !== undefined && Number.isFinite(speed) && speed > 0 ? speed : 1;
  // espeak without sonic (this build) accepts 80..450 wpm.
  return Math.min(450, Math.max(80, Math.round(DEFAULT_WPM * factor)));
}

// ---- alignment ------------------------------------------------------------------------------------

const PAUSE_PUNCTUATION = /[,.;:!?…。，、！？]/u;
const LETTER = /[\p{L}\p{N}]/u;

/**
 * Estimated character timing. espeak pauses audibly at clause punctuation and hardly at all between
 * words, so: (1) find the speech between leading and trailing silence; (2) find the silent gaps inside
 * it; (3) if there are at least as many gaps as clause boundaries in the text, the longest ones (kept in
 * order) become the clause boundaries; (4) inside a clause, time is shared by character weight (letters
 * and digits 1, spaces 0.3, other marks 0.15), letters over the speech, trailing marks over the pause after
 * it. Starts and durations are whole ms and contiguous, from the first sound to the end of speech (or of the
 * audio, when the text ends with punctuation).
 */
export function estimateAlignment(text: string, samples: Int16Array, sampleRate: number): Alignment {
  const chars = [...text];
  if (chars.length === 0) return { chars, charStartMs: [], charDurationMs: [] };
  const totalMs = (samples.length * 1000) / sampleRate;
  const windows = silentWindows(samples, sampleRate);
  const speechStart = windows.findIndex((silent) => !silent);
  const speechEnd = windows.length - [...windows].reverse().findIndex((silent) => !silent);
  if (speechStart < 0) return spread(chars, 0, totalMs);

  const clauses = splitClauses(chars);
  const gaps = innerGaps(windows, speechStart, speechEnd);
  const boundaries: Array<{ start: number; end: number }> = [];
  if (clauses.length > 1 && gaps.length >= clauses.length - 1) {
    const chosen = [...gaps]
      .sort((a, b) => b.end - b.start - (a.end - a.start))
      .slice(0, clauses.length - 1)
      .sort((a, b) => a.start - b.start);
    boundaries.push(...chosen);
  }

  const speechEndMs = Math.min(totalMs, speechEnd * WINDOW_MS);
  const pieces = boundaries.length === 0 ? [chars] : clauses;
  const starts: number[] = [];
  const durations: number[] = [];
  let clauseStartMs = speechStart * WINDOW_MS;
  pieces.forEach((clause, i) => {
    const boundary = boundaries[i];
    // Letters are spoken until the gap (or the end of speech); trailing marks and spaces cover the silence.
    const spokenEndMs = boundary ? boundary.start * WINDOW_MS : speechEndMs;
    const silenceEndMs = boundary ? boundary.end * WINDOW_MS : totalMs;
    const lastLetter = findLastIndex(clause, (c) => LETTER.test(c));
    const body = spread(clause.slice(0, lastLetter + 1), clauseStartMs, spokenEndMs - clauseStartMs);
    const tail = spread(clause.slice(lastLetter + 1), spokenEndMs, silenceEndMs - spokenEndMs);
    starts.push(...body.charStartMs, ...tail.charStartMs);
    durations.push(...body.charDurationMs, ...tail.charDurationMs);
    clauseStartMs = silenceEndMs;
  });
  return { chars, charStartMs: starts, charDurationMs: durations };
}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i] as T)) return i;
  return -1;
}

const WINDOW_MS = 10;
const SILENCE_RMS = 200;
const MIN_GAP_MS = 60;

function silentWindows(samples: Int16Array, sampleRate: number): boolean[] {
  const size = Math.round((sampleRate * WINDOW_MS) / 1000);
  const out: boolean[] = [];
  for (let start = 0; start < samples.length; start += size) {
    const end = Math.min(samples.length, start + size);
    let sum = 0;
    for (let i = start; i < end; i++) sum += (samples[i] ?? 0) ** 2;
    out.push(Math.sqrt(sum / (end - start)) < SILENCE_RMS);
  }
  return out;
}

function innerGaps(windows: boolean[], from: number, to: number): Array<{ start: number; end: number }> {
  const gaps: Array<{ start: number; end: number }> = [];
  let gapStart = -1;
  for (let i = from; i < to; i++) {
    if (windows[i] && gapStart < 0) gapStart = i;
    if (!windows[i] && gapStart >= 0) {
      if ((i - gapStart) * WINDOW_MS >= MIN_GAP_MS) gaps.push({ start: gapStart, end: i });
      gapStart = -1;
    }
  }
  return gaps;
}

/** A clause ends after a run of pause punctuation followed by whitespace (which it keeps), if text follows. */
function splitClauses(chars: readonly string[]): string[][] {
  const clauses: string[][] = [];
  let current: string[] = [];
  let i = 0;
  while (i < chars.length) {
    const ch = chars[i] as string;
    current.push(ch);
    i++;
    const next = chars[i];
    if (!PAUSE_PUNCTUATION.test(ch) || (next !== undefined && !/\s/u.test(next))) continue;
    while (i < chars.length && /\s/u.test(chars[i] as string)) current.push(chars[i++] as string);
    if (chars.slice(i).some((c) => LETTER.test(c))) {
      clauses.push(current);
      current = [];
    }
  }
  if (current.length > 0) clauses.push(current);
  return clauses;
}

function weight(ch: string): number {
  if (LETTER.test(ch)) return 1;
  if (/\s/u.test(ch)) return 0.3;
  return 0.15;
}

function spread(chars: readonly string[], startMs: number, durationMs: number): Alignment {
  const weights = chars.map(weight);
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const charStartMs: number[] = [];
  const charDurationMs: number[] = [];
  let acc = 0;
  let previous = Math.round(startMs);
  for (const w of weights) {
    acc += w;
    const end = Math.round(startMs + (Math.max(0, durationMs) * acc) / total);
    charStartMs.push(previous);
    charDurationMs.push(end - previous);
    previous = end;
  }
  return { chars: [...chars], charStartMs, charDurationMs };
}
