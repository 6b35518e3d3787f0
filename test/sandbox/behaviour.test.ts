import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LatencyProfile, PROFILES, type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { AUTH, MULTIPART_TYPE, captureSse, multipartParts, rawRequest, wavFile } from './helpers.js';

const slow: LatencyProfile = {
  ...PROFILES.instant,
  name: 'test-slow',
  transcribe: { afterUploadMs: 150 },
  chat: { firstTokenMs: 120, tokensPerSecond: 50 },
};

describe('latency profiles', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: slow, scenario: { defaultReply: 'one two three four five six' } });
  });
  afterAll(() => sandbox.close());

  it('publishes typical figures as data and instant as zero', () => {
    expect(PROFILES.instant.chat.firstTokenMs).toBe(0);
    expect(PROFILES.typical.transcribe.afterUploadMs).toBeGreaterThanOrEqual(300);
    expect(PROFILES.typical.chat.tokensPerSecond).toBeGreaterThan(50);
    expect(sandbox.profile.name).toBe('test-slow');
  });

  it('waits afterUploadMs between the end of the upload and the answer', async () => {
    const client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    await client.audio.transcriptions.create({ file: await toFile(wavFile(16000), 'a.wav'), model: 'gpt-4o-transcribe' });
    const stat = sandbox.stats.transcriptions.at(-1)!;
    expect(stat.respondedAt! - stat.endAt!).toBeGreaterThanOrEqual(145);
  });

  it('delays the first token and paces the rest at tokensPerSecond', async () => {
    const started = performance.now();
    const capture = await captureSse(`${sandbox.openaiBaseURL}/chat/completions`, AUTH, JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] }));
    expect(capture.times[0]! - started).toBeGreaterThanOrEqual(115);
    const content = capture.data.slice(1, -2); // after the role chunk, before finish + [DONE]
    expect(content.length).toBe(6);
    // 6 tokens at 50/s: at least 5 gaps of 20 ms between the first and the finish chunk.
    expect(capture.times.at(-2)! - capture.times[1]!).toBeGreaterThanOrEqual(95);
  });
});

describe('chat details', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: { defaultReply: 'Alpha beta gamma delta epsilon zeta eta theta.' } });
  });
  afterAll(() => sandbox.close());

  it('cuts the reply at max_completion_tokens with finish_reason "length"', async () => {
    const client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', max_completion_tokens: 3, messages: [{ role: 'user', content: 'x' }] });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.choices[0]?.message.content).toBe('Alpha beta gamma');
    expect(completion.usage?.completion_tokens).toBe(3);
  });

  it('keeps serving after a client aborts a stream half way', async () => {
    const client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] });
    let seen = 0;
    for await (const _chunk of stream) {
      seen += 1;
      if (seen === 2) stream.controller.abort();
    }
    expect(seen).toBe(2);
    const again = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    expect(again.choices[0]?.message.content).toBe('Alpha beta gamma delta epsilon zeta eta theta.');
  });

  it('drops a non-streamed answer on a reset fault and sends half a body on malformed', async () => {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    const headers = { ...AUTH, 'content-type': 'application/json' };
    await expect(rawRequest(`${sandbox.openaiBaseURL}/chat/completions`, { headers: { ...headers, 'x-rxvoice-fault': 'reset' }, body })).rejects.toThrow();
    const broken = await rawRequest(`${sandbox.openaiBaseURL}/chat/completions`, { headers: { ...headers, 'x-rxvoice-fault': 'malformed' }, body });
    expect(broken.status).toBe(200);
    expect(() => JSON.parse(broken.body)).toThrow();
  });

  it('lists models, answers GET / as the sandbox, and wants api-version on Azure classic paths', async () => {
    const client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain('gpt-4o-transcribe');
    const root = await rawRequest(`${sandbox.url}/`, { method: 'GET' });
    expect(JSON.parse(root.body)).toMatchObject({ sandbox: true, label: 'rxvoice-sandbox', profile: 'instant' });
    const noVersion = await rawRequest(`${sandbox.url}/openai/deployments/d/chat/completions`, { headers: { 'api-key': 'k', 'content-type': 'application/json' }, body: '{}' });
    expect(noVersion.status).toBe(400);
    expect(JSON.parse(noVersion.body).error.code).toBe('MissingApiVersionParameter');
  });

  it('adds logprobs to streamed transcription deltas when include[]=logprobs', async () => {
    const client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    const stream = await client.audio.transcriptions.create({ file: await toFile(wavFile(16000), 'a.wav'), model: 'gpt-4o-transcribe', stream: true, include: ['logprobs'] });
    const deltas = [];
    for await (const event of stream) if (event.type === 'transcript.text.delta') deltas.push(event);
    expect(deltas.length).toBeGreaterThan(0);
    for (const delta of deltas) expect(delta.logprobs?.[0]?.token).toBe(delta.delta);
  });

  it('answers CORS preflights and marks responses for browsers', async () => {
    const preflight = await rawRequest(`${sandbox.openaiBaseURL}/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toBe('authorization,content-type');
    const root = await rawRequest(`${sandbox.url}/`, { method: 'GET' });
    expect(root.headers['access-control-allow-origin']).toBe('*');
    expect(root.headers['x-request-id']).toMatch(/^req_/);
  });

  it('refuses uploads over 25 MB with 413 after reading them', async () => {
    const parts = multipartParts({ model: 'whisper-1' }, Buffer.concat([wavFile(0, 16000, true), Buffer.alloc(26_300_000)]));
    const res = await rawRequest(`${sandbox.openaiBaseURL}/audio/transcriptions`, {
      headers: { ...AUTH, 'content-type': MULTIPART_TYPE },
      body: Buffer.concat([parts.head, parts.file, parts.tail]),
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.message).toMatch(/^Maximum content size limit \(26214400\) exceeded \(\d+ bytes read\)$/);
  });

  it('answers unknown WebSocket upgrades with 404 and closes', async () => {
    const { WebSocket } = await import('ws');
    const status = await new Promise<number | string>((resolve) => {
      const ws = new WebSocket(`${sandbox.wsURL}/v1/not-a-socket`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', (err) => resolve(err.message));
    });
    expect(status).toBe(404);
  });

  it('close() ends open connections too', async () => {
    const other = await startSandbox({ profile: { ...PROFILES.instant, chat: { firstTokenMs: 5000, tokensPerSecond: 0 } } });
    const pending = captureSse(`${other.openaiBaseURL}/chat/completions`, AUTH, JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] }));
    await new Promise((r) => setTimeout(r, 50));
    await other.close();
    const capture = await pending;
    expect(capture.data).not.toContain('[DONE]');
  });
});
