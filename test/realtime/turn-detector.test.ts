import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { textTurnDetector, turnDetector } from '../../operators/turnDetector.js';
import type { EndOfTurnRequest } from '../../src/turn/types.js';
import { setup } from './preemptive-server.js';

const VAD_SILENCE_MS = 500;

/**
 * The realtime chain's end of turn, in virtual time: realtime (previews on, its held reply's readiness
 * wired to the detector's `replyReady`, as realtimePipeline does) -> turnDetector, whose requests
 * go to a stand-in for the vad that ends the turn once the silence has lasted what was last asked (the
 * vad's own `silenceMs` without a request), at once when that is already due, as `vad({ endOfTurn })` does.
 */
function build() {
  const endOfTurn = new Subject<EndOfTurnRequest>();
  const replyReady = new Subject<string>();
  const h = setup({
    previewTranscripts: true,
    onReplyHeld: (turnId) => replyReady.next(turnId),
    after: (scheduler) => turnDetector({ detector: textTurnDetector(), requests: endOfTurn, replyReady, holdSilenceMs: 1200, scheduler }),
  });
  /** The vad: a silence from `fromMs` ends turn `turnId` after the asked silence; speech (`resume`) drops it. */
  let silence: { turnId: string; fromMs: number; version: number } | undefined;
  let version = 0;
  const endAt = (s: { turnId: string; fromMs: number; version: number }, silenceMs: number | undefined) => {
    const at = Math.max(h.ts.now(), s.fromMs + (silenceMs ?? VAD_SILENCE_MS));
    const end = () => {
      if (silence !== s || s.version !== version) return;
      silence = undefined;
      h.input.next({ type: 'speech.ended', turnId: s.turnId, audioMs: s.fromMs, reason: 'silence', decidedAudioMs: at });
    };
    if (at <= h.ts.now()) end();
    else h.ts.schedule(end, at - h.ts.now());
  };
  endOfTurn.subscribe((request) => {
    if (!silence || silence.turnId !== request.turnId) return;
    silence = { ...silence, version: ++version };
    endAt(silence, request.silenceMs);
  });
  const vad = {
    /** Silence from `fromMs`; the pause is reported 200 ms in. */
    pause(turnId: string, fromMs: number) {
      h.at(fromMs + 200, () => {
        silence = { turnId, fromMs, version: ++version };
        endAt(silence, undefined);
        h.input.next({ type: 'speech.paused', turnId, audioMs: fromMs, decidedAudioMs: fromMs + 200 });
      });
    },
    resume(turnId: string, atMs: number) {
      h.at(atMs, () => {
        silence = undefined;
        version++;
        h.input.next({ type: 'speech.resumed', turnId, audioMs: atMs });
      });
    },
  };
  return { h, vad };
}

const ended = (h: ReturnType<typeof setup>) => h.emitted('speech.ended').map((o) => o.at);
const finalTexts = (h: ReturnType<typeof setup>) =>
  h.emitted('transcript').flatMap((o) => (o.event.type === 'transcript' && o.event.final ? [o.event.text] : []));
const previews = (h: ReturnType<typeof setup>) =>
  h.emitted('transcript').flatMap((o) => (o.event.type === 'transcript' && o.event.preview ? [{ at: o.at, text: o.event.text, final: o.event.final }] : []));
const verdicts = (h: ReturnType<typeof setup>) =>
  h.out.flatMap((o) => (o.event.type === 'metric' && o.event.name === 'turn_verdict' ? [{ at: o.at, waitMs: o.event.valueMs, done: o.event.detail?.done }] : []));

