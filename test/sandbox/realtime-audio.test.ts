import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { muLawDecode, muLawEncode } from '../../src/audio/g711.js';
import type { LatencyProfile } from '../../src/sandbox/types.js';
import { appendAudio, openSdk, speechWithSilence, startRealtimeSandbox, type EventLog, type RealtimeSandbox } from './realtime-harness.js';

/** Slow enough that a cancel or a barge-in lands mid-response. */
const paced: LatencyProfile = {
  name: 'paced',
  transcribe: { afterUploadMs: 0 },
  chat: { firstTokenMs: 0, tokensPerSecond: 0 },
  tts: { firstByteMs: 0, speedFactor: 0 },
  realtime: { responseStartMs: 30, tokensPerSecond: 20, silenceDurationMs: 500 },
};

const LONG_REPLY =
  'Here is a long answer so that there is plenty of audio to interrupt. It goes on for several sentences, ' +
  'talking about the weather, the sea, the mountains and the long road home.';

let fast: RealtimeSandbox;
let slow: RealtimeSandbox;
beforeAll(async () => {
  fast = await startRealtimeSandbox();
  slow = await startRealtimeSandbox({ profile: paced, scenario: { defaultReply: LONG_REPLY } });
});
afterAll(async () => {
  await fast.close();
  await slow.close();
});

function pcmOf(log: EventLog, type: string): Int16Array {
  const bytes = Buffer.concat(log.events.filter((e) => e.type === type).map((e) => Buffer.from(String(e.delta), 'base64')));
  return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

async function askText(rt: { send(e: never): void }, text: string): Promise<void> {
  rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } } as never);
  rt.send({ type: 'response.create' } as never);
}

