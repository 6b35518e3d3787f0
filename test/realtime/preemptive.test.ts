import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { realtime } from '../../operators/realtime.js';
import type { PipelineEvent } from '../../src/events.js';
import { FakeRealtimeSession } from '../../src/testing/fakes/realtime.js';
import { setup } from './preemptive-server.js';

describe('realtime preemptive replies (local turns)', () => {
  it('commits and asks at the pause, holds the reply until the turn ends, then plays it without asking again', () => {
    const h = setup();
    h.server.replies = ['Sure thing.'];
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 1000);
    h.at(600, () => h.input.next({ type: 'speech.paused', turnId: 't1', audioMs: 400, decidedAudioMs: 600 }));
    h.at(1000, () => h.input.next({ type: 'speech.ended', turnId: 't1', audioMs: 400, reason: 'silence', decidedAudioMs: 1000 }));
    h.at(2000, () => h.input.complete());
    h.ts.flush();

    const c = h.fake.current;
    // One commit and one response, both at the pause.
    expect(c.sentOf('input_audio_buffer.commit')).toHaveLength(1);
    expect(c.sentOf('response.create')).toHaveLength(1);
    // The reply streamed at 610-700 but nothing of it (nor the transcript) left before the turn ended at 1000.
    for (const type of ['assistant.text', 'assistant.done', 'transcript'] as const) {
      expect(h.emitted(type).length).toBeGreaterThan(0);
      for (const o of h.emitted(type)) expect(o.at).toBeGreaterThanOrEqual(1000);
    }
    expect(h.emitted('assistant.done')[0]!.event).toMatchObject({ turnId: 't1', text: 'Sure thing.' });
    // The silence after the pause is cleared: it must not open the next turn's input.
    expect(c.sentOf('input_audio_buffer.clear')).toHaveLength(1);
    expect(h.server.buffer).toBe(0);
    expect(h.server.items).toEqual(['u1', 'a1']);
    expect(h.speculation()).toEqual(['started', 'used']);
  });

  it('cancels on resumed speech: the response and the user item are deleted, and the next commit covers the whole utterance', () => {
    const h = setup();
    h.server.replies = ['Too early.', 'The whole answer.'];
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 1600);
    h.at(600, () => h.input.next({ type: 'speech.paused', turnId: 't1', audioMs: 400, decidedAudioMs: 600 }));
    h.at(800, () => h.input.next({ type: 'speech.resumed', turnId: 't1', audioMs: 800 }));
    h.at(1600, () => h.input.next({ type: 'speech.ended', turnId: 't1', audioMs: 1400, reason: 'silence', decidedAudioMs: 1600 }));
    h.at(3000, () => h.input.complete());
    h.ts.flush();

    const c = h.fake.current;
    expect(c.sentOf('response.cancel')).toEqual([{ type: 'response.cancel', response_id: 'r1' }]);
    expect(c.sentOf('conversation.item.delete').map((e) => e.item_id).sort()).toEqual(['a1', 'u1']);
    // Nothing of the discarded attempt reached the chain: not its text, not its transcript.
    expect(h.out.some((o) => o.event.type === 'assistant.text' && o.event.delta.includes('Too early'))).toBe(false);
    expect(h.emitted('transcript').map((o) => (o.event as { text: string }).text)).toEqual(['said u2']);
    expect(h.emitted('assistant.done').map((o) => o.event)).toMatchObject([{ turnId: 't1', text: 'The whole answer.' }]);
    // The second commit holds all 1.6 s of the turn (24 kHz): the audio before the pause was sent again.
    expect(h.server.committed.get('u2')).toBe(1600 * 24);
    // The server's conversation has the final attempt only.
    expect(h.server.items).toEqual(['u2', 'a2']);
    expect(h.speculation()).toEqual(['started', 'discarded']);
  });

  it('resumed before the response even started: the late response is cancelled and its item deleted, nothing leaks', () => {
    const h = setup();
    h.server.replies = ['Late.', 'Right.'];
    h.server.startDelayMs = 300;
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 1400);
    h.at(600, () => h.input.next({ type: 'speech.paused', turnId: 't1', audioMs: 400, decidedAudioMs: 600 }));
    h.at(605, () => h.input.next({ type: 'speech.resumed', turnId: 't1', audioMs: 605 }));
    h.at(1400, () => h.input.next({ type: 'speech.ended', turnId: 't1', audioMs: 1200, reason: 'silence', decidedAudioMs: 1400 }));
    h.at(3000, () => h.input.complete());
    h.ts.flush();

    const c = h.fake.current;
    expect(c.sentOf('response.cancel')).toEqual([{ type: 'response.cancel', response_id: 'r1' }]);
    expect(h.out.some((o) => o.event.type === 'assistant.text' && o.event.delta.includes('Late'))).toBe(false);
    expect(h.emitted('assistant.done').map((o) => o.event)).toMatchObject([{ turnId: 't1', text: 'Right.' }]);
    expect(h.server.items).toEqual(['u2', 'a2']);
    expect(h.server.committed.get('u2')).toBe(1400 * 24);
    expect(h.speculation()).toEqual(['started', 'discarded']);
  });

  it('a drop after the speculative commit: the committed audio is restored as the turn\'s item, the reply asked again and still held', () => {
    const h = setup();
    h.server.replies = ['Lost.', 'Restored answer.'];
    h.server.startDelayMs = 100;
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 1200);
    h.at(600, () => h.input.next({ type: 'speech.paused', turnId: 't1', audioMs: 400, decidedAudioMs: 600 }));
    // Committed at 610, transcribed at 620; the socket drops before the response starts (700).
    h.at(650, () => h.fake.connections[0]!.drop());
    h.at(1200, () => h.input.next({ type: 'speech.ended', turnId: 't1', audioMs: 400, reason: 'silence', decidedAudioMs: 1200 }));
    h.at(3000, () => h.input.complete());
    h.ts.flush();

    expect(h.fake.connections).toHaveLength(2);
    const second = h.fake.connections[1]!;
    // The turn's words went into the new session as its user item; nothing was committed twice.
    expect(second.sentOf('conversation.item.create').map((e) => e.item)).toEqual([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'said u1' }] }]);
    expect(second.sentOf('input_audio_buffer.commit')).toHaveLength(0);
    expect(second.sentOf('response.create')).toHaveLength(1);
    // The reply and the transcript left only when the turn ended.
    for (const o of [...h.emitted('assistant.text'), ...h.emitted('transcript')]) expect(o.at).toBeGreaterThanOrEqual(1200);
    expect(h.emitted('transcript').map((o) => (o.event as { text: string }).text)).toEqual(['said u1']);
    expect(h.emitted('assistant.done').map((o) => o.event)).toMatchObject([{ turnId: 't1', text: 'Restored answer.' }]);
    expect(h.out.some((o) => o.event.type === 'error')).toBe(false);
    expect(h.server.items).toEqual(['restored-user', 'a2']);
    expect(h.speculation()).toEqual(['started', 'used']);
  });

  it('resumed after such a drop: a fresh session without the item, and the whole utterance is committed', () => {
    const h = setup();
    h.server.replies = ['Lost.', 'Held.', 'Final.'];
    h.server.startDelayMs = 100;
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }));
    h.audio(0, 1600);
    h.at(600, () => h.input.next({ type: 'speech.paused', turnId: 't1', audioMs: 400, decidedAudioMs: 600 }));
    h.at(650, () => h.fake.connections[0]!.drop());
    h.at(1000, () => h.input.next({ type: 'speech.resumed', turnId: 't1', audioMs: 1000 }));
    h.at(1600, () => h.input.next({ type: 'speech.ended', turnId: 't1', audioMs: 1500, reason: 'silence', decidedAudioMs: 1600 }));
    h.at(3000, () => h.input.complete());
    h.ts.flush();

    expect(h.fake.connections).toHaveLength(3);
    const third = h.fake.connections[2]!;
    expect(third.sentOf('conversation.item.create')).toEqual([]);
    expect(third.sentOf('input_audio_buffer.commit')).toHaveLength(1);
    expect(h.server.committed.get('u2')).toBe(1600 * 24);
    expect(h.out.some((o) => o.event.type === 'assistant.text' && /Lost|Held/.test(o.event.delta))).toBe(false);
    expect(h.emitted('assistant.done').map((o) => o.event)).toMatchObject([{ turnId: 't1', text: 'Final.' }]);
    expect(h.server.items).toEqual(['u2', 'a3']);
    expect(h.speculation()).toEqual(['started', 'discarded']);
  });

  it('preemptive: false ignores the pause', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const fake = new FakeRealtimeSession();
    const input = new Subject<PipelineEvent>();
    input.pipe(realtime({ session: fake, scheduler: ts, turnDetection: { type: 'none' }, preemptive: false, renewAfterMs: 0, stallTimeoutMs: 0 })).subscribe();
    ts.schedule(() => input.next({ type: 'speech.started', turnId: 't1', audioMs: 0 }), 0);
    ts.schedule(() => input.next({ type: 'audio.in', frame: { samples: new Int16Array(480), sampleRate: 24000, startMs: 0, seq: 0 } }), 10);
    ts.schedule(() => input.next({ type: 'speech.paused', turnId: 't1', audioMs: 10, decidedAudioMs: 200 }), 200);
    ts.flush();
    expect(fake.current.sentOf('input_audio_buffer.commit')).toHaveLength(0);
    expect(fake.current.sentOf('response.create')).toHaveLength(0);
  });
});
