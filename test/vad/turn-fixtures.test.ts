import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { vad } from '../../operators/vad.js';
import { fromPcm } from '../../src/audio/sources.js';
import { TURNS_DIR, loadTurnAudio, loadTurnManifest } from '../../bench/turn-fixtures.js';
import { fixedSilence, runTurn, scoreTurn, scriptedTranscripts, summarizePolicy, wordsHeardBy } from '../../bench/turns-measure.js';
import type { PipelineEvent } from '../../src/events.js';
import { policies } from '../../bench/policies/punctuation.js';

const TOLERANCE_MS = 150;
const turns = loadTurnManifest();
const byName = (name: string) => turns.find((t) => t.name === name)!;

describe('the labelled turn fixtures', () => {
  it('hold at least 12 turns said in one go and 12 with a 300-900 ms mid-sentence pause', async () => {
    const paused = turns.filter((t) => !t.complete);
    expect(turns.filter((t) => t.complete && t.pause === null).length).toBeGreaterThanOrEqual(12);
    expect(paused.length).toBeGreaterThanOrEqual(12);
    for (const t of paused) {
      const p = t.pause!;
      expect(p.lengthMs).toBeGreaterThanOrEqual(300);
      expect(p.lengthMs).toBeLessThanOrEqual(900);
      expect(p.resumeMs - p.startMs).toBe(p.lengthMs);
      expect(t.text.startsWith(`${p.textBefore} `)).toBe(true);
      expect(p.startMs).toBeGreaterThan(t.speechStartMs);
      expect(p.resumeMs).toBeLessThan(t.speechEndMs);
    }
    for (const t of turns) {
      expect(existsSync(join(TURNS_DIR, t.path))).toBe(true);
      const audio = await loadTurnAudio(t);
      expect(Math.abs((audio.samples.length * 1000) / audio.sampleRate - t.durationMs)).toBeLessThanOrEqual(1);
    }
  });

  for (const t of turns.filter((x) => !x.complete)) {
    it(`${t.name}: real Silero hears the labelled pause where the label puts it, and one turn`, async () => {
      const audio = await loadTurnAudio(t);
      const events = await lastValueFrom(fromPcm(audio.samples, audio.sampleRate).pipe(vad({ silenceMs: 1200, pauseMs: 200 }), toArray()));
      const ended = events.filter((e) => e.type === 'speech.ended');
      expect(ended.length).toBe(1);
      expect(events.some((e) => e.type === 'speech.paused' && Math.abs(e.audioMs - t.pause!.startMs) <= TOLERANCE_MS)).toBe(true);
      expect(events.some((e) => e.type === 'speech.resumed' && Math.abs(e.audioMs - t.pause!.resumeMs) <= TOLERANCE_MS)).toBe(true);
      expect(Math.abs(ended[0]!.audioMs - t.speechEndMs)).toBeLessThanOrEqual(TOLERANCE_MS);
    });
  }
});

describe('the end-of-turn measure', () => {
  it('scores a decision in the pause as an early cut and the wait from the last word', () => {
    const t = byName('paused-06');
    const p = t.pause!;
    const cut = scoreTurn(t, [{ turnId: 'turn-1', atMs: p.startMs + 500 }, { turnId: 'turn-2', atMs: t.speechEndMs + 500 }]);
    expect(cut).toMatchObject({ cutInPause: true, cutElsewhere: false, waitMs: 500 });
    const held = scoreTurn(t, [{ turnId: 'turn-1', atMs: t.speechEndMs + 800 }]);
    expect(held).toMatchObject({ cutInPause: false, cutElsewhere: false, waitMs: 800 });
    const summary = summarizePolicy('x', [cut, held, scoreTurn(t, [])]);
    expect(summary).toMatchObject({ turns: 3, cutEarly: 1, cutInPause: 1, pausedTurns: 3, waitMedianMs: 650, undecided: 1 });
  });

  it('delivers the preview transcript delayMs of audio after the pause, and drops it when speech resumes first', async () => {
    const t = byName('paused-01');
    const frame = (startMs: number): PipelineEvent => ({ type: 'audio.in', frame: { samples: new Int16Array(160), sampleRate: 8000, startMs, seq: startMs / 20 } });
    const pauseAt = t.pause!.startMs;
    const paused: PipelineEvent = { type: 'speech.paused', turnId: 'turn-1', audioMs: pauseAt, decidedAudioMs: pauseAt + 200 };
    const frames = (fromMs: number, toMs: number) => Array.from({ length: (toMs - fromMs) / 20 }, (_, i) => frame(fromMs + i * 20));
    const run = (events: PipelineEvent[]) => lastValueFrom(from(events).pipe(scriptedTranscripts(t, 400), toArray()));
    const start = pauseAt + 200;
    const heard = await run([paused, ...frames(start, start + 600)]);
    const at = heard.findIndex((e) => e.type === 'transcript');
    expect(heard[at]).toMatchObject({ type: 'transcript', text: "I'd like to, um,", final: false, preview: true });
    // After the frame that reaches 400 ms past the pause's decision, not before.
    expect(heard[at - 1]).toMatchObject({ type: 'audio.in', frame: { startMs: start + 380 } });
    const resumed = await run([paused, ...frames(start, start + 200), { type: 'speech.resumed', turnId: 'turn-1', audioMs: start + 200 }, ...frames(start + 200, start + 600)]);
    expect(resumed.filter((e) => e.type === 'transcript')).toEqual([]);
  });

  it('with real Silero, a 500 ms silence cuts a 900 ms pause and a 1000 ms one waits it out', async () => {
    const t = byName('paused-06');
    const audio = await loadTurnAudio(t);
    const short = await runTurn(t, audio, fixedSilence(500));
    expect(short.cutInPause).toBe(true);
    const long = await runTurn(t, audio, fixedSilence(1000));
    expect(long.cutInPause).toBe(false);
    expect(long.waitMs).toBeGreaterThan(1000 - TOLERANCE_MS);
    expect(long.waitMs).toBeLessThan(1000 + TOLERANCE_MS);
  });

  it('reads the turn ends of a pluggable policy operator inserted after vad', async () => {
    const policy = policies[0]!; // ends at a 200 ms pause whose transcript ends a sentence, else at 1200 ms
    expect(wordsHeardBy(byName('paused-01'), byName('paused-01').pause!.startMs)).toBe("I'd like to, um,");
    for (const name of ['paused-01', 'complete-01']) {
      const t = byName(name);
      const outcome = await runTurn(t, await loadTurnAudio(t), policy);
      expect(outcome.cutInPause || outcome.cutElsewhere, name).toBe(false);
      expect(outcome.waitMs, name).toBeGreaterThan(200 - TOLERANCE_MS);
      expect(outcome.waitMs, name).toBeLessThan(200 + TOLERANCE_MS);
    }
  });
});
