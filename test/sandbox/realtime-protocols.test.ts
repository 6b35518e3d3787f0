import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAzureSdk, openRaw, openSdk, startRealtimeSandbox, upgradeRefusal, type RealtimeSandbox } from './realtime-harness.js';

let sandbox: RealtimeSandbox;
let keyed: RealtimeSandbox;
beforeAll(async () => {
  sandbox = await startRealtimeSandbox();
  keyed = await startRealtimeSandbox({ apiKey: 'sk-the-right-key-123' });
});
afterAll(async () => {
  await sandbox.close();
  await keyed.close();
});

const textTurn = (send: (e: never) => void, text = 'Hello') => {
  send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } } as never);
  send({ type: 'response.create' } as never);
};

describe('beta protocol (OpenAI-Beta: realtime=v1)', () => {
  it('speaks the flat session and the beta event names', async () => {
    const { rt, log, opened } = openSdk(sandbox.openaiBaseURL, 'gpt-4o-realtime-preview', { 'OpenAI-Beta': 'realtime=v1' });
    await opened;
    const created = await log.waitFor('session.created');
    const session = created.session as Record<string, unknown>;
    expect(session.input_audio_format).toBe('pcm16');
    expect(session.modalities).toEqual(['text', 'audio']);
    expect(session).not.toHaveProperty('audio');
    rt.send({ type: 'session.update', session: { modalities: ['text', 'audio'], voice: 'alloy', output_audio_format: 'g711_ulaw' } } as never);
    const updated = await log.waitFor('session.updated');
    expect((updated.session as Record<string, unknown>).output_audio_format).toBe('g711_ulaw');
    textTurn((e) => rt.send(e));
    const done = await log.waitFor('response.done');
    const types = log.types();
    expect(types).toContain('conversation.item.created');
    expect(types).toContain('response.audio.delta');
    expect(types).toContain('response.audio_transcript.delta');
    expect(types).toContain('response.audio_transcript.done');
    expect(types).not.toContain('conversation.item.added');
    expect(types).not.toContain('conversation.item.done');
    expect(types).not.toContain('response.output_audio.delta');
    const part = await log.waitFor('response.content_part.added');
    expect((part.part as { type: string }).type).toBe('audio');
    const response = done.response as Record<string, unknown>;
    expect(response.modalities).toEqual(['text', 'audio']);
    expect(response.output_audio_format).toBe('g711_ulaw');
    expect((response.output as { content: { type: string }[] }[])[0]?.content[0]?.type).toBe('audio');
    rt.close();
  });

  it('accepts a beta session.update without session.type, while GA refuses it', async () => {
    const { rt, log, opened } = openSdk(sandbox.openaiBaseURL);
    await opened;
    rt.send({ type: 'session.update', event_id: 'evt_client_1', session: { instructions: 'hi' } } as never);
    const error = await log.waitFor('error');
    expect(error.error).toMatchObject({ code: 'missing_required_parameter', param: 'session.type', event_id: 'evt_client_1' });
    rt.close();
  });
});

describe('Azure URL forms', () => {
  it('GA: /openai/v1/realtime?model=<deployment> with an api-key header', async () => {
    const raw = await openRaw(`${sandbox.wsURL}/openai/v1/realtime?model=my-realtime-deployment`, { 'api-key': 'azure-key' });
    const created = await raw.log.waitFor('session.created');
    expect((created.session as { type: string; model: string }).model).toBe('my-realtime-deployment');
    expect((created.session as { type: string }).type).toBe('realtime');
    raw.ws.close();
  });

  it('preview: the SDK AzureOpenAI client reaches /openai/realtime?api-version&deployment (beta protocol)', async () => {
    const { rt, log, url } = await openAzureSdk(sandbox.azureEndpoint, '2025-04-01-preview', 'my-deployment');
    expect(url).toContain('/openai/realtime?api-version=2025-04-01-preview&deployment=my-deployment');
    const created = await log.waitFor('session.created');
    expect((created.session as Record<string, unknown>).input_audio_format).toBe('pcm16');
    textTurn((e) => rt.send(e));
    await log.waitFor('response.done');
    expect(log.types()).toContain('response.audio.delta');
    rt.close();
  });

  it('the same classic URL with a GA api-version speaks GA', async () => {
    const { rt, log } = await openAzureSdk(sandbox.azureEndpoint, '2025-08-28', 'my-deployment');
    const created = await log.waitFor('session.created');
    expect((created.session as Record<string, unknown>).type).toBe('realtime');
    rt.close();
  });

  it('refuses a wrong Azure key at the upgrade with the Azure 401 body', async () => {
    const refused = await upgradeRefusal(`${keyed.wsURL}/openai/v1/realtime?model=dep`, { 'api-key': 'wrong' });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: '401' } });
  });
});

