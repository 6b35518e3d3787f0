import { describe, expect, it } from 'vitest';
import { resampleAssistantAudio } from '../../operators/resampleAssistantAudio.js';
import { createResampler } from '../../src/audio/resample.js';
import type { PipelineEvent } from '../../src/events.js';
import { marbles } from '../../src/testing/marbles.js';

const tone = (n: number, offset: number): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * (i + offset)) / 24000)));
const audio = (turnId: string, seq: number, samples: Int16Array, sampleRate: 24000 | 16000 = 24000): PipelineEvent => ({
  type: 'assistant.audio',
  turnId,
  frame: { samples, sampleRate, startMs: seq * 20, seq },
});

describe('resampleAssistantAudio', () => {
  it('brings each turn to the rate in one stream per turn; other events and frames already at the rate pass untouched', () => {
    const a0 = tone(480, 0);
    const a1 = tone(480, 480);
    const b0 = tone(480, 0);
    const other: PipelineEvent = { type: 'assistant.done', turnId: 'turn-1', text: 'Hi.' };
    const native = audio('turn-3', 0, new Int16Array(320), 16000);
    // What one resampler per turn gives: the second frame continues the first (no seam).
    const turn1 = createResampler(24000, 16000);
    const want0 = turn1.push(a0);
    const want1 = turn1.push(a1);
    const wantB = createResampler(24000, 16000).push(b0);
    marbles(({ cold, expectObservable }) => {
      const source = cold('a-b-T-c-n|', { a: audio('turn-1', 0, a0), b: audio('turn-1', 1, a1), T: other, c: audio('turn-2', 0, b0), n: native });
      expectObservable(source.pipe(resampleAssistantAudio(16000))).toBe('a-b-T-c-n|', {
        a: { type: 'assistant.audio', turnId: 'turn-1', frame: { samples: want0, sampleRate: 16000, startMs: 0, seq: 0 } },
        b: { type: 'assistant.audio', turnId: 'turn-1', frame: { samples: want1, sampleRate: 16000, startMs: 20, seq: 1 } },
        T: other,
        c: { type: 'assistant.audio', turnId: 'turn-2', frame: { samples: wantB, sampleRate: 16000, startMs: 0, seq: 0 } },
        n: native,
      });
    });
    // 30 ms of 24 kHz audio in two frames comes out as about 2/3 of the samples.
    expect(want0.length + want1.length).toBeGreaterThan(560);
    expect(want0.length + want1.length).toBeLessThanOrEqual(640);
  });

  it('each subscription starts fresh: a turn id seen before gets a new resampler and seq from 0', () => {
    const frames = [audio('turn-1', 0, tone(480, 0)), audio('turn-1', 1, tone(480, 480))];
    const first: number[] = [];
    const second: number[] = [];
    marbles(({ cold, expectObservable, flush }) => {
      const source = cold('ab|', { a: frames[0]!, b: frames[1]! });
      source.pipe(resampleAssistantAudio(16000)).subscribe((e) => e.type === 'assistant.audio' && first.push(e.frame.seq));
      source.pipe(resampleAssistantAudio(16000)).subscribe((e) => e.type === 'assistant.audio' && second.push(e.frame.seq));
      expectObservable(source).toBe('ab|', { a: frames[0]!, b: frames[1]! });
      flush();
    });
    expect(first).toEqual([0, 1]);
    expect(second).toEqual([0, 1]);
  });
});
