import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { realtime, type RealtimeOptions } from '../../operators/realtime.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import { RxVoiceError } from '../../src/errors.js';
import type { InterruptionEvent, PipelineEvent } from '../../src/events.js';
import { PlaybackClock } from '../../src/playback.js';
import { FakeRealtimeSession } from '../../src/testing/fakes/realtime.js';

/** Virtual time without TestScheduler's 750-frame limit (calls last seconds). */
function virtualTime(): TestScheduler {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.maxFrames = Number.POSITIVE_INFINITY;
  return ts;
}

/** A caller frame of 20 ms at 16 kHz (a tone, so resampled batches are not all zeros). */
function callerFrame(seq: number, rate: 16000 | 24000 = 16000): PipelineEvent {
  const n = (rate * 20) / 1000;
  const samples = new Int16Array(n);
  // A per-frame offset makes every batch unique, so tests can tell which audio was resent.
  for (let i = 0; i < n; i++) samples[i] = seq + Math.round(8000 * Math.sin((2 * Math.PI * 440 * (seq * n + i)) / rate));
  const frame: AudioFrame = { samples, sampleRate: rate, startMs: seq * 20, seq };
  return { type: 'audio.in', frame };
}

/** 24 kHz PCM16 of `ms` milliseconds, base64, as an `output_audio.delta` carries it. */
function modelAudio(ms: number): string {
  return Buffer.alloc(ms * 48, 1).toString('base64');
}

interface Harness {
  ts: TestScheduler;
  fake: FakeRealtimeSession;
  input: Subject<PipelineEvent>;
  out: PipelineEvent[];
  at(ms: number, fn: () => void): void;
  types(): string[];
  done: { value: boolean };
}

function harness(options: Partial<RealtimeOptions> = {}): Harness {
  const ts = virtualTime();
  const fake = new FakeRealtimeSession();
  const input = new Subject<PipelineEvent>();
  const out: PipelineEvent[] = [];
  const done = { value: false };
  // No session renewal or stall timeout unless a test asks: these tests leave replies open on purpose.
  input.pipe(realtime({ session: fake, scheduler: ts, renewAfterMs: 0, stallTimeoutMs: 0, ...options })).subscribe({
    next: (e) => out.push(e),
    complete: () => (done.value = true),
  });
  return {
    ts,
    fake,
    input,
    out,
    done,
    at: (ms, fn) => void ts.schedule(fn, ms),
    types: () => out.filter((e) => e.type !== 'audio.in').map((e) => e.type),
  };
}

describe('realtime operator: session and audio', () => {
  it('configures the session and streams caller audio as 24 kHz batches while the caller speaks', () => {
    const h = harness({ instructions: 'Be brief.', batchMs: 40, tools: [{ name: 'get_weather', parameters: { type: 'object' }, handler: () => ({}) }] });
    const config = h.fake.current.config;
    expect(config).toMatchObject({ instructions: 'Be brief.', output: 'text', inputFormat: 'pcm16', turnDetection: { type: 'server_vad', interruptResponse: true } });
    expect(config.transcription?.model).toBe('gpt-4o-mini-transcribe');
    expect(config.tools?.map((t) => t.name)).toEqual(['get_weather']);
    const appendsAfter: number[] = [];
    for (let i = 0; i < 25; i++)
      h.at(i * 20, () => {
        h.input.next(callerFrame(i));
        appendsAfter.push(h.fake.current.sentOf('input_audio_buffer.append').length);
      });
    h.ts.flush();
    const appends = h.fake.current.sentOf('input_audio_buffer.append');
    // Streamed as it arrives: the first batch went out after ~40 ms of audio, long before the input ended.
    expect(appendsAfter[3]).toBeGreaterThanOrEqual(1);
    expect(appends.length).toBeGreaterThanOrEqual(10);
    const sizes = appends.map((a) => Buffer.from(a.audio, 'base64').length);
    // 40 ms at 24 kHz PCM16 = 960 samples = 1920 bytes per batch (the resampler may hold a few back).
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(1920);
    for (const size of sizes.slice(0, -1)) expect(size).toBeLessThan(1920 + 2 * 480);
    // Caller audio is passed on untouched.
    expect(h.out.filter((e) => e.type === 'audio.in')).toHaveLength(25);
  });

  it('encodes G.711 mu-law at 8 kHz for telephony', () => {
    const h = harness({ inputFormat: 'g711_ulaw', batchMs: 20 });
    for (let i = 0; i < 5; i++) h.at(i * 20, () => h.input.next(callerFrame(i)));
    h.ts.flush();
    const appends = h.fake.current.sentOf('input_audio_buffer.append');
    expect(appends.length).toBeGreaterThanOrEqual(3);
    // 20 ms at 8 kHz, one byte per sample.
    expect(Buffer.from(appends[0]!.audio, 'base64').length).toBeGreaterThanOrEqual(160);
    expect(Buffer.from(appends[0]!.audio, 'base64').length).toBeLessThan(320);
    expect(h.fake.current.config.inputFormat).toBe('g711_ulaw');
  });
});

