import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudio, openSdk, pcmBase64, speechWithSilence, startRealtimeSandbox, type RealtimeSandbox } from './realtime-harness.js';

let sandbox: RealtimeSandbox;
beforeAll(async () => {
  sandbox = await startRealtimeSandbox({
    scenario: {
      utterances: [{ transcript: 'What is the weather in Paris?' }, { transcript: 'Tell me a joke.' }],
      replies: [{ match: 'weather', toolCall: { name: 'get_weather', arguments: { city: 'Paris' } }, afterTool: 'It is {result} in Paris.' }],
    },
  });
});
afterAll(async () => {
  await sandbox.close();
});

describe('realtime GA with the official SDK', () => {
  it('sends session.created first and session.updated with the full effective config', async () => {
    const { rt, log, opened } = openSdk(sandbox.openaiBaseURL);
    await opened;
    const created = await log.waitFor('session.created');
    expect(log.events[0]?.type).toBe('session.created');
    const session = created.session as Record<string, unknown>;
    expect(String(session.id)).toMatch(/^sess_/);
    expect(String(created.event_id)).toMatch(/^event_/);
    rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
        instructions: 'Be brief.',
        audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 400 } } },
      },
    });
    const updated = await log.waitFor('session.updated');
    const s = updated.session as { output_modalities: string[]; instructions: string; audio: { input: { turn_detection: { silence_duration_ms: number; prefix_padding_ms: number } } } };
    expect(s.output_modalities).toEqual(['text']);
    expect(s.instructions).toBe('Be brief.');
    expect(s.audio.input.turn_detection.silence_duration_ms).toBe(400);
    expect(s.audio.input.turn_detection.prefix_padding_ms).toBe(300);
    rt.close();
  });

  it('answers a text conversation item with a text response in protocol order', async () => {
    const { rt, log, opened } = openSdk(sandbox.openaiBaseURL);
    await opened;
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me a joke.' }] } });
    rt.send({ type: 'response.create' });
    const done = await log.waitFor('response.done');
    const response = done.response as { status: string; usage: { total_tokens: number }; output: { content: { type: string; text: string }[] }[] };
    expect(response.status).toBe('completed');
    expect(response.usage.total_tokens).toBeGreaterThan(0);
    const types = log.types();
    const order = [
      'response.created',
      'response.output_item.added',
      'conversation.item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'conversation.item.done',
      'response.done',
    ];
    const at = (t: string) => types.indexOf(t, types.indexOf('response.created'));
    for (let i = 1; i < order.length; i++) expect(at(order[i]!)).toBeGreaterThan(at(order[i - 1]!));
    const deltas = log.events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    const textDone = await log.waitFor('response.output_text.done');
    expect(deltas).toBe(textDone.text);
    expect(response.output[0]?.content[0]?.text).toBe(deltas);
    await log.waitFor('rate_limits.updated');
    rt.close();
  });

  it('detects speech with server VAD, transcribes it and runs a function call round trip', async () => {
    const { rt, log, opened } = openSdk(sandbox.openaiBaseURL);
    await opened;
    rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['text'],
        tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
        audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' }, turn_detection: { type: 'server_vad', silence_duration_ms: 500 } } },
      },
    });
    await log.waitFor('session.updated');
    const audio = await speechWithSilence('What is the weather in Paris?');
    appendAudio((e) => rt.send(e as never), audio);
    const started = await log.waitFor('input_audio_buffer.speech_started');
    const stopped = await log.waitFor('input_audio_buffer.speech_stopped');
    expect(started.item_id).toBe(stopped.item_id);
    // 300 ms of leading silence, minus 300 ms of prefix padding.
    expect(started.audio_start_ms as number).toBeLessThanOrEqual(100);
    expect(stopped.audio_end_ms as number).toBeGreaterThan((started.audio_start_ms as number) + 800);
    const committed = await log.waitFor('input_audio_buffer.committed');
    expect(committed.item_id).toBe(started.item_id);
    const transcript = await log.waitFor('conversation.item.input_audio_transcription.completed');
    expect(transcript.transcript).toBe('What is the weather in Paris?');
    const args = await log.waitFor('response.function_call_arguments.done');
    expect(args.name).toBe('get_weather');
    expect(JSON.parse(String(args.arguments))).toEqual({ city: 'Paris' });
    expect(String(args.call_id)).toMatch(/^call_/);
    const firstDone = await log.waitFor('response.done');
    const mark = log.events.length;
    rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: args.call_id as string, output: '21 degrees' } });
    rt.send({ type: 'response.create' });
    const second = await log.waitFor('response.done', (e) => e !== firstDone, mark);
    const out = (second.response as { output: { content: { text: string }[] }[] }).output[0]?.content[0]?.text;
    expect(out).toContain('21 degrees');
    rt.close();
  });
});

