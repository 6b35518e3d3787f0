import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Observable } from 'rxjs';
import { tts, type TtsOptions } from '../../operators/tts.js';
import type { AssistantAudioEvent, InterruptionEvent, PipelineEvent } from '../../src/events.js';
import { PlaybackClock } from '../../src/playback.js';
import { fakeSynthesizer, type FakeSynthesizerOptions } from '../../src/testing/fakes/tts.js';

const seg = (delta: string, turnId = 'turn-1'): PipelineEvent => ({ type: 'assistant.text', turnId, delta, segment: true });
const done = (text: string, turnId = 'turn-1'): PipelineEvent => ({ type: 'assistant.done', turnId, text });
const cancel = (turnId = 'turn-1', byTurnId = 'turn-2'): PipelineEvent => ({ type: 'reply.cancel', turnId, byTurnId, reason: 'barge_in' });

interface Timed {
  t: number;
  e: PipelineEvent;
}

/** Runs `input` (a cold marble) through `tts` in virtual time and returns every output event with its time. */
function run(
  marbles: string,
  values: Record<string, PipelineEvent>,
  options: Partial<TtsOptions> = {},
  fake: FakeSynthesizerOptions = {},
  unsubscribeAt?: number,
) {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const synthesizer = fakeSynthesizer(fake);
  const playback = new PlaybackClock(scheduler);
  const out: Timed[] = [];
  let completed = false;
  scheduler.run(({ cold }) => {
    const input: Observable<PipelineEvent> = cold(marbles, values);
    const sub = input
      .pipe(tts({ synthesizer, voiceId: 'voice-1', playback, ...options }))
      .subscribe({ next: (e) => out.push({ t: scheduler.now(), e }), complete: () => (completed = true) });
    if (unsubscribeAt !== undefined) scheduler.schedule(() => sub.unsubscribe(), unsubscribeAt);
  });
  const audio = (turnId: string) =>
    out.filter((x): x is { t: number; e: AssistantAudioEvent } => x.e.type === 'assistant.audio' && x.e.turnId === turnId);
  const of = <T extends PipelineEvent['type']>(type: T) => out.filter((x) => x.e.type === type).map((x) => x.e as Extract<PipelineEvent, { type: T }>);
  return { out, synthesizer, playback, audio, of, completed: () => completed };
}

const totalMs = (frames: { e: AssistantAudioEvent }[]) =>
  frames.reduce((sum, f) => sum + (f.e.frame.samples.length * 1000) / f.e.frame.sampleRate, 0);