describe('realtime operator: server events -> pipeline events (server VAD)', () => {
  it('maps speech, transcript with language, text deltas, done with usage and rate limits to turn-N ids', () => {
    const h = harness();
    for (let i = 0; i < 100; i++) h.at(i * 20, () => h.input.next(callerFrame(i)));
    h.at(300, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 200, item_id: 'item_u1' }));
    h.at(1500, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 1200, item_id: 'item_u1' }));
    h.at(1500, () => h.fake.current.emit({ type: 'input_audio_buffer.committed', item_id: 'item_u1', previous_item_id: null }));
    h.at(1550, () => h.fake.current.emit({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'item_u1', content_index: 0, delta: 'Hola, ' }));
    h.at(1560, () =>
      h.fake.current.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_u1', content_index: 0, transcript: 'Hola, ¿qué tal?', language: 'es', unknown_field: 1 }),
    );
    h.at(1600, () => h.fake.current.replyText('Muy bien, gracias.', { responseId: 'resp_1' }));
    h.at(1601, () => h.fake.current.emit({ type: 'rate_limits.updated', rate_limits: [{ name: 'tokens', limit: 50000, remaining: 49950, reset_seconds: 60 }] }));
    h.at(1602, () => h.fake.current.emit({ type: 'some.future_event', whatever: true }));
    h.ts.flush();
    const events = h.out.filter((e) => e.type !== 'audio.in');
    expect(events[0]).toEqual({ type: 'speech.started', turnId: 'turn-1', audioMs: 200 });
    expect(events[1]).toEqual({ type: 'speech.ended', turnId: 'turn-1', audioMs: 1200, reason: 'silence', decidedAudioMs: 1520 });
    // decidedAudioMs: the caller audio received when the server decided (the frame at 1500 ms had arrived).
    expect(events[2]).toEqual({ type: 'transcript', turnId: 'turn-1', text: 'Hola, ', final: false });
    expect(events[3]).toEqual({ type: 'transcript', turnId: 'turn-1', text: 'Hola, ¿qué tal?', final: true, language: 'es' });
    const texts = events.filter((e) => e.type === 'assistant.text');
    expect(texts.map((e) => (e.type === 'assistant.text' ? e.delta : '')).join('')).toBe('Muy bien, gracias.');
    expect(texts.every((e) => e.turnId === 'turn-1')).toBe(true);
    const done = events.find((e) => e.type === 'assistant.done');
    expect(done).toEqual({ type: 'assistant.done', turnId: 'turn-1', text: 'Muy bien, gracias.', usage: { inputTokens: 12, outputTokens: 7 }, finishReason: 'completed' });
    const metric = events.find((e) => e.type === 'metric');
    expect(metric).toMatchObject({ type: 'metric', name: 'rate_limits', turnId: 'turn-1', atMs: 1601, detail: { tokens_remaining: 49950, tokens_limit: 50000 } });
    expect(events.some((e) => e.type === 'error')).toBe(false);
  });

  it('numbers server turns turn-1, turn-2 and drops upstream vad speech events', () => {
    const h = harness();
    h.at(0, () => h.input.next({ type: 'speech.started', turnId: 'turn-9', audioMs: 0 }));
    h.at(10, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'a' }));
    h.at(20, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'a' }));
    h.at(30, () => h.fake.current.replyText('One.'));
    h.at(40, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 30, item_id: 'b' }));
    h.ts.flush();
    const started = h.out.filter((e) => e.type === 'speech.started').map((e) => e.turnId);
    expect(started).toEqual(['turn-1', 'turn-2']);
  });

  it('accepts both content-part spellings and audio transcripts as assistant text', () => {
    const h = harness({ output: 'audio' });
    h.at(0, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u' }));
    h.at(10, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u' }));
    h.at(20, () => {
      const c = h.fake.current;
      c.emit({ type: 'response.created', response: { id: 'r1' } });
      c.emit({ type: 'response.content_part.added', response_id: 'r1', part: { type: 'audio', transcript: '' } });
      c.emit({ type: 'response.output_audio_transcript.delta', response_id: 'r1', delta: 'Hi ' });
      c.emit({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'm1', delta: modelAudio(100) });
      c.emit({ type: 'response.content_part.added', response_id: 'r1', part: { type: 'output_text', text: '' } });
      c.emit({ type: 'response.output_text.delta', response_id: 'r1', delta: 'there' });
      c.emit({ type: 'response.done', response: { id: 'r1', status: 'completed' } });
    });
    h.ts.flush();
    const audio = h.out.filter((e) => e.type === 'assistant.audio');
    expect(audio).toHaveLength(1);
    expect(audio[0]).toMatchObject({ turnId: 'turn-1', frame: { sampleRate: 24000, startMs: 0, seq: 0 } });
    expect(audio[0]!.type === 'assistant.audio' && audio[0]!.frame.samples.length).toBe(2400);
    expect(h.out.find((e) => e.type === 'assistant.done')).toMatchObject({ text: 'Hi there' });
  });

  it('turns server errors into typed error events and keeps going', () => {
    const h = harness();
    h.at(0, () => h.fake.current.emit({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'bad value' } }));
    h.at(1, () => h.fake.current.emit({ type: 'error', error: { code: 'response_cancel_not_active', message: 'nothing' } }));
    h.at(2, () => h.fake.current.emit({ type: 'client.protocol_error', message: 'Unparseable realtime message: {oops' }));
    h.at(3, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u' }));
    h.ts.flush();
    const errors = h.out.filter((e) => e.type === 'error');
    expect(errors).toEqual([
      { type: 'error', code: 'provider_error', stage: 'realtime', message: 'Realtime server error: invalid_value: bad value', retryable: false },
      { type: 'error', code: 'protocol', stage: 'realtime', message: 'Unparseable realtime message: {oops', retryable: false },
    ]);
    expect(h.out.some((e) => e.type === 'speech.started')).toBe(true);
  });
});

