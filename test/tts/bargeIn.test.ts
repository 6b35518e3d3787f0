import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Observable } from 'rxjs';
import { bargeIn, type BargeInOptions } from '../../operators/bargeIn.js';
import { tts } from '../../operators/tts.js';
import type { PipelineEvent } from '../../src/events.js';
import { PlaybackClock } from '../../src/playback.js';
import { fakeSynthesizer } from '../../src/testing/fakes/tts.js';

const final = (text: string, turnId: string): PipelineEvent => ({ type: 'transcript', turnId, text, final: true });
const partial = (text: string, turnId: string): PipelineEvent => ({ type: 'transcript', turnId, text, final: false });
const started = (turnId: string, audioMs = 0): PipelineEvent => ({ type: 'speech.started', turnId, audioMs });
const ended = (turnId: string, audioMs: number): PipelineEvent => ({ type: 'speech.ended', turnId, audioMs, reason: 'silence', decidedAudioMs: audioMs + 500 });
const audioIn = (startMs: number, ms = 100): PipelineEvent => ({
  type: 'audio.in',
  frame: { samples: new Int16Array(16 * ms), sampleRate: 16000, startMs, seq: startMs / ms },
});
const barge = (turnId: string, byTurnId: string): PipelineEvent => ({ type: 'reply.cancel', turnId, byTurnId, reason: 'barge_in' });
const newTurn = (turnId: string, byTurnId: string): PipelineEvent => ({ type: 'reply.cancel', turnId, byTurnId, reason: 'new_turn' });

/**
 * Runs the marbles through `bargeIn`. `replyAudio` plays the part of `tts`: at `at`, `ms` of turn-1's reply
 * audio is emitted into the clock and the reply is complete.
 */
function run(
  marbles: string,
  values: Record<string, PipelineEvent>,
  options: Omit<BargeInOptions, 'playback'> = {},
  replyAudio: { at: number; ms: number } | undefined = { at: 10, ms: 1000 },
) {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const playback = new PlaybackClock(scheduler);
  const out: { t: number; e: PipelineEvent }[] = [];
  scheduler.run(({ cold }) => {
    if (replyAudio)
      scheduler.schedule(() => {
        playback.emitted('turn-1', replyAudio.ms);
        playback.markComplete('turn-1');
      }, replyAudio.at);
    const input: Observable<PipelineEvent> = cold(marbles, values);
    input.pipe(bargeIn({ playback, ...options })).subscribe((e) => out.push({ t: scheduler.now(), e }));
  });
  const types = out.map((x) => x.e.type);
  const cancels = out.filter((x) => x.e.type === 'reply.cancel');
  return { out, types, cancels, playback };
}

