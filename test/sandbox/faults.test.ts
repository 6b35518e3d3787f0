import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, MALFORMED_SSE_LINE, parseFault, startSandbox } from '../../src/sandbox/index.js';
import { AUTH, MULTIPART_TYPE, captureSse, multipartBody, multipartParts, rawRequest, wavFile } from './helpers.js';

const chatBody = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  messages: [{ role: 'user', content: 'Tell me something long enough to stream.' }],
});
const scenario = {
  utterances: [{ transcript: 'First utterance.' }, { transcript: 'Second utterance.' }],
  defaultReply: 'One two three four five six seven eight nine ten eleven twelve.',
};

describe('fault injection per request (x-rxvoice-fault header / fault query)', () => {
  let sandbox: Sandbox;
  let chatURL: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario });
    chatURL = `${sandbox.openaiBaseURL}/chat/completions`;
  });
  afterAll(() => sandbox.close());

  it('parses the fault header syntax', () => {
    expect(parseFault('http_429;retryAfterS=3')).toEqual({ kind: 'http_429', retryAfterS: 3 });
    expect(parseFault('stall; stallMs=250; afterChunks=1')).toEqual({ kind: 'stall', stallMs: 250, afterChunks: 1 });
    expect(parseFault('nonsense')).toBeUndefined();
    expect(parseFault('')).toBeUndefined();
  });

  it('http_429 answers 429 with retry-after headers and the rate-limit body', async () => {
    const res = await rawRequest(chatURL, { headers: { ...AUTH, 'content-type': 'application/json', 'x-rxvoice-fault': 'http_429;retryAfterS=2' }, body: chatBody });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.headers['retry-after-ms']).toBe('2000');
    expect(res.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'rate_limit_exceeded', param: null });
  });

  it('http_500 and http_503 answer server errors; the fault query parameter works too', async () => {
    const r500 = await rawRequest(`${chatURL}?fault=http_500`, { headers: { ...AUTH, 'content-type': 'application/json' }, body: chatBody });
    expect(r500.status).toBe(500);
    expect(JSON.parse(r500.body).error.type).toBe('server_error');
    const r503 = await rawRequest(chatURL, { headers: { ...AUTH, 'content-type': 'application/json', 'x-rxvoice-fault': 'http_503' }, body: chatBody });
    expect(r503.status).toBe(503);
    expect(JSON.parse(r503.body).error.message).toMatch(/overloaded/);
  });

  it('auth answers the vendor 401 even with a good key', async () => {
    const res = await rawRequest(chatURL, { headers: { ...AUTH, 'content-type': 'application/json', 'x-rxvoice-fault': 'auth' }, body: chatBody });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).error.code).toBe('invalid_api_key');
  });

  it('reset drops the connection after exactly afterChunks SSE events, without [DONE]', async () => {
    const capture = await captureSse(chatURL, { ...AUTH, 'x-rxvoice-fault': 'reset;afterChunks=3' }, chatBody);
    expect(capture.status).toBe(200);
    expect(capture.data).toHaveLength(3);
    expect(capture.data).not.toContain('[DONE]');
    expect(capture.error).toBeDefined();
  });

  it('stall pauses the stream for stallMs after afterChunks events, then completes', async () => {
    const capture = await captureSse(chatURL, { ...AUTH, 'x-rxvoice-fault': 'stall;stallMs=300;afterChunks=2' }, chatBody);
    expect(capture.data.at(-1)).toBe('[DONE]');
    const gaps = capture.times.slice(1).map((t, i) => t - (capture.times[i] ?? 0));
    const longest = gaps.indexOf(Math.max(...gaps));
    expect(longest).toBe(1); // between event 2 and event 3
    expect(gaps[1]).toBeGreaterThanOrEqual(280);
  });

  it('malformed puts one broken data line into an otherwise complete stream', async () => {
    const capture = await captureSse(chatURL, { ...AUTH, 'x-rxvoice-fault': 'malformed;afterChunks=1' }, chatBody);
    const broken = capture.data.filter((d) => {
      if (d === '[DONE]') return false;
      try {
        JSON.parse(d);
        return false;
      } catch {
        return true;
      }
    });
    expect(broken).toEqual([MALFORMED_SSE_LINE.slice(6).trimEnd()]);
    expect(capture.data.indexOf(broken[0]!)).toBe(1);
    expect(capture.data.at(-1)).toBe('[DONE]');
  });

  const transcribe = (headers: Record<string, string>) =>
    rawRequest(`${sandbox.openaiBaseURL}/audio/transcriptions`, {
      headers: { ...AUTH, 'content-type': MULTIPART_TYPE, 'x-rxvoice-call': 'fault-call', ...headers },
      body: multipartBody({ model: 'gpt-4o-transcribe' }, wavFile(16000)),
    });

  it('a faulted transcription does not consume the scenario utterance', async () => {
    const failed = await transcribe({ 'x-rxvoice-fault': 'http_503' });
    expect(failed.status).toBe(503);
    const stalled = await transcribe({ 'x-rxvoice-fault': 'stall;stallMs=10' });
    expect(JSON.parse(stalled.body).text).toBe('First utterance.'); // a stalled answer shows it but does not use it up
    const ok = await transcribe({});
    expect(JSON.parse(ok.body).text).toBe('First utterance.');
    const next = await transcribe({});
    expect(JSON.parse(next.body).text).toBe('Second utterance.');
  });

  it('reset mid-upload drops the connection while the client is still sending', async () => {
    const audio = wavFile(16000);
    const parts = multipartParts({ model: 'gpt-4o-transcribe' }, audio);
    const outcome = await new Promise<string>((resolve) => {
      const req = request(`${sandbox.openaiBaseURL}/audio/transcriptions`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': MULTIPART_TYPE, 'transfer-encoding': 'chunked', 'x-rxvoice-call': 'reset-call', 'x-rxvoice-fault': 'reset;afterChunks=2' },
      });
      req.on('response', (res) => resolve(`response ${res.statusCode}`));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      req.write(parts.head);
      setTimeout(() => req.write(audio.subarray(0, 8000)), 30);
      setTimeout(() => req.write(audio.subarray(8000, 16000)), 150);
      setTimeout(() => req.end(Buffer.concat([audio.subarray(16000), parts.tail])), 300);
    });
    expect(outcome).toMatch(/ECONNRESET|EPIPE|socket hang up/);
    const stat = sandbox.stats.transcriptions.find((s) => s.callKey === 'reset-call');
    expect(stat?.fault).toBe('reset');
    expect(stat?.endAt).toBeUndefined();
    const retry = await transcribe({ 'x-rxvoice-call': 'reset-call' });
    expect(JSON.parse(retry.body).text).toBe('First utterance.');
  });

  it('reset on a body shorter than afterChunks drops the connection at the end of the upload, unanswered', async () => {
    const res = await new Promise<{ body: string; error?: string }>((resolve) => {
      const req = request(`${sandbox.openaiBaseURL}/audio/transcriptions`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': MULTIPART_TYPE, 'x-rxvoice-fault': 'reset;afterChunks=50' },
      });
      let body = '';
      req.on('response', (r) => {
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => resolve({ body }));
        r.on('error', (e) => resolve({ body, error: e.message }));
      });
      req.on('error', (e) => resolve({ body, error: e.message }));
      req.end(multipartBody({ model: 'gpt-4o-transcribe', stream: 'true' }, wavFile(16000)));
    });
    expect(res.body).toBe('');
    expect(res.error).toBeDefined();
  });

  it('streaming transcription carries stream faults in its SSE (malformed after the first delta)', async () => {
    const res = await rawRequest(`${sandbox.openaiBaseURL}/audio/transcriptions`, {
      headers: { ...AUTH, 'content-type': MULTIPART_TYPE, 'x-rxvoice-call': 'sse-fault', 'x-rxvoice-fault': 'malformed;afterChunks=1' },
      body: multipartBody({ model: 'gpt-4o-transcribe', stream: 'true' }, wavFile(16000)),
    });
    const lines = res.body.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
    expect(JSON.parse(lines[0] ?? '').type).toBe('transcript.text.delta');
    expect(() => JSON.parse(lines[1] ?? '')).toThrow();
    // The transcription stream ends after its done event: no [DONE] line, as the real one.
    expect(JSON.parse(lines.at(-1) ?? '')).toMatchObject({ type: 'transcript.text.done', text: 'First utterance.' });
    expect(lines).not.toContain('[DONE]');
  });
});

describe('fault rules from the scenario', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: { ...scenario, faults: [{ surface: 'chat', request: 2, count: 2, fault: { kind: 'http_429', retryAfterS: 1 } }] },
    });
  });
  afterAll(() => sandbox.close());

  it('applies a rule to the n-th request of its surface for `count` requests', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const res = await rawRequest(`${sandbox.openaiBaseURL}/chat/completions`, { headers: { ...AUTH, 'content-type': 'application/json' }, body: chatBody });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 429, 429, 200]);
    expect(sandbox.stats.faults.map((f) => [f.request, f.kind, f.source])).toEqual([
      [2, 'http_429', 'scenario'],
      [3, 'http_429', 'scenario'],
    ]);
    expect(sandbox.stats.requests.chat).toBe(4);
  });

  it('setScenario restarts the counters', async () => {
    sandbox.setScenario({ faults: [{ surface: 'chat', request: 1, fault: { kind: 'http_500' } }] });
    const res = await rawRequest(`${sandbox.openaiBaseURL}/chat/completions`, { headers: { ...AUTH, 'content-type': 'application/json' }, body: chatBody });
    expect(res.status).toBe(500);
  });
});