describe('realtime operator: local VAD (turn detection none)', () => {
  it("uses the vad's turn ids, sends the turn's audio with pre-padding, commits and asks for a response", () => {
    const h = harness({ turnDetection: { type: 'none' }, prePaddingMs: 100 });
    for (let i = 0; i < 50; i++) h.at(i * 20, () => h.input.next(callerFrame(i, 24000)));
    // speech from 400 ms, announced at 650 ms (after the vad's minimum speech); ends at 900 ms.
    h.at(650, () => h.input.next({ type: 'speech.started', turnId: 'turn-7', audioMs: 400 }));
    h.at(900, () => h.input.next({ type: 'speech.ended', turnId: 'turn-7', audioMs: 900, reason: 'silence', decidedAudioMs: 900 }));
    h.at(901, () => {
      const c = h.fake.current;
      c.emit({ type: 'input_audio_buffer.committed', item_id: 'item_u7' });
      c.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_u7', transcript: 'Book a table.' });
      c.replyText('Done.');
      // A server speech event is ignored: the local vad decides.
      c.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'x' });
    });
    h.ts.flush();
    const c = h.fake.current;
    expect(c.config.turnDetection).toEqual({ type: 'none' });
    const kinds = c.sent.map((e) => e.type);
    const commitAt = kinds.indexOf('input_audio_buffer.commit');
    expect(commitAt).toBeGreaterThan(0);
    expect(kinds[commitAt + 1]).toBe('response.create');
    const bytes = c.sentOf('input_audio_buffer.append').reduce((n, a) => n + Buffer.from(a.audio, 'base64').length, 0);
    // From 300 ms (400 - 100 padding) to the end of the frame that arrived with speech.ended (920 ms):
    // 620 ms at 48 bytes/ms; nothing before or after the turn.
    expect(bytes).toBe(620 * 48);
    expect(kinds.slice(commitAt + 2)).not.toContain('input_audio_buffer.append');
    expect(h.out.filter((e) => e.type === 'speech.started').map((e) => e.turnId)).toEqual(['turn-7']);
    expect(h.out.find((e) => e.type === 'transcript')).toMatchObject({ turnId: 'turn-7', text: 'Book a table.', final: true });
    expect(h.out.find((e) => e.type === 'assistant.done')).toMatchObject({ turnId: 'turn-7', text: 'Done.' });
  });
});

