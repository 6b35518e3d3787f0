/**
 * The labelled caller turns of fixtures/turns/ (made by scripts/make-turn-fixtures.sh): loading them, and
 * the sandbox scenario that transcribes each turn as the real service would hear it, the words before the
 * pause for a request whose audio stops in the pause, the whole text for the whole turn.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWavFile } from '../src/audio/wav.js';
import type { ScenarioUtterance } from '../src/sandbox/types.js';

export const TURNS_DIR = 'fixtures/turns';

export interface TurnPause {
  /** The last speech sample before the pause (ms from the start of the file). */
  readonly startMs: number;
  readonly lengthMs: number;
  /** Where speech starts again. */
  readonly resumeMs: number;
  /** The words said before the pause. */
  readonly textBefore: string;
}

export interface TurnFixture {
  readonly name: string;
  readonly path: string;
  readonly sampleRate: number;
  readonly encoding: string;
  readonly durationMs: number;
  readonly text: string;
  /** Said in one go; false: a mid-sentence pause, then more words. */
  readonly complete: boolean;
  readonly speechStartMs: number;
  readonly speechEndMs: number;
  readonly pause: TurnPause | null;
}

export function loadTurnManifest(dir = TURNS_DIR): TurnFixture[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { turns: TurnFixture[] };
  return manifest.turns;
}

export async function loadTurnAudio(fixture: TurnFixture, dir = TURNS_DIR): Promise<{ samples: Int16Array; sampleRate: number }> {
  return readWavFile(join(dir, fixture.path));
}

/**
 * The scenario utterance of one turn: an upload that ends before the resumed speech reads `textBefore`.
 * Upload times count from the upload's first sample, which the chain takes `prePaddingMs` before the
 * speech starts (vad and chunk default 300 ms), so the cut is at `resumeMs - (speechStartMs - prePaddingMs)`.
 * A preemptive upload ends ~200 ms into the pause, a whole-turn one after the end-of-turn silence: the cut
 * lies between the two for every pause longer than the preemptive one.
 */
export function turnUtterance(fixture: TurnFixture, prePaddingMs = 300): ScenarioUtterance {
  if (!fixture.pause) return { transcript: fixture.text };
  const uploadStartMs = Math.max(0, fixture.speechStartMs - prePaddingMs);
  return { transcript: fixture.text, partials: [{ untilMs: fixture.pause.resumeMs - uploadStartMs, transcript: fixture.pause.textBefore }] };
}