describe('realtime hearing', () => {
  it('gives replayed user audio (a reconnecting client) the words it had the first time', async () => {
    const own = await startRealtimeSandbox({
      scenario: {
        utterances: [{ transcript: 'Book a table for two.' }, { transcript: 'Something else entirely.' }],
        replies: [{ match: 'table', reply: 'Your table is booked.' }],
        defaultReply: 'I did not get that.',
      },
    });
    try {
      const headers = { 'x-rxvoice-call': 'call-replay' };
      const audio = await speechWithSilence('Book a table for two.', 24000, 200);
      const first = openSdk(own.openaiBaseURL, 'gpt-realtime', headers);
      await first.opened;
      first.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], audio: { input: { turn_detection: null } } } });
      appendAudio((e) => first.rt.send(e as never), audio);
      first.rt.send({ type: 'input_audio_buffer.commit' });
      first.rt.send({ type: 'response.create' });
      const firstDone = await first.log.waitFor('response.done');
      expect((firstDone.response as { output: { content: { text: string }[] }[] }).output[0]?.content[0]?.text).toBe('Your table is booked.');
      first.rt.close();

      const second = openSdk(own.openaiBaseURL, 'gpt-realtime', headers);
      await second.opened;
      second.rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], audio: { input: { turn_detection: null } } } });
      second.rt.send({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_audio', audio: pcmBase64(audio) }] },
      });
      second.rt.send({ type: 'response.create' });
      const secondDone = await second.log.waitFor('response.done');
      expect((secondDone.response as { output: { content: { text: string }[] }[] }).output[0]?.content[0]?.text).toBe('Your table is booked.');
      second.rt.close();
    } finally {
      await own.close();
    }
  });

  it('server VAD is the Silero model, not a level meter: loud noise starts no turn, speech does', async () => {
    const { rt, log, opened } = openSdk(sandbox.openaiBaseURL);
    await opened;
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    await log.waitFor('session.updated');
    let seed = 7;
    const noise = Int16Array.from({ length: 24000 * 2 }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return ((seed / 0x7fffffff) * 2 - 1) * 8000;
    });
    appendAudio((e) => rt.send(e as never), noise);
    appendAudio((e) => rt.send(e as never), new Int16Array(24000));
    rt.send({ type: 'input_audio_buffer.clear' });
    await log.waitFor('input_audio_buffer.cleared');
    expect(log.types()).not.toContain('input_audio_buffer.speech_started');
    appendAudio((e) => rt.send(e as never), await speechWithSilence('Hello, can you hear me?'));
    const started = await log.waitFor('input_audio_buffer.speech_started');
    // Speech began 300 ms into this audio, which began 3 s into the session; minus 300 ms prefix padding.
    expect(started.audio_start_ms as number).toBeGreaterThanOrEqual(2900);
    expect(started.audio_start_ms as number).toBeLessThanOrEqual(3200);
    rt.close();
  });
});

describe('response.create overrides', () => {
  it('an out-of-band response (conversation "none") adds nothing to the conversation; max_output_tokens cuts a reply', async () => {
    const { rt, log, opened } = openSdk(sandbox.openaiBaseURL);
    await opened;
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['audio'] } });
    await log.waitFor('session.updated');
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me a joke.' }] } });
    rt.send({ type: 'response.create', response: { conversation: 'none', output_modalities: ['text'], metadata: { purpose: 'summary' } } });
    const oob = await log.waitFor('response.done');
    const oobResponse = oob.response as { conversation_id: unknown; metadata: unknown; output_modalities: string[]; status: string };
    expect(oobResponse).toMatchObject({ conversation_id: null, metadata: { purpose: 'summary' }, output_modalities: ['text'], status: 'completed' });
    // Only the user's item went into the conversation.
    expect(log.events.filter((e) => e.type === 'conversation.item.added')).toHaveLength(1);
    expect(log.types()).not.toContain('response.output_audio.delta');

    const mark = log.events.length;
    rt.send({ type: 'response.create', response: { output_modalities: ['text'], max_output_tokens: 2 } });
    const cut = await log.waitFor('response.done', () => true, mark);
    const response = cut.response as { status: string; status_details: { reason: string } };
    expect(response.status).toBe('incomplete');
    expect(response.status_details.reason).toBe('max_output_tokens');
    expect(log.events.slice(mark).filter((e) => e.type === 'response.output_text.delta')).toHaveLength(2);
    rt.close();
  });
});

describe('idle timeout', () => {
  it('nudges a silent caller after idle_timeout_ms with timeout_triggered and a response', async () => {
    const { rt, log, opened } = openSdk(sandbox.openaiBaseURL);
    await opened;
    rt.send({
      type: 'session.update',
      session: { type: 'realtime', output_modalities: ['text'], audio: { input: { turn_detection: { type: 'server_vad', idle_timeout_ms: 300 } } } },
    });
    await log.waitFor('session.updated');
    rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Tell me a joke.' }] } });
    rt.send({ type: 'response.create' });
    const first = await log.waitFor('response.done');
    appendAudio((e) => rt.send(e as never), new Int16Array(2400)); // 100 ms of silence: no speech
    const triggered = await log.waitFor('input_audio_buffer.timeout_triggered');
    expect(triggered.audio_end_ms).toBe(100);
    const committed = await log.waitFor('input_audio_buffer.committed');
    expect(committed.item_id).toBe(triggered.item_id);
    const nudge = await log.waitFor('response.done', (e) => e !== first, log.events.indexOf(first) + 1);
    expect((nudge.response as { output: { content: { text: string }[] }[] }).output[0]?.content[0]?.text).toBe('Are you still there?');
    rt.close();
  });
});
