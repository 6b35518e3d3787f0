import { describe, expect, it } from 'vitest';
import { backgroundAudio, BACKGROUND_TURN_ID, MAX_LOOP_SECONDS } from '../../operators/backgroundAudio.js';
import type { EventOf, PipelineEvent } from '../../src/events.js';
import { marbles } from '../../src/testing/index.js';

const constant = (value: number, n = 1600) => ({ samples: new Int16Array(n).fill(value), sampleRate: 16000 as const });
const reply = (seq: number): PipelineEvent => ({
  type: 'assistant.audio',
  turnId: 'turn-1',
  frame: { samples: new Int16Array(320).fill(100), sampleRate: 16000, startMs: seq * 20, seq },
});

/** Runs the mixer in virtual time; returns every audio frame with the time it left. */
function run(marble: string, values: Record<string, PipelineEvent>, options: Parameters<typeof backgroundAudio>[0]) {
  const out: { at: number; event: EventOf<'assistant.audio'> }[] = [];
  marbles(({ cold, scheduler }) => {
    cold(marble, values)
      .pipe(backgroundAudio({ ...options, scheduler }))
      .subscribe((e) => {
        if (e.type === 'assistant.audio') out.push({ at: scheduler.now(), event: e });
      });
  });
  return out;
}

describe('backgroundAudio', () => {
  it('fills silence at real time, mixes under reply frames, and pauses while the caller speaks', () => {
    const values: Record<string, PipelineEvent> = {
      a: reply(0),
      S: { type: 'speech.started', turnId: 'turn-2', audioMs: 0 },
      E: { type: 'speech.ended', turnId: 'turn-2', audioMs: 100, reason: 'silence', decidedAudioMs: 600 },
    };
    const frames = run('100ms a 99ms S 199ms E 99ms |', values, { sound: constant(1000), level: 0.5, rampMs: 20 });
    const background = frames.filter((f) => f.event.turnId === BACKGROUND_TURN_ID);
    const mixed = frames.find((f) => f.event.turnId === 'turn-1')!;
    // the reply frame keeps its identity, with the ambience at half level added
    expect(mixed.event.frame.seq).toBe(0);
    expect([...mixed.event.frame.samples.slice(0, 3)]).toEqual([600, 600, 600]);
    // before the reply: one 20 ms frame per 20 ms from the start, at the set level
    const before = background.filter((f) => f.at < 100);
    expect(before.map((f) => f.at)).toEqual([0, 20, 40, 60, 80]);
    expect(new Set(before.flatMap((f) => [...f.event.frame.samples]))).toEqual(new Set([500]));
    // while the caller speaks (201..401): it ramps out and stops; after speech it comes back
    expect(background.filter((f) => f.at > 240 && f.at < 400)).toEqual([]);
    expect(background.filter((f) => f.at >= 401).length).toBeGreaterThanOrEqual(4);
    // seq is continuous over the background's own frames
    expect(background.map((f) => f.event.frame.seq)).toEqual(background.map((_, i) => i));
  });

  it('plays the thinking sound only while a tool is slow, and ramps it out at the result', () => {
    const values: Record<string, PipelineEvent> = {
      s: { type: 'tool.slow', turnId: 'turn-1', callId: 'c1', name: 'lookup', waitedMs: 1000, atMs: 50 },
      r: { type: 'tool.result', turnId: 'turn-1', callId: 'c1', name: 'lookup', output: '{}', isError: false },
    };
    const frames = run('50ms s 99ms r 199ms |', values, { thinking: constant(2000), thinkingLevel: 0.5, rampMs: 10 });
    const at = frames.map((f) => f.at);
    expect(at.length).toBeGreaterThan(3);
    expect(Math.min(...at)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...at)).toBeLessThanOrEqual(180);
    const peak = Math.max(...frames.flatMap((f) => [...f.event.frame.samples]));
    expect(peak).toBe(1000);
    // the last frame ends at silence: the ramp went down to zero, no click
    const last = frames[frames.length - 1]!.event.frame.samples;
    expect(last[last.length - 1]).toBe(0);
  });

  it('refuses a loop longer than MAX_LOOP_SECONDS (its memory bound)', () => {
    const long = { samples: new Int16Array(8000 * (MAX_LOOP_SECONDS + 1)), sampleRate: 8000 as const };
    expect(() => backgroundAudio({ sound: long })).toThrow(/at most/);
    expect(() => backgroundAudio({ thinking: { samples: new Int16Array(0), sampleRate: 16000 } })).toThrow(/needs samples/);
  });
});