describe('realtime speculation with the turn detector', () => {
  it('"done": the commit\'s transcript is a preview, the turn ends at once and the held reply leaves without delay', () => {
    const { h, vad } = build();
    h.server.replies = ['It is noon.'];
    h.server.transcripts = ['What time is it?'];
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 2000);
    vad.pause('t1', 400); // paused at 600: commit, its transcript at 620, the reply's text at 660
    h.at(3000, () => h.input.complete());
    h.ts.flush();

    expect(previews(h)).toEqual([{ at: 620, text: 'What time is it?', final: false }]);
    expect(verdicts(h)).toEqual([{ at: 620, waitMs: 0, done: true }]);
    // Ended at the verdict, not at the vad's 400 + 500 = 900.
    expect(ended(h)).toEqual([620]);
    // The held final transcript left with the end of the turn; the reply as it streamed (660), not later.
    expect(h.emitted('transcript').filter((o) => o.event.type === 'transcript' && o.event.final).map((o) => o.at)).toEqual([620]);
    expect(h.emitted('assistant.text').map((o) => o.at)).toEqual([660]);
    expect(finalTexts(h)).toEqual(['What time is it?']);
    expect(h.fake.current.sentOf('response.create')).toHaveLength(1);
    expect(h.server.items).toEqual(['u1', 'a1']);
    expect(h.speculation()).toEqual(['started', 'used']);
  });

  it('a reply already streamed when the verdict comes leaves in one go at the verdict', () => {
    const { h, vad } = build();
    h.server.replies = ['It is noon.'];
    h.server.transcripts = ['What time is it?'];
    h.server.transcriptDelayMs = 200; // after the reply's text (660)
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 2000);
    vad.pause('t1', 400);
    h.at(3000, () => h.input.complete());
    h.ts.flush();

    expect(ended(h)).toEqual([800]);
    expect(h.emitted('assistant.text').map((o) => o.at)).toEqual([800]);
    expect(h.emitted('assistant.done').map((o) => o.at)).toEqual([800]);
  });

  it('"not yet": the turn is held 1200 ms of silence and the reply with it', () => {
    const { h, vad } = build();
    h.server.replies = ['Sure, your balance.'];
    h.server.transcripts = ["I'd like to, um,"];
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 2000);
    vad.pause('t1', 400);
    h.at(3000, () => h.input.complete());
    h.ts.flush();

    expect(verdicts(h)).toEqual([{ at: 620, waitMs: 1200, done: false }]);
    expect(ended(h)).toEqual([1600]);
    for (const o of [...h.emitted('assistant.text'), ...h.emitted('assistant.done')]) expect(o.at).toBe(1600);
    expect(h.speculation()).toEqual(['started', 'used']);
  });

  it('the reply is ready before the transcript: without a verdict the vad\'s silence ends the turn, at once when it has passed', () => {
    const { h, vad } = build();
    h.server.startDelayMs = 700; // the reply's text at 1310, 910 ms into the silence
    h.server.transcripts = ['What time is it?'];
    h.server.transcriptDelayMs = 900; // at 1500
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 2000);
    vad.pause('t1', 400);
    h.at(3000, () => h.input.complete());
    h.ts.flush();

    // Not held 1200 ms for a verdict: the reply ready at 1310 ends the turn there.
    expect(ended(h)).toEqual([1310]);
    expect(h.emitted('assistant.text').map((o) => o.at)).toEqual([1310]);
    expect(verdicts(h)).toEqual([]);
  });

  it('no verdict before the vad\'s silence (a late transcript): the vad\'s silenceMs ends the turn, the late verdict is dropped', () => {
    const { h, vad } = build();
    h.server.transcripts = ["I'd like to, um,"];
    h.server.transcriptDelayMs = 400; // at 1010, after the vad's 400 + 500
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 2000);
    vad.pause('t1', 400);
    h.at(3000, () => h.input.complete());
    h.ts.flush();

    expect(ended(h)).toEqual([900]);
    expect(verdicts(h)).toEqual([]);
    expect(h.emitted('assistant.done').map((o) => o.at)).toEqual([900]);
    // The transcript came after the turn was decided: a final one, no preview.
    expect(previews(h)).toEqual([]);
    expect(finalTexts(h)).toEqual(["I'd like to, um,"]);
  });

  it('resumed speech cancels the held reply: nothing of it leaves or stays in the conversation, the next pause decides again', () => {
    const { h, vad } = build();
    h.server.replies = ['Too early.', 'Your balance is 12 euros.'];
    h.server.transcripts = ["I'd like to, um,", "I'd like to, um, check my balance."];
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 2400);
    vad.pause('t1', 400); // "not yet" at 620
    vad.resume('t1', 1000);
    vad.pause('t1', 1600); // paused at 1800: second commit, its transcript at 1820 reads "done"
    h.at(4000, () => h.input.complete());
    h.ts.flush();

    expect(verdicts(h)).toEqual([
      { at: 620, waitMs: 1200, done: false },
      { at: 1820, waitMs: 0, done: true },
    ]);
    expect(ended(h)).toEqual([1820]);
    const c = h.fake.current;
    expect(c.sentOf('response.cancel')).toEqual([{ type: 'response.cancel', response_id: 'r1' }]);
    expect(c.sentOf('conversation.item.delete').map((e) => e.item_id).sort()).toEqual(['a1', 'u1']);
    expect(h.out.some((o) => o.event.type === 'assistant.text' && o.event.delta.includes('Too early'))).toBe(false);
    // Only previews of the discarded attempt left; the one final transcript is the whole utterance.
    expect(finalTexts(h)).toEqual(["I'd like to, um, check my balance."]);
    expect(h.emitted('assistant.done').map((o) => o.event)).toMatchObject([{ turnId: 't1', text: 'Your balance is 12 euros.' }]);
    // The second commit holds the whole turn up to its pause (frames 0..1800 ms at 24 kHz), the first attempt's audio too.
    expect(h.server.committed.get('u2')).toBe(1820 * 24);
    expect(h.server.items).toEqual(['u2', 'a2']);
    expect(h.speculation()).toEqual(['started', 'discarded', 'started', 'used']);
  });
});
