import OpenAI, { AuthenticationError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { AUTH, MULTIPART_TYPE, multipartBody, rawRequest, wavFile } from './helpers.js';

describe('provider-shaped errors', () => {
  let sandbox: Sandbox;
  const KEY = 'sk-proj-RIGHTkey0123456789abcdef';
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', apiKey: KEY });
  });
  afterAll(() => sandbox.close());

  const chat = (headers: Record<string, string>, body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })) =>
    rawRequest(`${sandbox.openaiBaseURL}/chat/completions`, { headers: { 'content-type': 'application/json', ...headers }, body });

  it('rejects a wrong OpenAI key with 401 invalid_api_key and never echoes the whole key', async () => {
    const wrong = 'sk-proj-WRONGkey9876543210zyxwvu';
    const res = await chat({ authorization: `Bearer ${wrong}` });
    expect(res.status).toBe(401);
    const body = JSON.parse(res.body);
    expect(body).toEqual({ error: { message: expect.stringContaining('Incorrect API key provided: sk-'), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    expect(res.body).not.toContain(wrong);
    expect(body.error.message).toContain('zyxwvu'.slice(-4));
  });

  it('rejects a missing key with 401 and the "didn\'t provide an API key" message', async () => {
    const res = await chat({});
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.message).toMatch(/didn't provide an API key/);
  });

  it('surfaces as AuthenticationError in the official SDK', async () => {
    const client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'sk-nope-000000000', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(AuthenticationError);
    const ok = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: KEY, maxRetries: 0 });
    const text = await ok.audio.transcriptions.create({ file: await toFile(wavFile(4000), 'a.wav'), model: 'whisper-1' });
    expect(text.text.length).toBeGreaterThan(0);
  });

  it('gives Azure its own 401 shape on Azure paths', async () => {
    const res = await rawRequest(`${sandbox.url}/openai/deployments/d/chat/completions?api-version=2024-10-21`, {
      headers: { 'content-type': 'application/json', 'api-key': 'bad-azure-key' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ error: { code: '401', message: expect.stringMatching(/^Access denied due to invalid subscription key/) } });
  });

  it('answers bad JSON with a 400 invalid_request_error', async () => {
    const res = await chat({ authorization: `Bearer ${KEY}` }, '{"model": "gpt-4o-mini", "messages": [');
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/could not parse the JSON body/);
  });

  it('answers missing messages and unknown chat models as OpenAI does', async () => {
    const noMessages = await chat({ authorization: `Bearer ${KEY}` }, JSON.stringify({ model: 'gpt-4o-mini' }));
    expect(noMessages.status).toBe(400);
    expect(JSON.parse(noMessages.body).error).toMatchObject({ param: 'messages', code: 'missing_required_parameter' });
    const unknown = await chat({ authorization: `Bearer ${KEY}` }, JSON.stringify({ model: 'llama-3', messages: [{ role: 'user', content: 'x' }] }));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe('model_not_found');
  });

  const upload = (body: Buffer, headers: Record<string, string> = {}) =>
    rawRequest(`${sandbox.openaiBaseURL}/audio/transcriptions`, { headers: { authorization: `Bearer ${KEY}`, 'content-type': MULTIPART_TYPE, ...headers }, body });

  it('answers a transcription without a file with 400 param=file', async () => {
    const res = await upload(multipartBody({ model: 'gpt-4o-transcribe' }, undefined));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ type: 'invalid_request_error', param: 'file' });
  });

  it('answers audio that is not audio with "Audio file might be corrupted or unsupported"', async () => {
    const res = await upload(multipartBody({ model: 'gpt-4o-transcribe' }, Buffer.from('this is certainly not a wav file at all'), 'notes.wav'));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ message: 'Audio file might be corrupted or unsupported', type: 'invalid_request_error' });
  });

  it('answers a WAV shorter than 0.1 s with audio_too_short, and an unknown model with 404', async () => {
    const short = await upload(multipartBody({ model: 'gpt-4o-transcribe' }, wavFile(800)));
    expect(short.status).toBe(400);
    expect(JSON.parse(short.body).error.code).toBe('audio_too_short');
    const unknown = await upload(multipartBody({ model: 'my-speech-model' }, wavFile(16000)));
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe('model_not_found');
  });

  it('rejects a non-multipart transcription request with 400', async () => {
    const res = await rawRequest(`${sandbox.openaiBaseURL}/audio/transcriptions`, {
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{"model":"whisper-1"}',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/expected multipart\/form-data/);
  });

  it('answers unknown routes with a provider-shaped 404', async () => {
    const openai = await rawRequest(`${sandbox.url}/v1/nothing/here`, { headers: AUTH, body: '{}' });
    expect(openai.status).toBe(404);
    expect(JSON.parse(openai.body).error).toMatchObject({ message: 'Invalid URL (POST /v1/nothing/here)', type: 'invalid_request_error' });
    const azure = await rawRequest(`${sandbox.url}/openai/deployments/d/embeddings?api-version=1`, { headers: { 'api-key': KEY }, body: '{}' });
    expect(azure.status).toBe(404);
    expect(JSON.parse(azure.body)).toEqual({ error: { code: '404', message: 'Resource not found' } });
  });
});
