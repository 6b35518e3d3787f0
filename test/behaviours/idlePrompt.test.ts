import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import { describe, it } from 'vitest';
import { idlePrompt, DEFAULT_IDLE_HANGUP } from '../../operators/idlePrompt.js';
import type { PipelineEvent } from '../../src/events.js';
import { PlaybackClock } from '../../src/playback.js';
import { marbles } from '../../src/testing/index.js';

/** Stands in for `tts`: each reply's audio (`audioMs` long) is emitted at once when its text is done. */
function speaker(clock: PlaybackClock, audioMs = 1000): MonoTypeOperatorFunction<PipelineEvent> {
  return tap((e) => {
    if (e.type !== 'assistant.done') return;
    clock.emitted(e.turnId, audioMs);
    clock.markComplete(e.turnId);
  });
}

const done = (turnId: string, text = 'Hi.'): PipelineEvent => ({ type: 'assistant.done', turnId, text });
const said = (turnId: string, text: string): PipelineEvent[] => [
  { type: 'assistant.text', turnId, delta: text, segment: true },
  { type: 'assistant.done', turnId, text, finishReason: 'idle' },
];

describe('idlePrompt', () => {
  it('prompts afterMs after the reply finished playing, then hangs up hangupAfterMs after the prompt was heard', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const clock = new PlaybackClock(scheduler);
      const source = cold('-d 9000ms |', { d: done('turn-1') });
      const [t, q] = said('idle-1', 'Are you still there?');
      const [g, h] = said('idle-2', DEFAULT_IDLE_HANGUP);
      const p: PipelineEvent = { type: 'idle.prompt', turnId: 'idle-1', count: 1, silentMs: 3000, atMs: 4001 };
      const e: PipelineEvent = { type: 'call.end', reason: 'idle', turnId: 'idle-2', atMs: 7001 };
      // reply audio 1..1001, silence 3000 -> prompt at 4001; its audio 4001..5001, 2000 more -> goodbye at 7001
      expectObservable(source.pipe(idlePrompt({ playback: clock, afterMs: 3000, hangupAfterMs: 2000, scheduler }), speaker(clock))).toBe(
        '-d 3999ms (ptq) 2995ms (ghe) 1996ms |',
        { d: done('turn-1'), p, t: t!, q: q!, g: g!, h: h!, e },
      );
    });
  });

  it('stays quiet while the caller speaks, while a tool runs and while a reply is generated; speech starts the count over', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const clock = new PlaybackClock(scheduler);
      const values: Record<string, PipelineEvent> = {
        s: { type: 'speech.started', turnId: 'turn-2', audioMs: 0 },
        e: { type: 'speech.ended', turnId: 'turn-2', audioMs: 5000, reason: 'silence', decidedAudioMs: 5500 },
        a: { type: 'assistant.text', turnId: 'turn-2', delta: 'Let me look.' },
        c: { type: 'tool.call', turnId: 'turn-2', callId: 'c1', name: 'slow', arguments: '{}' },
        r: { type: 'tool.result', turnId: 'turn-2', callId: 'c1', name: 'slow', output: '{}', isError: false },
        d: done('turn-2', 'Let me look. Found it.'),
      };
      // speech lasts 5 s, then text, a 4 s tool, the reply done at 8003: no prompt before 9003 + 1000 (audio) + 1000
      const source = cold('s 4999ms e a c 3999ms r d 3000ms |', values);
      const [t, q] = said('idle-1', 'Still there?');
      const p: PipelineEvent = { type: 'idle.prompt', turnId: 'idle-1', afterTurnId: 'turn-2', count: 1, silentMs: 1000, atMs: 11003 };
      expectObservable(source.pipe(idlePrompt({ playback: clock, afterMs: 1000, text: 'Still there?', scheduler }), speaker(clock))).toBe(
        's 4999ms e a c 3999ms r d 1999ms (ptq) 996ms |',
        { ...values, p, t: t!, q: q! },
      );
    });
  });

  it('without hangupAfterMs it prompts maxPrompts times per silence, and never while reply audio plays', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const clock = new PlaybackClock(scheduler);
      const source = cold('d 20000ms |', { d: done('turn-1') });
      const [t1, q1] = said('idle-1', 'Hello? (1)');
      const [t2, q2] = said('idle-2', 'Hello? (2)');
      const p1: PipelineEvent = { type: 'idle.prompt', turnId: 'idle-1', count: 1, silentMs: 2000, atMs: 3000 };
      const p2: PipelineEvent = { type: 'idle.prompt', turnId: 'idle-2', count: 2, silentMs: 2000, atMs: 6000 };
      // turn-1 audio 0..1000, prompt at 3000; its audio 3000..4000, prompt 2 at 6000; then nothing more
      expectObservable(
        source.pipe(idlePrompt({ playback: clock, afterMs: 2000, maxPrompts: 2, text: (n) => `Hello? (${n})`, scheduler }), speaker(clock)),
      ).toBe('d 2999ms (ptq) 2995ms (PTQ) 13996ms |', { d: done('turn-1'), p: p1, t: t1!, q: q1!, P: p2, T: t2!, Q: q2! });
    });
  });

  it('a final transcript with words holds the count until its reply, however slow; a late one after the reply changes nothing', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const clock = new PlaybackClock(scheduler);
      const values: Record<string, PipelineEvent> = {
        s: { type: 'speech.started', turnId: 'turn-1', audioMs: 0 },
        e: { type: 'speech.ended', turnId: 'turn-1', audioMs: 500, reason: 'silence', decidedAudioMs: 1000 },
        t: { type: 'transcript', turnId: 'turn-1', text: 'Hello there', final: true },
        d: done('turn-1'),
        T: { type: 'transcript', turnId: 'turn-1', text: 'Hello there', final: true },
      };
      // afterMs 300, but the reply comes 2 s after the transcript: no prompt before its audio has played
      const source = cold('s e t 1999ms d T 3000ms |', values);
      const [x, q] = said('idle-1', 'Are you still there?');
      // turn-1's audio plays 2002..3002, then 300 ms of silence
      const p: PipelineEvent = { type: 'idle.prompt', turnId: 'idle-1', afterTurnId: 'turn-1', count: 1, silentMs: 300, atMs: 3302 };
      expectObservable(source.pipe(idlePrompt({ playback: clock, afterMs: 300, scheduler }), speaker(clock))).toBe(
        's e t 1999ms d T 1298ms (pxq) 1697ms |',
        { ...values, p, x: x!, q: q! },
      );
    });
  });
});