describe('realtime audio responses', () => {
  it('streams real speech with its transcript, transcript ahead of audio', async () => {
    const { rt, log, opened } = openSdk(fast.openaiBaseURL);
    await opened;
    await askText(rt, 'Hello, who are you?');
    const done = await log.waitFor('response.done');
    expect((done.response as { status: string }).status).toBe('completed');
    const audio = pcmOf(log, 'response.output_audio.delta');
    expect(audio.length / 24).toBeGreaterThan(500); // ms of audio
    expect(rms(audio)).toBeGreaterThan(300); // speech, not silence
    const transcript = log.events.filter((e) => e.type === 'response.output_audio_transcript.delta').map((e) => e.delta).join('');
    const transcriptDone = await log.waitFor('response.output_audio_transcript.done');
    expect(transcriptDone.transcript).toBe(transcript);
    expect(transcript.length).toBeGreaterThan(10);
    const types = log.types();
    expect(types.indexOf('response.output_audio_transcript.delta')).toBeLessThan(types.indexOf('response.output_audio.delta'));
    expect(types.indexOf('response.output_audio.done')).toBeLessThan(types.indexOf('response.output_audio_transcript.done'));
    const part = await log.waitFor('response.content_part.added');
    expect(part.part).toEqual({ type: 'audio', transcript: '' }); // content parts say audio/text in GA too
    rt.close();
  });

  it('cancels a response on response.cancel, then truncates what was heard', async () => {
    const { rt, log, opened } = openSdk(slow.openaiBaseURL);
    await opened;
    rt.send({ type: 'response.cancel' });
    const notActive = await log.waitFor('error');
    expect((notActive.error as { code: string }).code).toBe('response_cancel_not_active');
    await askText(rt, 'Tell me a long story');
    const firstAudio = await log.waitFor('response.output_audio.delta');
    rt.send({ type: 'response.create' });
    const busy = await log.waitFor('error', (e) => (e.error as { code: string }).code === 'conversation_already_has_active_response');
    expect(String((busy.error as { message: string }).message)).toContain(String(firstAudio.response_id));
    rt.send({ type: 'response.cancel' });
    const done = await log.waitFor('response.done');
    const response = done.response as { status: string; status_details: { type: string; reason: string } };
    expect(response.status).toBe('cancelled');
    expect(response.status_details).toEqual({ type: 'cancelled', reason: 'client_cancelled' });
    const itemDone = await log.waitFor('response.output_item.done');
    expect((itemDone.item as { status: string }).status).toBe('incomplete');
    const transcriptDone = await log.waitFor('response.output_audio_transcript.done');
    expect(String(transcriptDone.transcript).length).toBeLessThan(LONG_REPLY.length);
    const sentMs = pcmOf(log, 'response.output_audio.delta').length / 24;
    expect(sentMs).toBeGreaterThan(0);

    const itemId = String(firstAudio.item_id);
    rt.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: Math.floor(sentMs) + 500 });
    const tooLong = await log.waitFor('error', (e) => (e.error as { param: string }).param === 'audio_end_ms');
    expect((tooLong.error as { code: string }).code).toBe('invalid_value');
    rt.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 50 });
    const truncated = await log.waitFor('conversation.item.truncated');
    expect(truncated).toMatchObject({ item_id: itemId, content_index: 0, audio_end_ms: 50 });
    rt.send({ type: 'conversation.item.retrieve', item_id: itemId });
    const retrieved = await log.waitFor('conversation.item.retrieved');
    const heard = (retrieved.item as { content: { transcript: string }[] }).content[0]?.transcript ?? '';
    expect(heard.length).toBeLessThan(String(transcriptDone.transcript).length);
    rt.close();
  });

  it('server VAD speech during a response cancels it with reason turn_detected, then answers the new turn', async () => {
    const { rt, log, opened } = openSdk(slow.openaiBaseURL);
    await opened;
    await askText(rt, 'Tell me a long story');
    await log.waitFor('response.output_audio.delta');
    appendAudio((e) => rt.send(e as never), await speechWithSilence('Stop, please stop.'));
    const started = await log.waitFor('input_audio_buffer.speech_started');
    const cancelled = await log.waitFor('response.done');
    expect((cancelled.response as { status_details: { reason: string } }).status_details.reason).toBe('turn_detected');
    expect(log.events.indexOf(started)).toBeLessThan(log.events.indexOf(cancelled));
    const next = await log.waitFor('response.done', (e) => e !== cancelled, log.events.indexOf(cancelled) + 1);
    expect((next.response as { status: string }).status).toBe('completed');
    rt.close();
  });

  it('takes and returns G.711 mu-law at 8 kHz', async () => {
    const { rt, log, opened } = openSdk(fast.openaiBaseURL);
    await opened;
    rt.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } } },
    });
    const updated = await log.waitFor('session.updated');
    expect((updated.session as { audio: { output: { format: unknown } } }).audio.output.format).toEqual({ type: 'audio/pcmu' });
    const speech = await speechWithSilence('Good morning, I need some help.', 8000);
    const ulaw = (s: Int16Array) => Buffer.from(muLawEncode(s)).toString('base64');
    appendAudio((e) => rt.send(e as never), speech, 8000, ulaw);
    await log.waitFor('input_audio_buffer.speech_stopped');
    await log.waitFor('response.done');
    const bytes = Buffer.concat(log.events.filter((e) => e.type === 'response.output_audio.delta').map((e) => Buffer.from(String(e.delta), 'base64')));
    expect(bytes.length / 8).toBeGreaterThan(500); // 8 bytes per ms
    const decoded = muLawDecode(bytes);
    expect(rms(decoded)).toBeGreaterThan(300);
    rt.close();
  });

  it('commits manually and answers only on response.create when turn detection is off', async () => {
    const { rt, log, opened } = openSdk(fast.openaiBaseURL);
    await opened;
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], audio: { input: { turn_detection: null } } } });
    const updated = await log.waitFor('session.updated');
    expect((updated.session as { audio: { input: { turn_detection: unknown } } }).audio.input.turn_detection).toBeNull();
    rt.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(48 * 50).toString('base64') });
    rt.send({ type: 'input_audio_buffer.commit' });
    const empty = await log.waitFor('error');
    expect((empty.error as { code: string }).code).toBe('input_audio_buffer_commit_empty');
    appendAudio((e) => rt.send(e as never), await speechWithSilence('Hello there, can you hear me?'));
    rt.send({ type: 'input_audio_buffer.commit' });
    const committed = await log.waitFor('input_audio_buffer.committed');
    const added = await log.waitFor('conversation.item.added', (e) => (e.item as { id: string }).id === committed.item_id);
    expect((added.item as { content: unknown[] }).content).toEqual([{ type: 'input_audio', transcript: null }]);
    await new Promise((r) => setTimeout(r, 100));
    expect(log.types()).not.toContain('input_audio_buffer.speech_started');
    expect(log.types()).not.toContain('response.created');
    rt.send({ type: 'response.create' });
    const done = await log.waitFor('response.done');
    expect((done.response as { status: string }).status).toBe('completed');
    rt.close();
  });
});
