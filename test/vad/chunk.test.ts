import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { chunk } from '../../operators/chunk.js';
import { vad } from '../../operators/vad.js';
import type { PipelineEvent, UtteranceChunkEvent } from '../../src/events.js';
import { audioIn, frameOf, marbles, scriptedSpeech, sineFrames, speechEnded, speechStarted, transcript, utteranceChunk } from '../../src/testing/index.js';
import { timeline } from './helpers.js';

/** 100 ms frame number k at 16 kHz, every sample equal to k + 1 (so chunk contents are traceable). */
const frame = (k: number) => frameOf(100, { startMs: k * 100, seq: k, value: k + 1 });
const fill = (parts: [value: number, samples: number][]) => Int16Array.from(parts.flatMap(([v, n]) => Array<number>(n).fill(v)));

describe('chunk operator (virtual time)', () => {
  it('emits padded chunks while the caller speaks and a final chunk at speech.ended', () => {
    marbles(({ cold, expectObservable }) => {
      const values: Record<string, PipelineEvent> = {
        ...Object.fromEntries('abcdefgh'.split('').map((c, k) => [c, audioIn(frame(k))])),
        S: speechStarted('turn-1', 500),
        i: audioIn(frame(8), 'turn-1'),
        j: audioIn(frame(9), 'turn-1'),
        E: speechEnded('turn-1', 900, { decidedAudioMs: 1000 }),
        k: audioIn(frame(10)),
        x: transcript('turn-0', 'passes through'),
      };
      const input = timeline('abcdefghSijExk'.split(''), 10, '|');
      // The vad says "started at 500" at 800: chunk reaches back to 500 - 300 = 200 ms.
      const out = {
        ...values,
        0: utteranceChunk('turn-1', 0, fill([[3, 1600], [4, 1600]]), { startMs: 200 }),
        1: utteranceChunk('turn-1', 1, fill([[5, 1600], [6, 1600]]), { startMs: 400 }),
        2: utteranceChunk('turn-1', 2, fill([[7, 1600], [8, 1600]]), { startMs: 600 }),
        3: utteranceChunk('turn-1', 3, fill([[9, 1600], [10, 1600]]), { startMs: 800 }),
        4: utteranceChunk('turn-1', 4, new Int16Array(0), { startMs: 1000, final: true }),
      };
      const expected = timeline(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '(S012)', 'i', '(j3)', '(4E)', 'x', 'k'], 10, '|');
      expectObservable(cold(input, values).pipe(chunk({ chunkMs: 200, prePaddingMs: 300 }))).toBe(expected, out);
    });
  });

  it('cuts a partial chunk with a sample-accurate padded start', async () => {
    const events: PipelineEvent[] = [audioIn(frame(0)), audioIn(frame(1)), speechStarted('turn-1', 150), speechEnded('turn-1', 190)];
    const out = await lastValueFrom(from(events).pipe(chunk({ chunkMs: 1000, prePaddingMs: 100 }), toArray()));
    const chunks = out.filter((e): e is UtteranceChunkEvent => e.type === 'utterance.chunk');
    expect(chunks).toEqual([utteranceChunk('turn-1', 0, fill([[1, 800], [2, 1600]]), { startMs: 50, final: true })]);
  });

  it('caps an endless utterance: final chunk, a max_utterance error, then the rest of the turn is ignored', () => {
    marbles(({ cold, expectObservable }) => {
      const values: Record<string, PipelineEvent> = {
        S: speechStarted('turn-1', 0),
        ...Object.fromEntries('abcdefgh'.split('').map((c, k) => [c, audioIn(frame(k), 'turn-1')])),
        E: speechEnded('turn-1', 800),
      };
      const out = {
        ...values,
        0: utteranceChunk('turn-1', 0, fill([[1, 1600], [2, 1600]]), { startMs: 0 }),
        1: utteranceChunk('turn-1', 1, fill([[3, 1600], [4, 1600]]), { startMs: 200 }),
        2: utteranceChunk('turn-1', 2, fill([[5, 1600], [6, 1600]]), { startMs: 400 }),
        3: utteranceChunk('turn-1', 3, new Int16Array(0), { startMs: 600, final: true }),
        X: {
          type: 'error',
          turnId: 'turn-1',
          code: 'max_utterance',
          stage: 'chunk',
          message: 'utterance turn-1 reached the maximum length of 300 ms; its audio was cut there',
          retryable: false,
          utteranceLost: false,
        } as PipelineEvent,
      };
      // 300 ms limit + 250 ms grace: the frame ending at 600 ms crosses it.
      const input = timeline('SabcdefghE'.split(''), 10, '|');
      const expected = timeline(['S', 'a', '(b0)', 'c', '(d1)', 'e', '(f23X)', 'g', 'h', 'E'], 10, '|');
      expectObservable(cold(input, values).pipe(chunk({ chunkMs: 200, maxUtteranceMs: 300 }))).toBe(expected, out);
    });
  });

  it('does not repeat audio as padding when a turn follows straight on (max_length restart)', async () => {
    const events: PipelineEvent[] = [
      speechStarted('turn-1', 0),
      ...[0, 1, 2, 3].map((k) => audioIn(frame(k), 'turn-1')),
      speechEnded('turn-1', 400, { reason: 'max_length' }),
      speechStarted('turn-2', 400),
      audioIn(frame(4), 'turn-2'),
      speechEnded('turn-2', 500),
    ];
    const out = await lastValueFrom(from(events).pipe(chunk({ chunkMs: 1000, prePaddingMs: 300 }), toArray()));
    const chunks = out.filter((e): e is UtteranceChunkEvent => e.type === 'utterance.chunk');
    expect(chunks).toEqual([
      utteranceChunk('turn-1', 0, fill([[1, 1600], [2, 1600], [3, 1600], [4, 1600]]), { startMs: 0, final: true }),
      utteranceChunk('turn-2', 0, fill([[5, 1600]]), { startMs: 400, final: true }),
    ]);
  });

  it('closes an utterance still open when the source completes', async () => {
    const out = await lastValueFrom(from([speechStarted('turn-1', 0), audioIn(frame(0), 'turn-1')]).pipe(chunk(), toArray()));
    expect(out[out.length - 1]).toEqual(utteranceChunk('turn-1', 0, fill([[1, 1600]]), { startMs: 0, final: true }));
  });

  it('composes with vad: the chunks are exactly the audio from the padded start to the end decision', async () => {
    const frames = sineFrames(3000, { frameMs: 20, frequency: 300 });
    const events = await lastValueFrom(
      from(frames).pipe(vad({ probabilities: scriptedSpeech([[640, 1600]]), prePaddingMs: 300 }), chunk({ chunkMs: 250, prePaddingMs: 300 }), toArray()),
    );
    const chunks = events.filter((e): e is UtteranceChunkEvent => e.type === 'utterance.chunk');
    const ended = events.find((e) => e.type === 'speech.ended')!;
    expect(ended).toMatchObject({ audioMs: 1600, decidedAudioMs: 2112 });
    expect(chunks[0]!.startMs).toBe(340);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    expect(chunks.filter((c) => c.final).length).toBe(1);
    expect(chunks[chunks.length - 1]!.final).toBe(true);
    // The final chunk comes right before speech.ended.
    expect(events[events.indexOf(ended) - 1]).toBe(chunks[chunks.length - 1]);
    const audio = Int16Array.from(chunks.flatMap((c) => Array.from(c.samples)));
    const whole = Int16Array.from(frames.flatMap((f) => Array.from(f.samples)));
    const decidedFrameEnd = Math.ceil(2112 / 20) * 20; // the vad decides after the frame holding 2112 ms
    expect(Array.from(audio)).toEqual(Array.from(whole.subarray(340 * 16, decidedFrameEnd * 16)));
  });
});