describe('tts', () => {
  it('streamed: one synthesis per turn fed segment by segment, 20 ms frames continuous per turn', () => {
    const r = run('a 9ms b 9ms D 100ms |', { a: seg('Hello there.'), b: seg(' How are you?'), D: done('Hello there. How are you?') }, {}, { firstByteMs: 100, msPerChar: 10 });
    expect(r.synthesizer.calls).toHaveLength(1);
    expect(r.synthesizer.calls[0]!.texts).toEqual(['Hello there.', ' How are you?']);
    expect(r.synthesizer.calls[0]!.request).toMatchObject({ voiceId: 'voice-1', outputFormat: { encoding: 'pcm16', sampleRate: 16000 }, turnId: 'turn-1' });
    // The model is the synthesizer's own choice: the operator never names one.
    expect(r.synthesizer.calls[0]!.request).not.toHaveProperty('modelId');
    const frames = r.audio('turn-1');
    expect(frames[0]!.t).toBe(100);
    expect(frames.map((f) => f.e.frame.seq)).toEqual(frames.map((_, i) => i));
    frames.forEach((f, i) => {
      expect(f.e.frame.sampleRate).toBe(16000);
      expect(f.e.frame.startMs).toBeCloseTo(i * 20, 6);
    });
    expect(frames.slice(0, -1).every((f) => f.e.frame.samples.length === 320)).toBe(true);
    expect(totalMs(frames)).toBeCloseTo(25 * 10, 6);
    expect(frames.map((f) => f.e.text ?? '').join('')).toBe('Hello there. How are you?');
    const [metric] = r.of('metric');
    expect(metric).toMatchObject({ name: 'tts_first_byte', turnId: 'turn-1', valueMs: 100, atMs: 100, stage: 'tts' });
    expect(r.playback.emittedMs('turn-1')).toBeCloseTo(250, 6);
    expect(r.playback.isComplete('turn-1')).toBe(true);
    expect(r.completed()).toBe(true);
    // every input event is passed on
    expect(r.out.filter((x) => x.e.type === 'assistant.text' || x.e.type === 'assistant.done')).toHaveLength(3);
  });

  it('whole: ignores deltas and speaks the full text once, at assistant.done', () => {
    const r = run('a 9ms b 9ms D 200ms |', { a: seg('Hi.'), b: seg(' Bye.'), D: done('Hi. Bye.') }, { mode: 'whole' }, { firstByteMs: 50, msPerChar: 10 });
    expect(r.synthesizer.calls).toHaveLength(1);
    expect(r.synthesizer.calls[0]!.request.text).toBe('Hi. Bye.');
    expect(r.audio('turn-1')[0]!.t).toBe(20 + 50);
    expect(r.of('metric')[0]).toMatchObject({ valueMs: 50, atMs: 70 });
  });

  it('speaks replies one after another, never interleaved, and reframes to the output rate', () => {
    const r = run(
      'a b 1ms A D E 500ms |',
      { a: seg('One two three.'), b: seg('Four five.', 'turn-2'), A: done('One two three.'), D: done('Four five.', 'turn-2'), E: done('', 'turn-3') },
      { outputFormat: { encoding: 'pcm16', sampleRate: 22050 } },
      { firstByteMs: 30, msPerChar: 7 },
    );
    const turns = r.out.filter((x) => x.e.type === 'assistant.audio').map((x) => (x.e as AssistantAudioEvent).turnId);
    const firstTwo = turns.indexOf('turn-2');
    expect(firstTwo).toBeGreaterThan(0);
    expect(turns.slice(firstTwo).every((t) => t === 'turn-2')).toBe(true);
    const frames = r.audio('turn-2');
    expect(frames[0]!.e.frame.seq).toBe(0);
    expect(frames[0]!.e.frame.samples.length).toBe(441);
    expect(frames.reduce((n, f) => n + f.e.frame.samples.length, 0)).toBe(Math.round((22050 * 7 * 10) / 1000));
    // an empty reply is complete at once, so barge-in does not wait for it
    expect(r.playback.isComplete('turn-3')).toBe(true);
  });

  it('reply.cancel tears the synthesis down and reports what was played and heard (alignment)', () => {
    // audio starts at 100; at 400 the sink has played 300 ms = "Hello " (50 ms per char), snapped to "Hello".
    const r = run(
      'a 399ms C 99ms b 99ms D 200ms |',
      { a: seg('Hello there my friend.'), C: cancel(), b: seg(' More text.'), D: done('Hello there my friend. More text.') },
      {},
      { firstByteMs: 100, msPerChar: 50 },
    );
    const call = r.synthesizer.calls[0]!;
    expect(call.unsubscribed).toBe(true);
    expect(call.texts).toEqual(['Hello there my friend.']);
    const [interruption] = r.of('interruption');
    expect(interruption).toEqual<InterruptionEvent>({ type: 'interruption', turnId: 'turn-1', byTurnId: 'turn-2', playedMs: 300, heardText: 'Hello' });
    const cancelAt = r.out.findIndex((x) => x.e.type === 'reply.cancel');
    expect(r.out[cancelAt + 1]!.e.type).toBe('interruption');
    expect(r.out.slice(cancelAt).some((x) => x.e.type === 'assistant.audio')).toBe(false);
    expect(r.playback.playedMs('turn-1')).toBe(300);
    expect(r.playback.isPlaying('turn-1')).toBe(false);
  });

  it('reports playedMs 0 and no heard text when cut before any audio, and a later turn still speaks', () => {
    const r = run(
      'D 9ms C 9ms E 500ms |',
      { D: done('A long reply.'), C: cancel(), E: done('Next.', 'turn-2') },
      { mode: 'whole' },
      { firstByteMs: 100, msPerChar: 10 },
    );
    expect(r.synthesizer.calls[0]!.unsubscribed).toBe(true);
    expect(r.of('interruption')).toEqual([{ type: 'interruption', turnId: 'turn-1', byTurnId: 'turn-2', playedMs: 0, heardText: '' }]);
    expect(r.audio('turn-1')).toHaveLength(0);
    expect(totalMs(r.audio('turn-2'))).toBeCloseTo(50, 6);
  });

  it('without alignment, heard text is proportional to the characters', () => {
    const r = run('D 599ms C 500ms |', { D: done('abcd efgh ijkl mnop'), C: cancel() }, { mode: 'whole' }, { firstByteMs: 0, msPerChar: 50, alignment: false });
    // 950 ms of audio, 600 ms played -> 12 of 19 chars "abcd efgh ij" -> whole words "abcd efgh"
    expect(r.of('interruption')[0]).toMatchObject({ playedMs: 600, heardText: 'abcd efgh' });
  });

  it('turns a synthesis error into an error event for the turn; the next reply still speaks', () => {
    const r = run(
      'a D 10ms b E 500ms |',
      { a: seg('Broken.'), D: done('Broken.'), b: seg('Fine.', 'turn-2'), E: done('Fine.', 'turn-2') },
      {},
      { firstByteMs: 10, msPerChar: 10, failWith: (req) => (req.turnId === 'turn-1' ? new Error('HTTP 500 from the provider, key sk-abcdefghijkl') : undefined) },
    );
    const [error] = r.of('error');
    expect(error).toMatchObject({ type: 'error', turnId: 'turn-1', stage: 'tts', code: 'provider_error' });
    expect(error!.message).not.toContain('sk-abcdefghijkl');
    expect(r.audio('turn-1')).toHaveLength(0);
    expect(totalMs(r.audio('turn-2'))).toBeCloseTo(50, 6);
    expect(r.playback.isComplete('turn-1')).toBe(true);
    expect(r.completed()).toBe(true);
  });

  it('reply.resume speaks the unheard rest, then reports the whole reply as heard', () => {
    const resume: PipelineEvent = { type: 'reply.resume', turnId: 'turn-1', byTurnId: 'turn-2' };
    const r = run(
      'D 399ms C 299ms R 2000ms |',
      { D: done('Hello there my friend.'), C: cancel(), R: resume },
      { mode: 'whole' },
      { firstByteMs: 100, msPerChar: 50 },
    );
    expect(r.synthesizer.calls.map((c) => c.request.text)).toEqual(['Hello there my friend.', 'there my friend.']);
    const reports = r.of('interruption');
    expect(reports[0]).toMatchObject({ heardText: 'Hello', playedMs: 300 });
    expect(reports[1]).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2', heardText: 'Hello there my friend.', resumed: true, playedMs: 300 + 16 * 50 });
    const resumed = r.audio('turn-1').filter((f) => f.t >= 700);
    expect(resumed[0]!.e.frame.seq).toBe(0);
    expect(resumed.map((f) => f.e.text ?? '').join('')).toBe('there my friend.');
  });

  it('a queued reply cancelled before its turn is never synthesized and reports nothing played', () => {
    const r = run(
      'A B 9ms C 1000ms |',
      { A: done('First reply here.'), B: done('Second.', 'turn-2'), C: cancel('turn-2', 'turn-3') },
      { mode: 'whole' },
      { firstByteMs: 100, msPerChar: 10 },
    );
    expect(r.synthesizer.calls.map((c) => c.request.turnId)).toEqual(['turn-1']);
    expect(r.of('interruption')).toEqual([{ type: 'interruption', turnId: 'turn-2', byTurnId: 'turn-3', playedMs: 0, heardText: '' }]);
    expect(totalMs(r.audio('turn-1'))).toBeCloseTo(170, 6);
    expect(r.audio('turn-2')).toHaveLength(0);
  });

  it('telephony output: mu-law at 8 kHz gives 8 kHz frames of 160 samples', () => {
    const r = run('D 500ms |', { D: done('Call me.') }, { mode: 'whole', outputFormat: { encoding: 'mulaw', sampleRate: 8000 } }, { firstByteMs: 10, msPerChar: 25 });
    expect(r.synthesizer.calls[0]!.request.outputFormat).toEqual({ encoding: 'mulaw', sampleRate: 8000 });
    const frames = r.audio('turn-1');
    expect(frames.every((f) => f.e.frame.sampleRate === 8000)).toBe(true);
    expect(frames.slice(0, -1).every((f) => f.e.frame.samples.length === 160)).toBe(true);
    expect(totalMs(frames)).toBeCloseTo(200, 6);
  });

  it('unsubscribing stops the synthesis', () => {
    const r = run('a 1000ms D |', { a: seg('Hello.'), D: done('Hello.') }, {}, { firstByteMs: 100 }, 50);
    expect(r.synthesizer.calls[0]!.unsubscribed).toBe(true);
    expect(r.audio('turn-1')).toHaveLength(0);
  });
});

