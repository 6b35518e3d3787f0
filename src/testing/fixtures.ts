import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Observable } from 'rxjs';
import type { AudioFrame } from '../audio/frame.js';
import { fromWav, type PacingOptions } from '../audio/sources.js';
import { readWavFile, type WavAudio } from '../audio/wav.js';

export interface FixtureUtterance {
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
}

export interface FixtureEntry {
  readonly name: string;
  readonly path: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly encoding: 'pcm16' | 'mulaw';
  readonly durationMs: number;
  readonly description?: string;
  readonly utterances: readonly FixtureUtterance[];
}

export interface Fixture extends FixtureEntry {
  /** Absolute path of the WAV file. */
  readonly file: string;
  read(): Promise<WavAudio>;
  frames(options?: PacingOptions): Observable<AudioFrame>;
}

/** The project's `fixtures/` directory (works from src/ and from dist/src/). */
export function fixturesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = here.includes(`${join('dist', 'src')}`) ? '../../..' : '../..';
  return resolve(here, up, 'fixtures');
}

let manifest: Promise<readonly FixtureEntry[]> | undefined;

export function loadManifest(): Promise<readonly FixtureEntry[]> {
  manifest ??= readFile(join(fixturesDir(), 'manifest.json'), 'utf8').then(
    (text) => (JSON.parse(text) as { files: FixtureEntry[] }).files,
    (err: unknown) => {
      manifest = undefined; // not cached: a later call may find it
      throw err;
    },
  );
  return manifest;
}

/** A fixture by name (`one-sentence`) or file name (`one-sentence.wav`), from fixtures/manifest.json. */
export async function loadFixture(name: string): Promise<Fixture> {
  const entries = await loadManifest();
  const entry = entries.find((e) => e.name === name || e.path === name || e.path === `${name}.wav`);
  if (!entry) throw new Error(`no fixture named ${name} (have: ${entries.map((e) => e.name).join(', ')})`);
  const file = join(fixturesDir(), entry.path);
  return { ...entry, file, read: () => readWavFile(file), frames: (options) => fromWav(file, options) };
}
