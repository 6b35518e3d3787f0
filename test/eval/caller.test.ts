import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../src/audio/frame.js';
import type { PipelineEvent } from '../../src/events.js';
import { ScriptedCaller, type CallerTurnAudio } from '../../src/eval/caller.js';

/** 100 ms of "speech" (any non-zero samples) at 16 kHz. */
const speech = (): Int16Array => new Int16Array(1600).fill(1000);
const replyAudio = (turnId: string, ms: number): PipelineEvent => ({
  type: 'assistant.audio',
  turnId,
  frame: { samples: new Int16Array(16 * ms), sampleRate: 16000, startMs: 0, seq: 0 },
});

/**
 * Plays the caller in virtual time; `script` calls `agent(at, event)` for what the chain would emit, and when. A speech.started
 * is emitted for each turn when its first non-silent frame goes out (as the VAD would, minus its delay).
 */
type Agent = (at: number, event: PipelineEvent) => void;

function play(turns: CallerTurnAudio[], script: (agent: Agent) => void, maxWaitMs = 1000) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const caller = new ScriptedCaller({ sampleRate: 16000, turns, quietMs: 100, maxWaitMs, tailMs: 100, scheduler });
  const frames: { at: number; frame: AudioFrame }[] = [];
  let completedAt: number | undefined;
  let speaking = false;
  let turn = 0;
  caller.frames.subscribe({
    next: (frame) => {
      frames.push({ at: scheduler.now(), frame });
      const loud = frame.samples.some((s) => s !== 0);
      if (loud && !speaking) caller.observe({ type: 'speech.started', turnId: `turn-${++turn}`, audioMs: frame.startMs });
      speaking = loud;
    },
    complete: () => (completedAt = scheduler.now()),
  });
  script((at, event) => scheduler.schedule(() => caller.observe(event), at));
  scheduler.flush();
  return { caller, frames, completedAt };
}

describe('ScriptedCaller (virtual time)', () => {
  it('speaks the next turn once the reply has played out plus the pause; frames are real-time and gapless', () => {
    const { caller, frames, completedAt } = play(
      [
        { samples: speech(), start: { kind: 'after_reply', pauseMs: 40 } },
        { samples: speech(), start: { kind: 'after_reply', pauseMs: 200 } },
      ],
      (agent) => {
        // The reply to turn 1: 200 ms of audio at t=300, done at once. Played out at 500, +200 ms pause.
        agent(300, replyAudio('turn-1', 200));
        agent(300, { type: 'assistant.done', turnId: 'turn-1', text: 'Hi.' });
      },
    );
    expect(caller.placements).toEqual([
      { index: 0, startMs: 20, endMs: 120, pipelineTurnIds: ['turn-1'] },
      // Due at 700 (the frame covering 680-700 ms is the first one sent at or after it).
      { index: 1, startMs: 680, endMs: 780, pipelineTurnIds: ['turn-2'] },
    ]);
    frames.forEach(({ at, frame }, k) => {
      expect(frame.seq).toBe(k);
      expect(frame.startMs).toBe(k * 20);
      expect(at).toBe((k + 1) * 20);
    });
    // No reply to turn 2: the caller waits maxWaitMs after its speech ended (780), then the tail, then hangs up.
    expect(completedAt).toBe(780 + 1000 + 100);
  });

  it('a barge-in turn starts a set time into the reply audio, without waiting for the reply to end', () => {
    const { caller } = play(
      [
        { samples: speech(), start: { kind: 'after_reply', pauseMs: 0 } },
        { samples: speech(), start: { kind: 'during_reply', afterAudioMs: 60 } },
      ],
      (agent) => {
        agent(300, replyAudio('turn-1', 2000));
        agent(320, replyAudio('turn-1', 2000));
      },
    );
    expect(caller.placements[1]).toEqual({ index: 1, startMs: 340, endMs: 440, pipelineTurnIds: ['turn-2'] });
  });

  it('a reply that is done but silent so far holds the caller (its audio may still come), then audio sets the time', () => {
    const { caller } = play(
      [
        { samples: speech(), start: { kind: 'after_reply', pauseMs: 0 } },
        { samples: speech(), start: { kind: 'after_reply', pauseMs: 100 } },
      ],
      (agent) => {
        agent(200, { type: 'assistant.done', turnId: 'turn-1', text: 'Hello there.' });
        agent(900, replyAudio('turn-1', 300));
      },
      5000,
    );
    // Played out at 1200, +100 ms pause: due at 1300.
    expect(caller.placements[1]!.startMs).toBe(1280);
  });
});