describe('tts openEarly', () => {
  const final = (text: string, turnId = 'turn-1'): PipelineEvent => ({ type: 'transcript', turnId, text, final: true });

  it('opens the synthesis at the final transcript; the first-byte clock starts at the first text', () => {
    const r = run('T 299ms a 9ms D 200ms |', { T: final('Hello?'), a: seg('Hi there.'), D: done('Hi there.') }, { openEarly: true }, { firstByteMs: 50, msPerChar: 10 });
    expect(r.synthesizer.calls).toHaveLength(1);
    expect(r.synthesizer.calls[0]!.texts).toEqual(['Hi there.']);
    expect(r.audio('turn-1')[0]!.t).toBe(350);
    expect(r.of('metric')[0]).toMatchObject({ name: 'tts_first_byte', valueMs: 50 });
  });

  it('a turn with no reply text closes its early synthesis unused, and the next reply is spoken', () => {
    const r = run('T 9ms D 9ms U 99ms b 9ms E 300ms |', {
      T: final('Hm.'),
      D: done(''),
      U: final('What now?', 'turn-2'),
      b: seg('This.', 'turn-2'),
      E: done('This.', 'turn-2'),
    }, { openEarly: true }, { firstByteMs: 20, msPerChar: 10 });
    expect(r.synthesizer.calls.map((c) => [c.request.turnId, c.texts, c.completed])).toEqual([
      ['turn-1', [], true],
      ['turn-2', ['This.'], true],
    ]);
    expect(r.audio('turn-1')).toEqual([]);
    expect(r.audio('turn-2').length).toBeGreaterThan(0);
    expect(r.of('error')).toEqual([]);
    expect(r.completed()).toBe(true);
  });

  it('an early synthesis whose turn never answers is closed by the next turn', () => {
    const r = run('T 99ms U 9ms b 9ms E 300ms |', { T: final('First.'), U: final('Second?', 'turn-2'), b: seg('Yes.', 'turn-2'), E: done('Yes.', 'turn-2') }, { openEarly: true }, { firstByteMs: 20, msPerChar: 10 });
    expect(r.synthesizer.calls.map((c) => c.request.turnId)).toEqual(['turn-1', 'turn-2']);
    expect(r.audio('turn-2').length).toBeGreaterThan(0);
    expect(r.completed()).toBe(true);
  });

  it('off by default and in whole mode; empty and partial transcripts open nothing', () => {
    const partial: PipelineEvent = { type: 'transcript', turnId: 'turn-1', text: 'Hel', final: false };
    expect(run('T 9ms |', { T: final('Hello?') }).synthesizer.calls).toEqual([]);
    expect(run('T 9ms |', { T: final('Hello?') }, { openEarly: true, mode: 'whole' }).synthesizer.calls).toEqual([]);
    expect(run('T p 9ms |', { T: final('  '), p: partial }, { openEarly: true }).synthesizer.calls).toEqual([]);
  });
});