describe('auth', () => {
  it('answers a wrong OpenAI key as OpenAI does: the upgrade succeeds, then close 3000 with no event', async () => {
    const raw = await openRaw(`${keyed.wsURL}/v1/realtime?model=gpt-realtime`, { authorization: 'Bearer sk-wrong-key-999' });
    const closed = await raw.closed;
    expect(closed.code).toBe(3000);
    expect(closed.reason).toContain('invalid_api_key');
    expect(closed.reason).not.toContain('sk-wrong-key-999');
    expect(raw.log.types()).toEqual([]);
  });

  it('accepts the key in the openai-insecure-api-key subprotocol and selects "realtime"', async () => {
    const raw = await openRaw(`${keyed.wsURL}/v1/realtime?model=gpt-realtime`, {}, ['realtime', 'openai-insecure-api-key.sk-the-right-key-123']);
    expect(raw.ws.protocol).toBe('realtime');
    await raw.log.waitFor('session.created');
    raw.ws.close();
  });

  it('fault auth_event: accepts the upgrade, then an invalid_api_key error event and a close', async () => {
    const raw = await openRaw(`${sandbox.wsURL}/v1/realtime?model=gpt-realtime&fault=auth_event`);
    const error = await raw.log.waitFor('error');
    expect((error.error as { code: string }).code).toBe('invalid_api_key');
    const closed = await raw.closed;
    expect(closed.code).toBe(3000);
    expect(raw.log.types()).toEqual(['error']);
  });

  it('a model-less URL is a 400', async () => {
    const refused = await upgradeRefusal(`${sandbox.wsURL}/v1/realtime`, { authorization: 'Bearer sk-x-123456' });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { param: 'model' } });
  });
});

describe('transcription sessions (intent=transcription)', () => {
  it('creates a transcription session that transcribes and never responds', async () => {
    const raw = await openRaw(`${sandbox.wsURL}/v1/realtime?intent=transcription`, { authorization: 'Bearer sk-abc-123456', 'x-rxvoice-call': 'tx-call' });
    const created = await raw.log.waitFor('session.created');
    expect((created.session as { type: string }).type).toBe('transcription');
    raw.send({ type: 'session.update', session: { type: 'transcription', audio: { input: { transcription: { model: 'gpt-4o-transcribe' }, turn_detection: null } } } });
    await raw.log.waitFor('session.updated');
    raw.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(48 * 300).toString('base64') });
    raw.send({ type: 'input_audio_buffer.commit' });
    const completed = await raw.log.waitFor('conversation.item.input_audio_transcription.completed');
    expect(String(completed.transcript).length).toBeGreaterThan(0);
    raw.send({ type: 'response.create' });
    await raw.log.waitFor('error');
    expect(raw.log.types()).not.toContain('response.created');
    raw.ws.close();
  });
});

describe('semantic_vad and G.711 codecs', () => {
  it('accepts semantic_vad and echoes it in session.updated', async () => {
    const raw = await openRaw(`${sandbox.wsURL}/v1/realtime?model=gpt-realtime`);
    raw.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'high' } } } } });
    const updated = await raw.log.waitFor('session.updated');
    expect((updated.session as { audio: { input: { turn_detection: unknown } } }).audio.input.turn_detection).toEqual({
      type: 'semantic_vad',
      eagerness: 'high',
      create_response: true,
      interrupt_response: true,
    });
    raw.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'sometimes' } } } } });
    const error = await raw.log.waitFor('error');
    expect((error.error as { param: string }).param).toBe('session.audio.input.turn_detection.eagerness');
    raw.ws.close();
  });
});