describe('realtime operator: function calls', () => {
  it('runs the handler, sends function_call_output, then response.create once the response is done', () => {
    const calls: unknown[] = [];
    const h = harness({
      tools: [
        {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
          handler: (args) => {
            calls.push(args);
            return { city: 'Paris', tempC: 21 };
          },
        },
      ],
    });
    h.fake.onSend = (event, conn) => {
      if (event.type === 'response.create') h.at(50, () => conn.replyText('It is 21 degrees in Paris.'));
    };
    h.at(0, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u' }));
    h.at(10, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u' }));
    h.at(20, () => h.fake.current.replyFunctionCall('get_weather', '{"city":"Paris"}', { callId: 'call_1' }));
    h.ts.flush();
    expect(calls).toEqual([{ city: 'Paris' }]);
    const sent = h.fake.current.sent.filter((e) => e.type !== 'input_audio_buffer.append');
    expect(sent).toEqual([
      { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_1', output: '{"city":"Paris","tempC":21}' } },
      { type: 'response.create' },
    ]);
    expect(h.types()).toEqual(['speech.started', 'speech.ended', 'tool.call', 'tool.result', ...Array(6).fill('assistant.text'), 'assistant.done']);
    expect(h.out.find((e) => e.type === 'tool.call')).toEqual({ type: 'tool.call', turnId: 'turn-1', callId: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(h.out.find((e) => e.type === 'tool.result')).toMatchObject({ turnId: 'turn-1', isError: false });
    expect(h.out.find((e) => e.type === 'assistant.done')).toMatchObject({ turnId: 'turn-1', text: 'It is 21 degrees in Paris.' });
  });

  it('tells the model when a handler throws, and when a tool is unknown', async () => {
    const fake = new FakeRealtimeSession();
    const input = new Subject<PipelineEvent>();
    const out: PipelineEvent[] = [];
    input
      .pipe(realtime({ session: fake, tools: [{ name: 'book', parameters: {}, handler: async () => Promise.reject(new Error('fully booked')) }] }))
      .subscribe((e) => out.push(e));
    const c = fake.current;
    c.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u' });
    c.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u' });
    c.replyFunctionCall('book', '{}', { callId: 'call_a' });
    await new Promise((r) => setTimeout(r, 10));
    c.replyFunctionCall('nope', '{}', { callId: 'call_b' });
    const results = out.filter((e) => e.type === 'tool.result');
    expect(results).toEqual([
      { type: 'tool.result', turnId: 'turn-1', callId: 'call_a', name: 'book', output: '{"error":"fully booked"}', isError: true },
      { type: 'tool.result', turnId: 'turn-1', callId: 'call_b', name: 'nope', output: '{"error":"unknown tool: nope"}', isError: true },
    ]);
    expect(c.sentOf('response.create')).toHaveLength(2);
    input.complete();
  });
});

describe('realtime operator: barge-in', () => {
  it("model audio: cancels, truncates at the ms actually played and reports what was heard", () => {
    const ts = virtualTime();
    const playback = new PlaybackClock(ts);
    const h = harness({ output: 'audio', playback, scheduler: ts });
    h.ts.schedule(() => undefined, 0);
    const at = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
    at(0, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    at(10, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u1' }));
    at(100, () => {
      const c = h.fake.current;
      c.emit({ type: 'response.created', response: { id: 'r1' } });
      c.emit({ type: 'response.output_item.added', response_id: 'r1', item: { id: 'item_a1', type: 'message' } });
      c.emit({ type: 'response.output_audio_transcript.delta', response_id: 'r1', delta: 'The weather in Paris is sunny today.' });
      // 2 s of reply audio arrives at once (faster than real time); the caller hears it from t=100.
      c.emit({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'item_a1', delta: modelAudio(1000) });
      c.emit({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'item_a1', delta: modelAudio(1000) });
    });
    // The caller speaks over the reply 750 ms after its audio started.
    at(850, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 800, item_id: 'u2' }));
    at(851, () => h.fake.current.emit({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'item_a1', delta: modelAudio(500) }));
    ts.flush();
    const c = h.fake.current;
    expect(c.sentOf('response.cancel')).toHaveLength(1);
    expect(c.sentOf('conversation.item.truncate')).toEqual([{ type: 'conversation.item.truncate', item_id: 'item_a1', content_index: 0, audio_end_ms: 750 }]);
    expect(h.out.find((e) => e.type === 'reply.cancel')).toEqual({ type: 'reply.cancel', turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' });
    const interruption = h.out.find((e) => e.type === 'interruption');
    expect(interruption).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2', playedMs: 750 });
    expect(interruption?.type === 'interruption' && interruption.heardText).toBe('The weather in');
    // Audio after the cut is dropped.
    expect(h.out.filter((e) => e.type === 'assistant.audio')).toHaveLength(2);
    expect(h.out.some((e) => e.type === 'assistant.done')).toBe(false);
  });

  it('text spoken by a TTS: emits reply.cancel, then cuts the server item to the heard text', () => {
    const ts = virtualTime();
    const playback = new PlaybackClock(ts);
    const interruptions = new Subject<InterruptionEvent>();
    const h = harness({ playback, scheduler: ts, interruptions });
    const at = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
    at(0, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    at(10, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u1' }));
    at(11, () => h.fake.current.emit({ type: 'input_audio_buffer.committed', item_id: 'u1' }));
    at(12, () => h.fake.current.emit({ type: 'conversation.item.added', previous_item_id: 'u1', item: { id: 'item_a1', type: 'message' } }));
    at(20, () => h.fake.current.replyText('Sure, I can help with that booking.', { itemId: 'item_a1' }));
    // The TTS downstream plays the reply from t=100.
    at(100, () => playback.emitted('turn-1', 3000));
    at(600, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 590, item_id: 'u2' }));
    at(620, () => interruptions.next({ type: 'interruption', turnId: 'turn-1', byTurnId: 'turn-2', playedMs: 500, heardText: 'Sure, I can' }));
    ts.flush();
    expect(h.out.find((e) => e.type === 'reply.cancel')).toEqual({ type: 'reply.cancel', turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' });
    const c = h.fake.current;
    const after = c.sent.filter((e) => e.type !== 'input_audio_buffer.append');
    expect(after).toEqual([
      { type: 'conversation.item.delete', item_id: 'item_a1' },
      { type: 'conversation.item.create', previous_item_id: 'u1', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sure, I can' }] } },
    ]);
  });

  it('bargeIn: false never cuts a reply and leaves interrupt_response off', () => {
    const ts = virtualTime();
    const playback = new PlaybackClock(ts);
    const h = harness({ output: 'audio', playback, scheduler: ts, bargeIn: false });
    expect(h.fake.current.config.turnDetection).toMatchObject({ type: 'server_vad', interruptResponse: false });
    const at = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
    at(0, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    at(10, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u1' }));
    at(20, () => {
      h.fake.current.emit({ type: 'response.created', response: { id: 'r1' } });
      h.fake.current.emit({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'a', delta: modelAudio(1000) });
    });
    at(300, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 290, item_id: 'u2' }));
    ts.flush();
    expect(h.fake.current.sentOf('response.cancel')).toHaveLength(0);
    expect(h.out.some((e) => e.type === 'reply.cancel' || e.type === 'interruption')).toBe(false);
  });
});

describe('realtime operator: barge-in policies', () => {
  it('minWords waits for enough words of the partial transcript (and leaves interrupt_response off)', () => {
    const ts = virtualTime();
    const playback = new PlaybackClock(ts);
    const h = harness({ output: 'audio', playback, scheduler: ts, bargeIn: { minWords: 3 } });
    expect(h.fake.current.config.turnDetection).toMatchObject({ interruptResponse: false });
    const at = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
    const c = () => h.fake.current;
    at(0, () => c().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    at(10, () => c().emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u1' }));
    at(20, () => {
      c().emit({ type: 'response.created', response: { id: 'r1' } });
      c().emit({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'a1', delta: modelAudio(3000) });
    });
    at(500, () => c().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 480, item_id: 'u2' }));
    at(600, () => c().emit({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'u2', delta: 'uh ' }));
    at(700, () => expect(c().sentOf('response.cancel')).toHaveLength(0));
    at(800, () => c().emit({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'u2', delta: 'wait a second' }));
    ts.flush();
    expect(c().sentOf('response.cancel')).toHaveLength(1);
    // Cut when the words were there (t=800), 780 ms into the reply's audio.
    expect(c().sentOf('conversation.item.truncate')[0]).toMatchObject({ item_id: 'a1', audio_end_ms: 780 });
    expect(h.out.find((e) => e.type === 'interruption')).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2', playedMs: 780 });
  });

  it('echoGuardMs: speech right after the reply audio starts is taken for echo, later speech cuts it', () => {
    const ts = virtualTime();
    const playback = new PlaybackClock(ts);
    const h = harness({ output: 'audio', playback, scheduler: ts, echoGuardMs: 300 });
    expect(h.fake.current.config.turnDetection).toMatchObject({ interruptResponse: false });
    const at = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
    const c = () => h.fake.current;
    at(0, () => c().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    at(10, () => c().emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u1' }));
    at(100, () => {
      c().emit({ type: 'response.created', response: { id: 'r1' } });
      c().emit({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'a1', delta: modelAudio(3000) });
    });
    at(200, () => c().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 190, item_id: 'echo' }));
    at(250, () => c().emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 240, item_id: 'echo' }));
    at(300, () => expect(c().sentOf('response.cancel')).toHaveLength(0));
    at(900, () => c().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 890, item_id: 'u3' }));
    ts.flush();
    expect(c().sentOf('response.cancel')).toHaveLength(1);
    expect(h.out.find((e) => e.type === 'reply.cancel')).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-3' });
  });

  it('halfDuplex with the local vad: an utterance during the reply is ignored, neither sent nor answered', () => {
    const ts = virtualTime();
    const playback = new PlaybackClock(ts);
    const h = harness({ turnDetection: { type: 'none' }, output: 'audio', playback, scheduler: ts, halfDuplex: true });
    const at = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
    for (let i = 0; i < 60; i++) at(i * 20, () => h.input.next(callerFrame(i, 24000)));
    at(0, () => h.input.next({ type: 'speech.started', turnId: 'turn-1', audioMs: 0 }));
    at(200, () => h.input.next({ type: 'speech.ended', turnId: 'turn-1', audioMs: 200, reason: 'silence', decidedAudioMs: 200 }));
    at(210, () => {
      h.fake.current.emit({ type: 'response.created', response: { id: 'r1' } });
      h.fake.current.emit({ type: 'response.output_audio.delta', response_id: 'r1', item_id: 'a1', delta: modelAudio(3000) });
    });
    at(500, () => h.input.next({ type: 'speech.started', turnId: 'turn-2', audioMs: 450 }));
    at(900, () => h.input.next({ type: 'speech.ended', turnId: 'turn-2', audioMs: 900, reason: 'silence', decidedAudioMs: 900 }));
    ts.flush();
    const c = h.fake.current;
    expect(c.sentOf('response.cancel')).toHaveLength(0);
    expect(c.sentOf('input_audio_buffer.commit')).toHaveLength(1);
    expect(c.sentOf('response.create')).toHaveLength(1);
    expect(h.out.filter((e) => e.type === 'speech.started').map((e) => e.turnId)).toEqual(['turn-1']);
    const bytes = c.sentOf('input_audio_buffer.append').reduce((n, a) => n + Buffer.from(a.audio, 'base64').length, 0);
    // Only turn-1's audio (0-220 ms: the frame that arrived with speech.ended included).
    expect(bytes).toBe(220 * 48);
  });

  it('a reply.cancel from upstream (a bargeIn operator before it) cancels the response and passes on', () => {
    const h = harness();
    h.at(0, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    h.at(10, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u1' }));
    h.at(20, () => {
      h.fake.current.emit({ type: 'response.created', response: { id: 'r1' } });
      h.fake.current.emit({ type: 'response.output_text.delta', response_id: 'r1', delta: 'Once upon ' });
    });
    h.at(30, () => h.input.next({ type: 'reply.cancel', turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' }));
    h.at(40, () => h.fake.current.emit({ type: 'response.output_text.delta', response_id: 'r1', delta: 'a time' }));
    h.at(50, () => h.fake.current.emit({ type: 'response.done', response: { id: 'r1', status: 'cancelled' } }));
    h.ts.flush();
    expect(h.fake.current.sentOf('response.cancel')).toHaveLength(1);
    expect(h.out.filter((e) => e.type === 'reply.cancel')).toHaveLength(1);
    expect(h.out.filter((e) => e.type === 'assistant.text').map((e) => (e.type === 'assistant.text' ? e.delta : ''))).toEqual(['Once upon ']);
    expect(h.out.some((e) => e.type === 'assistant.done')).toBe(false);
  });
});

describe('realtime operator: connection life', () => {
  it('reconnects after a drop, restores the conversation and resends the audio of the uncommitted turn', () => {
    const h = harness({ instructions: 'Be brief.', reconnectDelayMs: 100 });
    const c0 = () => h.fake.connections[0]!;
    // Turn 1 completes normally.
    h.at(0, () => c0().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    h.at(5, () => c0().emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 5, item_id: 'u1' }));
    h.at(6, () => c0().emit({ type: 'input_audio_buffer.committed', item_id: 'u1' }));
    h.at(7, () => c0().emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'u1', transcript: 'Hello there.' }));
    h.at(8, () => c0().replyText('Hi! How can I help?'));
    // Turn 2: the caller speaks from 2500 ms; the socket drops at 2800 ms, mid-utterance.
    for (let i = 0; i < 175; i++) h.at(i * 20, () => h.input.next(callerFrame(i, 24000)));
    h.at(2510, () => c0().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 2500, item_id: 'u2' }));
    h.at(2800, () => c0().drop());
    h.ts.flush();
    expect(h.fake.connections).toHaveLength(2);
    const before = c0().sentOf('input_audio_buffer.append').map((a) => a.audio);
    const c1 = h.fake.connections[1]!;
    expect(c1.config.instructions).toBe('Be brief.');
    const restored = c1.sent.filter((e) => e.type === 'conversation.item.create');
    expect(restored.map((e) => e.type === 'conversation.item.create' && e.item)).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello there.' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi! How can I help?' }] },
    ]);
    // Every batch the old socket carried since the speech began (minus 1.5 s of lead-in) is sent again first.
    const resent = c1.sentOf('input_audio_buffer.append').map((a) => a.audio);
    const firstResent = before.indexOf(resent[0]!);
    expect(firstResent).toBeGreaterThan(0);
    expect(resent.slice(0, before.length - firstResent)).toEqual(before.slice(firstResent));
    // And the stream carries on over the new socket with audio after the drop.
    expect(resent.length).toBeGreaterThan(before.length - firstResent);
    expect(h.out.some((e) => e.type === 'error')).toBe(false);
    // The same utterance heard again on the new socket keeps its turn id.
    c1.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u2b' });
    c1.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 800, item_id: 'u2b' });
    expect(h.out.filter((e) => e.type === 'speech.started').map((e) => e.turnId)).toEqual(['turn-1', 'turn-2']);
    expect(h.out.filter((e) => e.type === 'speech.ended').map((e) => e.turnId)).toEqual(['turn-1', 'turn-2']);
  });

  it('a drop mid-reply asks again after the restore and does not repeat the text already emitted', () => {
    const h = harness({ reconnectDelayMs: 10 });
    h.at(0, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    h.at(5, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 5, item_id: 'u1' }));
    h.at(6, () => h.fake.current.emit({ type: 'input_audio_buffer.committed', item_id: 'u1' }));
    h.at(7, () => h.fake.current.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'u1', transcript: 'Weather?' }));
    h.at(10, () => {
      const c = h.fake.current;
      c.emit({ type: 'response.created', response: { id: 'r1' } });
      c.emit({ type: 'response.output_text.delta', response_id: 'r1', delta: 'It is ' });
      c.emit({ type: 'response.output_text.delta', response_id: 'r1', delta: 'sunny ' });
      c.drop();
    });
    h.fake.onSend = (event, conn) => {
      if (event.type === 'response.create' && conn.index === 1) h.at(30, () => conn.replyText('It is sunny and warm.'));
    };
    h.ts.flush();
    const text = h.out.filter((e) => e.type === 'assistant.text').map((e) => (e.type === 'assistant.text' ? e.delta : '')).join('');
    expect(text).toBe('It is sunny and warm.');
    expect(h.out.find((e) => e.type === 'assistant.done')).toMatchObject({ turnId: 'turn-1', text: 'It is sunny and warm.' });
    expect(h.fake.connections[1]!.sentOf('response.create')).toHaveLength(1);
  });

  it('the session limit reconnects at once, without an error and without using up the attempts', () => {
    const h = harness({ reconnectDelayMs: 100, maxReconnects: 1 });
    h.fake.greet = false;
    h.at(10, () => h.fake.current.expire());
    h.at(20, () => h.fake.current.expire());
    h.ts.flush();
    // Expiry reconnects immediately (same virtual instant), each time.
    expect(h.fake.connections).toHaveLength(3);
    expect(h.out.some((e) => e.type === 'error')).toBe(false);
  });

  it('renews the session before the server limit, at the first quiet moment, restoring the conversation', () => {
    const h = harness({ renewAfterMs: 1000 });
    const first = () => h.fake.connections[0]!;
    h.at(0, () => first().emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    h.at(5, () => first().emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 5, item_id: 'u1' }));
    h.at(6, () => first().emit({ type: 'input_audio_buffer.committed', item_id: 'u1' }));
    h.at(7, () => first().emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'u1', transcript: 'Hi.' }));
    // A reply is still streaming when the renewal falls due: the swap waits for it.
    h.at(990, () => {
      first().emit({ type: 'response.created', response: { id: 'r1' } });
      first().emit({ type: 'response.output_text.delta', response_id: 'r1', delta: 'Hello ' });
    });
    h.at(1100, () => expect(h.fake.connections).toHaveLength(1));
    h.at(1200, () => {
      first().emit({ type: 'response.output_text.delta', response_id: 'r1', delta: 'again.' });
      first().emit({ type: 'response.done', response: { id: 'r1', status: 'completed' } });
    });
    // End the call, or virtual time would renew every second forever.
    h.at(1500, () => h.input.complete());
    h.ts.flush();
    expect(h.done.value).toBe(true);
    expect(h.fake.connections).toHaveLength(2);
    expect(first().open).toBe(false);
    const restored = h.fake.connections[1]!.sentOf('conversation.item.create').map((e) => e.item);
    expect(restored).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi.' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello again.' }] },
    ]);
    expect(h.out.find((e) => e.type === 'assistant.done')).toMatchObject({ text: 'Hello again.' });
    expect(h.out.some((e) => e.type === 'error')).toBe(false);
  });

  it('a reply that stalls is asked for again on a fresh session; a server that never answers ends in a timeout error', () => {
    const h = harness({ stallTimeoutMs: 2000, reconnectDelayMs: 100, maxReconnects: 1 });
    h.at(0, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    h.at(5, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 5, item_id: 'u1' }));
    h.at(6, () => h.fake.current.emit({ type: 'input_audio_buffer.committed', item_id: 'u1' }));
    h.at(7, () => h.fake.current.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'u1', transcript: 'Hello?' }));
    // No response ever comes on the first socket: at 2007 it is given up and a second one asked.
    h.at(1900, () => expect(h.fake.connections).toHaveLength(1));
    h.ts.flush();
    expect(h.fake.connections).toHaveLength(2);
    expect(h.fake.connections[0]!.open).toBe(false);
    expect(h.fake.connections[1]!.sentOf('response.create')).toHaveLength(1);
    // The second socket stays silent too: after the bounded attempts, one timeout error for the turn.
    expect(h.out.filter((e) => e.type === 'error')).toEqual([
      expect.objectContaining({ type: 'error', code: 'timeout', stage: 'realtime', turnId: 'turn-1', retryable: false }),
    ]);
  });

  it('gives up after maxReconnects failed attempts (with backoff) with a connection error event', () => {
    const h = harness({ reconnectDelayMs: 100, maxReconnects: 2 });
    h.fake.greet = false; // no session ever comes up
    const connectedAt: number[] = [];
    h.fake.onConnect = (conn) => {
      connectedAt.push(h.ts.now());
      h.at(10, () => conn.drop());
    };
    h.at(10, () => h.fake.current.drop());
    h.ts.flush();
    // Dropped at 10; retry after 100 ms (110), dropped at 120; retry after 200 ms (320), dropped at 330: give up.
    expect(connectedAt).toEqual([110, 320]);
    expect(h.out.filter((e) => e.type === 'error')).toEqual([
      {
        type: 'error',
        code: 'connection',
        stage: 'realtime',
        message: 'Realtime socket closed unexpectedly (1011); gave up after 2 reconnect attempts',
        retryable: false,
      },
    ]);
  });

  it('an auth failure is a clear error event and is not retried', () => {
    const h = harness();
    h.at(0, () => {
      h.fake.current.fail(new RxVoiceError({ code: 'auth', stage: 'realtime', status: 401, message: 'Realtime connection refused: the API key was not accepted (401)' }));
    });
    h.at(100, () => h.input.next(callerFrame(0)));
    h.ts.flush();
    expect(h.fake.connections).toHaveLength(1);
    expect(h.out.filter((e) => e.type === 'error')).toEqual([
      { type: 'error', code: 'auth', stage: 'realtime', message: 'Realtime connection refused: the API key was not accepted (401)', retryable: false },
    ]);
    // Audio still flows through the chain.
    expect(h.out.filter((e) => e.type === 'audio.in')).toHaveLength(1);
  });

  it('completes once the input has ended and the last reply is done, closing the socket', () => {
    const h = harness();
    h.at(0, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    h.at(5, () => h.fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 5, item_id: 'u1' }));
    h.at(6, () => h.input.complete());
    h.at(50, () => expect(h.done.value).toBe(false));
    h.at(100, () => h.fake.current.replyText('Bye.'));
    h.ts.flush();
    expect(h.done.value).toBe(true);
    expect(h.fake.current.open).toBe(false);
  });

  it('unsubscribing closes the socket', () => {
    const fake = new FakeRealtimeSession();
    const sub = new Subject<PipelineEvent>().pipe(realtime({ session: fake })).subscribe();
    expect(fake.current.open).toBe(true);
    sub.unsubscribe();
    expect(fake.current.open).toBe(false);
  });
});
