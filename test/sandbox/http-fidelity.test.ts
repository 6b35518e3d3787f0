import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, parseFault, startSandbox } from '../../src/sandbox/index.js';
import { AUTH, MULTIPART_TYPE, captureSse, multipartBody, rawRequest, wavFile } from './helpers.js';

/** HTTP shapes the sandbox must share with the real APIs (sources cited in src/sandbox/http/*, faults.ts). */
const scenario = {
  utterances: [{ transcript: "Book a table for two, please." }, { transcript: 'Streaming ends quietly.' }],
  defaultReply: 'Sure, a table for two.',
};

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant', scenario });
});
afterAll(() => sandbox.close());

const chatBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });

describe('429s', () => {
  const RATE_LIMIT_HEADERS = [
    'x-ratelimit-limit-requests',
    'x-ratelimit-limit-tokens',
    'x-ratelimit-remaining-requests',
    'x-ratelimit-remaining-tokens',
    'x-ratelimit-reset-requests',
    'x-ratelimit-reset-tokens',
  ];

  it('carry the full x-ratelimit-* set, with reset durations as OpenAI writes them', async () => {
    const res = await rawRequest(`${sandbox.openaiBaseURL}/chat/completions`, {
      headers: { ...AUTH, 'content-type': 'application/json', 'x-rxvoice-fault': 'http_429;retryAfterS=2' },
      body: chatBody,
    });
    expect(res.status).toBe(429);
    for (const name of RATE_LIMIT_HEADERS) expect(res.headers[name], name).toBeDefined();
    expect(res.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(res.headers['x-ratelimit-reset-requests']).toBe('2s');
    expect(res.headers['x-ratelimit-reset-tokens']).toBe('200ms');
    expect(res.headers['retry-after']).toBe('2');
  });

  it('sometimes come with no retry-after at all (retryAfterS=none)', async () => {
    expect(parseFault('http_429;retryAfterS=none')).toEqual({ kind: 'http_429', retryAfterS: null });
    const res = await rawRequest(`${sandbox.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
      headers: { 'api-key': 'k', 'content-type': 'application/json', 'x-rxvoice-fault': 'http_429;retryAfterS=none' },
      body: chatBody,
    });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.headers['retry-after-ms']).toBeUndefined();
    for (const name of RATE_LIMIT_HEADERS) expect(res.headers[name], name).toBeDefined();
  });
});

describe('Azure chat streams', () => {
  it('send the content-filter annotation after finish_reason, then usage, then [DONE]', async () => {
    const capture = await captureSse(`${sandbox.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, { 'api-key': 'k' }, chatBody);
    expect(capture.data.at(-1)).toBe('[DONE]');
    const chunks = capture.data.slice(0, -1).map((d) => JSON.parse(d) as { choices: Record<string, unknown>[]; usage?: unknown; prompt_filter_results?: unknown });
    expect(chunks[0]).toMatchObject({ choices: [], prompt_filter_results: [expect.any(Object)] });
    const finish = chunks.findIndex((c) => typeof c.choices[0]?.finish_reason === 'string');
    const annotation = chunks[finish + 1]!;
    expect(annotation).toMatchObject({ id: '', object: '', model: '' });
    expect(annotation.choices[0]).toMatchObject({ index: 0, finish_reason: null, content_filter_results: { hate: { filtered: false } }, content_filter_offsets: expect.any(Object) });
    expect(annotation.choices[0]).not.toHaveProperty('delta');
    expect(chunks[finish + 2]).toMatchObject({ choices: [], usage: expect.any(Object) });
  });

  it('still parse in the official AzureOpenAI SDK', async () => {
    const azure = new AzureOpenAI({ endpoint: sandbox.azureEndpoint, apiKey: 'k', apiVersion: '2024-10-21', deployment: 'chat', maxRetries: 0 });
    const stream = await azure.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Sure, a table for two.');
  });
});

describe('transcriptions', () => {
  const client = (): OpenAI => new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'sk-test-key-123456', maxRetries: 0 });

  it('verbose_json with word granularity returns words (and segments only when asked)', async () => {
    const opts = { headers: { 'x-rxvoice-call': 'words-call' } };
    const words = await client().audio.transcriptions.create(
      { file: await toFile(wavFile(32000), 'a.wav'), model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['word'] },
      opts,
    );
    expect(words.words?.map((w) => w.word)).toEqual(['Book', 'a', 'table', 'for', 'two', 'please']);
    expect(words.segments).toBeUndefined();
    const times = words.words!.flatMap((w) => [w.start, w.end]);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(words.words!.at(-1)!.end).toBeCloseTo(2, 1);
    const both = await client().audio.transcriptions.create(
      { file: await toFile(wavFile(32000), 'a.wav'), model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'] },
      opts,
    );
    expect(both.words?.length).toBeGreaterThan(0);
    expect(both.segments).toHaveLength(1);
  });

  it('the SSE stream (stream=true) ends after transcript.text.done, without [DONE]', async () => {
    const body = multipartBody({ model: 'gpt-4o-transcribe', stream: 'true' }, wavFile(16000));
    const res = await rawRequest(`${sandbox.openaiBaseURL}/audio/transcriptions`, {
      headers: { ...AUTH, 'content-type': MULTIPART_TYPE, 'x-rxvoice-call': 'sse-call' },
      body,
    });
    const data = res.body.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
    expect(data).not.toContain('[DONE]');
    expect(JSON.parse(data.at(-1)!)).toMatchObject({ type: 'transcript.text.done', text: 'Book a table for two, please.' });
  });
});