describe('bargeIn', () => {
  it('cuts the active reply as soon as the caller speaks (default policy)', () => {
    const r = run('F 199ms S 99ms T', { F: final('hello', 'turn-1'), S: started('turn-2'), T: final('wait', 'turn-2') });
    expect(r.cancels).toEqual([{ t: 200, e: barge('turn-1', 'turn-2') }]);
    expect(r.types).toEqual(['transcript', 'speech.started', 'reply.cancel', 'transcript']);
  });

  it('does not cut a reply whose audio has finished playing, nor a reply that was never started', () => {
    const r = run('F 1999ms S 99ms T', { F: final('hello', 'turn-1'), S: started('turn-2'), T: final('next question', 'turn-2') });
    expect(r.cancels).toEqual([]);
    const none = run('S 99ms T', { S: started('turn-2'), T: final('first words', 'turn-2') }, {}, undefined);
    expect(none.cancels).toEqual([]);
  });

  it('counts a reply as active from its final transcript until tts marks it complete', () => {
    // no audio yet at 5 ms (the LLM is still thinking): the caller's new speech cuts it
    const r = run('F 4ms S', { F: final('hello', 'turn-1'), S: started('turn-2') }, {}, { at: 100, ms: 500 });
    expect(r.cancels.map((c) => c.e)).toEqual([barge('turn-1', 'turn-2')]);
  });

  it('policy false: speech never cuts, a new final transcript ends the stale reply with new_turn', () => {
    const r = run('F 199ms S 99ms T', { F: final('hello', 'turn-1'), S: started('turn-2'), T: final('stop please', 'turn-2') }, { policy: false });
    expect(r.cancels).toEqual([{ t: 300, e: newTurn('turn-1', 'turn-2') }]);
    expect(r.types.slice(-2)).toEqual(['reply.cancel', 'transcript']);
  });

  it('minSpeechMs: short speech does not cut; speech that lasts cuts when the audio reaches the threshold', () => {
    const short = run(
      'F 99ms S a b E 99ms T',
      { F: final('hello', 'turn-1'), S: started('turn-2', 5000), a: audioIn(5000), b: audioIn(5100), E: ended('turn-2', 5200), T: final('', 'turn-2') },
      { policy: { minSpeechMs: 300 } },
    );
    expect(short.cancels).toEqual([]);
    const long = run(
      'F 99ms S a b c d',
      { F: final('hello', 'turn-1'), S: started('turn-2', 5000), a: audioIn(5000), b: audioIn(5100), c: audioIn(5200), d: audioIn(5300) },
      { policy: { minSpeechMs: 300 } },
    );
    // the frame 5200-5300 completes 300 ms of speech: it arrives at frame 100 + 3
    expect(long.cancels).toEqual([{ t: 103, e: barge('turn-1', 'turn-2') }]);
  });

  it('minSpeechMs without audio events falls back to the scheduler', () => {
    const r = run('F 99ms S 999ms E', { F: final('hello', 'turn-1'), S: started('turn-2'), E: ended('turn-2', 900) }, { policy: { minSpeechMs: 300 } }, { at: 10, ms: 3000 });
    expect(r.cancels).toEqual([{ t: 400, e: barge('turn-1', 'turn-2') }]);
  });

  it('minWords: a backchannel does not cut and starts no new turn; enough words cut at the partial', () => {
    const r = run(
      'F 99ms S p T 9ms U q 9ms V',
      {
        F: final('hello', 'turn-1'),
        S: started('turn-2'),
        p: partial('mhm', 'turn-2'),
        T: final('mhm', 'turn-2'),
        U: started('turn-3'),
        q: partial('wait stop', 'turn-3'),
        V: final('wait stop now', 'turn-3'),
      },
      { policy: { minWords: 2 } },
    );
    expect(r.out.find((x) => x.e.type === 'transcript' && x.e.turnId === 'turn-2' && x.e.final)?.e).toEqual(final('', 'turn-2'));
    expect(r.cancels.map((c) => c.e)).toEqual([barge('turn-1', 'turn-3')]);
    const at = r.types.indexOf('reply.cancel');
    expect(r.out[at + 1]!.e).toEqual(partial('wait stop', 'turn-3'));
    expect(r.out.at(-1)!.e).toEqual(final('wait stop now', 'turn-3'));
  });

  it('false interruption: an utterance with no words after a cut resumes the reply', () => {
    const r = run('F 199ms S 99ms T 99ms U', { F: final('hello', 'turn-1'), S: started('turn-2'), T: final('', 'turn-2'), U: started('turn-3') }, {}, { at: 10, ms: 5000 });
    expect(r.out.filter((x) => x.e.type === 'reply.resume' || x.e.type === 'reply.cancel').map((x) => x.e)).toEqual([
      barge('turn-1', 'turn-2'),
      { type: 'reply.resume', turnId: 'turn-1', byTurnId: 'turn-2' },
      // the resumed reply is active again (the clock still has it playing), so the next speech cuts it again
      barge('turn-1', 'turn-3'),
    ]);
    const off = run('F 199ms S 99ms T', { F: final('hello', 'turn-1'), S: started('turn-2'), T: final('', 'turn-2') }, { resume: false });
    expect(off.types).not.toContain('reply.resume');
  });

  it('halfDuplex: an utterance that starts while the reply plays is dropped; once quiet, speech is normal', () => {
    const r = run(
      'F 199ms S p E T 1999ms U',
      { F: final('hello', 'turn-1'), S: started('turn-2'), p: partial('what', 'turn-2'), E: ended('turn-2', 300), T: final('what', 'turn-2'), U: started('turn-3') },
      { halfDuplex: true },
    );
    expect(r.cancels).toEqual([]);
    expect(r.out.filter((x) => 'turnId' in x.e && x.e.turnId === 'turn-2')).toEqual([]);
    expect(r.out.at(-1)!.e).toEqual(started('turn-3'));
  });

  it('echoGuardMs: speech right after the reply audio starts is taken for echo; later speech cuts', () => {
    const echo = run('F 99ms S 9ms T', { F: final('hello', 'turn-1'), S: started('turn-2'), T: final('hello', 'turn-2') }, { echoGuardMs: 500 }, { at: 10, ms: 3000 });
    expect(echo.cancels).toEqual([]);
    expect(echo.types).toEqual(['transcript']);
    const late = run('F 799ms S', { F: final('hello', 'turn-1'), S: started('turn-2') }, { echoGuardMs: 500 }, { at: 10, ms: 3000 });
    expect(late.cancels.map((c) => c.e)).toEqual([barge('turn-1', 'turn-2')]);
  });

  it('with tts on the same clock: a cut stops the reply, a false interruption speaks the rest', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const playback = new PlaybackClock(scheduler);
    const synthesizer = fakeSynthesizer({ firstByteMs: 100, msPerChar: 50 });
    const out: { t: number; e: PipelineEvent }[] = [];
    scheduler.run(({ cold }) => {
      const input: Observable<PipelineEvent> = cold('F D 399ms S 99ms T 3000ms |', {
        F: final('hello', 'turn-1'),
        D: { type: 'assistant.done', turnId: 'turn-1', text: 'Hello there my friend.' },
        S: started('turn-2'),
        T: final('', 'turn-2'),
      });
      input
        .pipe(bargeIn({ playback, scheduler }), tts({ synthesizer, voiceId: 'v', mode: 'whole', playback, scheduler }))
        .subscribe((e) => out.push({ t: scheduler.now(), e }));
    });
    const reports = out.filter((x) => x.e.type === 'interruption').map((x) => x.e);
    expect(reports[0]).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2', playedMs: 300, heardText: 'Hello' });
    // the fake delivered all the audio at once, so the cut happened during playback, not synthesis
    expect(synthesizer.calls.map((c) => [c.request.text, c.unsubscribed])).toEqual([
      ['Hello there my friend.', false],
      ['there my friend.', false],
    ]);
    expect(reports[1]).toMatchObject({ heardText: 'Hello there my friend.', resumed: true });
    expect(playback.isComplete('turn-1')).toBe(true);
  });
});
