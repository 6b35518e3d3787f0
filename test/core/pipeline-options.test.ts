import { describe, expect, it } from 'vitest';
import { bargeInSettings } from '../../pipelines/options.js';
import { RecentAudio } from '../../src/audio/recent.js';
import { renumberTurns, turnNumber } from '../../src/turnIds.js';

describe('bargeInSettings: every form of the pipelines\' bargeIn option', () => {
  it('omitted is the defaults, false turns it off', () => {
    expect(bargeInSettings(undefined)).toEqual({});
    expect(bargeInSettings(false)).toEqual({ policy: false });
  });

  it('a bare policy becomes the policy; full settings pass as they are', () => {
    expect(bargeInSettings({})).toEqual({ policy: {} });
    expect(bargeInSettings({ minSpeechMs: 300, minWords: 2 })).toEqual({ policy: { minSpeechMs: 300, minWords: 2 } });
    const full = { policy: { minWords: 1 }, halfDuplex: true, echoGuardMs: 250, resume: false };
    expect(bargeInSettings(full)).toEqual(full);
    expect(bargeInSettings({ halfDuplex: true })).toEqual({ halfDuplex: true });
    expect(bargeInSettings({ policy: false })).toEqual({ policy: false });
  });
});

describe('RecentAudio', () => {
  const frame = (seq: number) => ({ samples: new Int16Array(320), sampleRate: 16000 as const, startMs: seq * 20, seq });

  it('keeps only the last maxMs of audio and empties on take', () => {
    const recent = new RecentAudio(100);
    for (let i = 0; i < 20; i++) recent.push(frame(i));
    const kept = recent.take();
    expect(kept.map((f) => f.seq)).toEqual([14, 15, 16, 17, 18, 19]);
    expect(recent.take()).toEqual([]);
  });
});

describe('turn ids across chains', () => {
  it('reads N of turn-N and shifts turnId and byTurnId', () => {
    expect(turnNumber({ type: 'speech.started', turnId: 'turn-7', audioMs: 0 })).toBe(7);
    expect(turnNumber({ type: 'reply.cancel', turnId: 'other', byTurnId: 'turn-2', reason: 'barge_in' })).toBeUndefined();
    expect(renumberTurns({ type: 'reply.cancel', turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' }, 3)).toEqual({ type: 'reply.cancel', turnId: 'turn-4', byTurnId: 'turn-5', reason: 'barge_in' });
  });
});
