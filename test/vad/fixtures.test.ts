import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createSpeechDetector, vad } from '../../operators/vad.js';
import { chunk } from '../../operators/chunk.js';
import type { SpeechEndedEvent, SpeechStartedEvent, UtteranceChunkEvent } from '../../src/events.js';
import { framesOf } from '../../src/audio/sources.js';
import { SileroModel } from '../../src/vad/silero.js';
import { loadFixture, loadManifest } from '../../src/testing/index.js';

const TOLERANCE_MS = 150;
const manifest = await loadManifest();

describe('real Silero on every fixture', () => {
  for (const entry of manifest) {
    it(`${entry.name}: finds ${entry.utterances.length} utterance(s) within ${TOLERANCE_MS} ms`, async () => {
      const fixture = await loadFixture(entry.name);
      const events = await lastValueFrom(fixture.frames().pipe(vad(), toArray()));
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
      const starts = events.filter((e): e is SpeechStartedEvent => e.type === 'speech.started');
      const ends = events.filter((e): e is SpeechEndedEvent => e.type === 'speech.ended');
      expect(starts.length).toBe(entry.utterances.length);
      expect(ends.length).toBe(entry.utterances.length);
      entry.utterances.forEach((u, i) => {
        expect(Math.abs(starts[i]!.audioMs - u.startMs)).toBeLessThanOrEqual(TOLERANCE_MS);
        expect(Math.abs(ends[i]!.audioMs - u.endMs)).toBeLessThanOrEqual(TOLERANCE_MS);
        expect(starts[i]!.turnId).toBe(`turn-${i + 1}`);
        expect(ends[i]!.turnId).toBe(`turn-${i + 1}`);
      });
      // Every input frame came out as audio.in, in order.
      const wav = await fixture.read();
      const audio = events.filter((e) => e.type === 'audio.in');
      expect(audio.reduce((n, e) => n + (e.type === 'audio.in' ? e.frame.samples.length : 0), 0)).toBe(wav.samples.length);
    });
  }

  it('chunks the demo call into three utterances with final chunks, padding included', async () => {
    const fixture = await loadFixture('call-3turns');
    const events = await lastValueFrom(fixture.frames().pipe(vad(), chunk(), toArray()));
    const chunks = events.filter((e): e is UtteranceChunkEvent => e.type === 'utterance.chunk');
    const finals = chunks.filter((c) => c.final);
    expect(finals.map((c) => c.turnId)).toEqual(['turn-1', 'turn-2', 'turn-3']);
    fixture.utterances.forEach((u, i) => {
      const first = chunks.find((c) => c.turnId === `turn-${i + 1}`)!;
      expect(Math.abs(first.startMs - (u.startMs - 300))).toBeLessThanOrEqual(TOLERANCE_MS);
    });
  });

  it('createSpeechDetector (callback style) finds the same utterances as the operator', async () => {
    const fixture = await loadFixture('two-sentences');
    const wav = await fixture.read();
    const detector = createSpeechDetector();
    const transitions = [];
    for (const frame of framesOf(wav.samples, 16000, 20)) transitions.push(...(await detector.push(frame)));
    transitions.push(...(await detector.end()));
    await detector.release();
    expect(transitions.map((t) => t.type)).toEqual(['start', 'end', 'start', 'end']);
    const [s1, e1, s2, e2] = transitions;
    expect(Math.abs(s1!.audioMs - fixture.utterances[0]!.startMs)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(e1!.audioMs - fixture.utterances[0]!.endMs)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(s2!.audioMs - fixture.utterances[1]!.startMs)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(Math.abs(e2!.audioMs - fixture.utterances[1]!.endMs)).toBeLessThanOrEqual(TOLERANCE_MS);
    expect(s1).toMatchObject({ paddedStartMs: Math.max(0, s1!.audioMs - 300) });
  });

  it('keeps state per stream: two interleaved streams on the shared session stay independent', async () => {
    const speech = (await (await loadFixture('one-sentence')).read()).samples;
    const quiet = new Int16Array(speech.length);
    const a = await SileroModel.load();
    const b = await SileroModel.load();
    const { pcm16ToFloat32 } = await import('../../src/audio/pcm.js');
    let maxA = 0;
    let maxB = 0;
    for (let i = 0; i + 512 <= speech.length; i += 512) {
      const [pa, pb] = await Promise.all([a.process(pcm16ToFloat32(speech.subarray(i, i + 512))), b.process(pcm16ToFloat32(quiet.subarray(i, i + 512)))]);
      maxA = Math.max(maxA, pa);
      maxB = Math.max(maxB, pb);
    }
    expect(maxA).toBeGreaterThan(0.9);
    expect(maxB).toBeLessThan(0.1);
    await a.release();
    await expect(a.process(new Float32Array(512))).rejects.toMatchObject({ code: 'internal' });
    await expect(b.process(new Float32Array(100))).rejects.toMatchObject({ code: 'bad_audio' });
  });
});
