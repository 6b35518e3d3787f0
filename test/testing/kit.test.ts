import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import {
  audioIn,
  fixturesDir,
  frameOf,
  loadFixture,
  loadManifest,
  marbles,
  scriptedSpeech,
  scriptedVad,
  silenceFrames,
  sineFrames,
  speechEnded,
  speechStarted,
  transcript,
  utteranceChunk,
} from '../../src/testing/index.js';
import { zeroCrossingFrequency } from '../audio/helpers.js';

describe('rxvoice/testing kit', () => {
  it('builds frames from samples or a duration', () => {
    expect(frameOf([1, 2, 3], { sampleRate: 8000, startMs: 40, seq: 2 })).toEqual({ samples: Int16Array.from([1, 2, 3]), sampleRate: 8000, startMs: 40, seq: 2 });
    const f = frameOf(20, { value: 7 });
    expect(f.samples.length).toBe(320);
    expect(f.samples.every((v) => v === 7)).toBe(true);
  });

  it('generates gapless frame runs with real tones and silence', () => {
    const tone = sineFrames(1000, { frequency: 440, sampleRate: 24000, frameMs: 20, startMs: 100, firstSeq: 5 });
    expect(tone.length).toBe(50);
    expect(tone[1]).toMatchObject({ startMs: 120, seq: 6, sampleRate: 24000 });
    const joined = Int16Array.from(tone.flatMap((t) => Array.from(t.samples)));
    expect(zeroCrossingFrequency(joined, 24000)).toBeCloseTo(440, 0);
    const quiet = silenceFrames(50, { frameMs: 20 });
    expect(quiet.map((q) => q.samples.length)).toEqual([320, 320, 160]);
    expect(quiet.every((q) => q.samples.every((v) => v === 0))).toBe(true);
  });

  it('builds events with sensible defaults', () => {
    expect(speechEnded('turn-2', 900)).toEqual({ type: 'speech.ended', turnId: 'turn-2', audioMs: 900, reason: 'silence', decidedAudioMs: 900 });
    expect(speechStarted('turn-1', 5)).toEqual({ type: 'speech.started', turnId: 'turn-1', audioMs: 5 });
    expect(audioIn(frameOf([1]), 'turn-1')).toMatchObject({ type: 'audio.in', turnId: 'turn-1' });
    expect('turnId' in audioIn(frameOf([1]))).toBe(false);
    expect(utteranceChunk('t', 0, new Int16Array(2))).toMatchObject({ final: false, sampleRate: 16000, startMs: 0 });
    expect(transcript('t', 'hi', { language: 'en' })).toEqual({ type: 'transcript', turnId: 't', text: 'hi', final: true, language: 'en' });
  });

  it('scripts vad probabilities by list (last value repeats), by function, or by speech spans', () => {
    const list = scriptedVad([0.1, 0.9]);
    expect([1, 2, 3].map(() => list.process(new Float32Array(512)))).toEqual([0.1, 0.9, 0.9]);
    expect(list.calls).toBe(3);
    list.release();
    expect(list.released).toBe(true);
    const spans = scriptedSpeech([[64, 128]]);
    expect([0, 1, 2, 3, 4].map(() => spans.process(new Float32Array(512)))).toEqual([0.05, 0.05, 0.9, 0.9, 0.05]);
  });

  it('loads fixtures from the manifest, and names the known ones when asked for an unknown one', async () => {
    const manifest = await loadManifest();
    expect(manifest.map((m) => m.name)).toContain('call-3turns');
    const call = await loadFixture('call-3turns.wav');
    expect(call.file.startsWith(fixturesDir())).toBe(true);
    expect(call.utterances.map((u) => u.text)).toEqual(["What's the weather like in Paris today?", 'Can you book me a table for two at eight?', "Thanks, that's all."]);
    await expect(loadFixture('nope')).rejects.toThrow(/no fixture named nope \(have: .*call-3turns/);
  });

  it('marbles() passes on equal timelines and explains a mismatch line by line', () => {
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('a-b|').pipe(map((v) => v.toUpperCase()))).toBe('A-B|');
    });
    expect(() =>
      marbles(({ expectObservable }) => {
        expectObservable(of(frameOf([1, 2]))).toBe('(x|)', { x: frameOf([1, 3]) });
      }),
    ).toThrow(/marble mismatch\nactual:\n\s+0ms N .*"<2 samples>"/);
  });
});
