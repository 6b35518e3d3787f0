import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../src/audio/frame.js';
import { framesOf } from '../../src/audio/sources.js';
import { createSpeechDetector, type SpeechDetectorOptions } from '../../src/vad/detector.js';
import type { VadTransition } from '../../src/vad/state-machine.js';
import { loadFixture, loadManifest } from '../../src/testing/index.js';
import { loadTurnAudio, loadTurnManifest } from '../../bench/turn-fixtures.js';

/** One model window: the gate may move a start or an end by at most this. */
const WINDOW_MS = 32;

async function transitions(samples: Int16Array, rate: number, options: SpeechDetectorOptions): Promise<VadTransition[]> {
  const detector = createSpeechDetector(options);
  const out: VadTransition[] = [];
  for (const frame of framesOf(samples, rate as AudioFrame['sampleRate'], 20)) out.push(...(await detector.push(frame)));
  out.push(...(await detector.end()));
  await detector.release();
  return out;
}

/** Gated and ungated give the same transitions, each within one window. */
async function expectSame(samples: Int16Array, rate: number, options: SpeechDetectorOptions = {}): Promise<void> {
  const ungated = await transitions(samples, rate, { ...options, energyGate: false });
  const gated = await transitions(samples, rate, { ...options, energyGate: true });
  expect(gated.map((t) => t.type)).toEqual(ungated.map((t) => t.type));
  gated.forEach((t, i) => expect(Math.abs(t.audioMs - ungated[i]!.audioMs)).toBeLessThanOrEqual(WINDOW_MS));
}

const manifest = await loadManifest();
const turns = loadTurnManifest();

describe('the energy gate keeps the ungated decisions', () => {
  for (const entry of manifest) {
    it(`${entry.name}: same starts and ends (default settings and the pipelines' pauseMs 200)`, async () => {
      const wav = await (await loadFixture(entry.name)).read();
      await expectSame(wav.samples, wav.sampleRate);
      await expectSame(wav.samples, wav.sampleRate, { pauseMs: 200 });
    });
  }

  it('on every labelled turn fixture (silenceMs 1200, pauseMs 200): same pauses, resumes and ends', async () => {
    for (const t of turns) {
      const audio = await loadTurnAudio(t);
      await expectSame(audio.samples, audio.sampleRate, { silenceMs: 1200, pauseMs: 200 });
    }
  });
});
