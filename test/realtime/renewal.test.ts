import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { realtime } from '../../operators/realtime.js';
import type { PipelineEvent } from '../../src/events.js';
import { AZURE_MAX_SESSION_MS, OPENAI_MAX_SESSION_MS } from '../../src/providers/openai-realtime/session.js';
import { FakeRealtimeSession } from '../../src/testing/fakes/realtime.js';

const MIN = 60_000;

/** A call through `realtime` in virtual time, with the session reporting the provider's cap. */
function call(maxSessionMs: number) {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.maxFrames = Number.POSITIVE_INFINITY;
  const fake = new FakeRealtimeSession();
  fake.maxSessionMs = maxSessionMs;
  const input = new Subject<PipelineEvent>();
  const out: PipelineEvent[] = [];
  // No renewAfterMs: the default follows the session's cap.
  input.pipe(realtime({ session: fake, scheduler: ts, stallTimeoutMs: 0 })).subscribe((e) => out.push(e));
  /** Opened and closed (virtual ms) of each connection. */
  const life: { opened: number; closed?: number }[] = [];
  fake.onConnect = () => life.push({ opened: ts.now() });
  life.push({ opened: 0 });
  const at = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
  const closeTimes = (): void => {
    fake.connections.forEach((c, i) => {
      if (!c.open && life[i] && life[i]!.closed === undefined) life[i]!.closed = ts.now();
    });
  };
  return { ts, fake, input, out, at, life, closeTimes };
}

/** One caller turn on connection `c` at `t`, with its transcript. */
function turn(h: ReturnType<typeof call>, t: number, id: string, text: string): void {
  const c = () => h.fake.current;
  h.at(t, () => c().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: id }));
  h.at(t + 800, () => c().emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 800, item_id: id }));
  h.at(t + 801, () => c().emit({ type: 'input_audio_buffer.committed', item_id: id }));
  h.at(t + 802, () => c().emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: id, transcript: text }));
}

describe('realtime session renewal before the provider cap (virtual time)', () => {
  it('OpenAI (60 min): a reply in flight when renewal falls due delays it until the reply ends; the conversation is carried', () => {
    const h = call(OPENAI_MAX_SESSION_MS);
    turn(h, 1 * MIN, 'u1', 'What is the weather?');
    h.at(1 * MIN + 900, () => h.fake.current.replyText('Sunny.', { responseId: 'r1', itemId: 'a1' }));
    // The second turn's reply starts just before the renewal is due (55 min) and streams past it.
    turn(h, 54 * MIN + 59_000, 'u2', 'And tomorrow?');
    h.at(54 * MIN + 59_900, () => {
      h.fake.current.emit({ type: 'response.created', response: { id: 'r2' } });
      h.fake.current.emit({ type: 'response.output_item.added', response_id: 'r2', item: { id: 'a2', type: 'message' } });
      h.fake.current.emit({ type: 'response.output_text.delta', response_id: 'r2', item_id: 'a2', delta: 'Rain, ' });
    });
    h.at(55 * MIN + 5_000, () => {
      // Due, but the reply is still streaming: still the first connection.
      expect(h.fake.connections).toHaveLength(1);
      h.fake.current.emit({ type: 'response.output_text.delta', response_id: 'r2', item_id: 'a2', delta: 'then sun.' });
    });
    h.at(55 * MIN + 8_000, () => {
      expect(h.fake.connections).toHaveLength(1);
      h.fake.current.emit({ type: 'response.done', response: { id: 'r2', status: 'completed', output: [{ id: 'a2', type: 'message' }] } });
      h.closeTimes();
    });
    h.at(56 * MIN, () => h.input.complete());
    h.ts.flush();

    // Renewed the moment the reply ended, well before the 60-minute cap.
    expect(h.fake.connections).toHaveLength(2);
    expect(h.life[0]!.closed).toBe(55 * MIN + 8_000);
    expect(h.life[1]!.opened).toBe(55 * MIN + 8_000);
    expect(h.life[0]!.closed!).toBeLessThan(OPENAI_MAX_SESSION_MS);
    // The whole conversation went into the new session, in order.
    expect(h.fake.connections[1]!.sentOf('conversation.item.create').map((e) => e.item)).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is the weather?' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sunny.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'And tomorrow?' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Rain, then sun.' }] },
    ]);
    // Nothing was asked again and nothing was cut: the reply arrived whole, once.
    expect(h.fake.connections[1]!.sentOf('response.create')).toHaveLength(0);
    expect(h.out.filter((e) => e.type === 'assistant.done').map((e) => (e as { text: string }).text)).toEqual(['Sunny.', 'Rain, then sun.']);
    expect(h.out.some((e) => e.type === 'error' || e.type === 'reply.cancel')).toBe(false);
  });

  it('Azure (30 min): renews at 25 min, and waits while the caller is speaking', () => {
    const h = call(AZURE_MAX_SESSION_MS);
    const c = () => h.fake.current;
    // The caller starts speaking just before the renewal is due and goes on past it.
    h.at(24 * MIN + 59_000, () => c().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    h.at(25 * MIN + 3_000, () => {
      expect(h.fake.connections).toHaveLength(1);
      c().emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 4000, item_id: 'u1' });
      c().emit({ type: 'input_audio_buffer.committed', item_id: 'u1' });
      c().emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'u1', transcript: 'Thanks.' });
    });
    h.at(25 * MIN + 3_100, () => {
      // The reply the server was asked for is due: still no swap.
      expect(h.fake.connections).toHaveLength(1);
      c().replyText('You are welcome.', { responseId: 'r1', itemId: 'a1' });
      h.closeTimes();
    });
    h.at(26 * MIN, () => h.input.complete());
    h.ts.flush();
    expect(h.fake.connections).toHaveLength(2);
    expect(h.life[0]!.closed).toBe(25 * MIN + 3_100);
    expect(h.fake.connections[1]!.sentOf('conversation.item.create').map((e) => e.item)).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Thanks.' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'You are welcome.' }] },
    ]);
  });

  it('a quiet call renews exactly at the due time, each session shorter than the cap', () => {
    const h = call(OPENAI_MAX_SESSION_MS);
    for (let i = 1; i <= 3; i++) h.at(i * 55 * MIN + 1, () => h.closeTimes());
    h.at(2 * 60 * MIN, () => h.input.complete());
    h.ts.flush();
    expect(h.life.map((l) => l.opened)).toEqual([0, 55 * MIN, 110 * MIN]);
    for (const l of h.life.slice(0, 2)) expect(l.closed! - l.opened).toBeLessThanOrEqual(55 * MIN + 1);
  });
});
