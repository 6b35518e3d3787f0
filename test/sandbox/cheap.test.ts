import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheapCache } from '../../src/sandbox/cheap.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { MULTIPART_TYPE, multipartBody, wavFile } from './helpers.js';

const KEY = 'el-test-key-0123456789';
const AUTH = { authorization: `Bearer ${KEY}` };
const SCENARIO = { utterances: [{ transcript: 'Book a table for two.' }], replies: [{ match: 'table', reply: 'Sure, for what time?' }] };

let normal: Sandbox;
let cheap: Sandbox;
beforeAll(async () => {
  [normal, cheap] = await Promise.all([
    startSandbox({ profile: 'instant', apiKey: KEY, scenario: SCENARIO }),
    startSandbox({ profile: 'instant', apiKey: KEY, scenario: SCENARIO, cheap: true }),
  ]);
});
afterAll(async () => {
  await Promise.all([normal.close(), cheap.close()]);
});

async function speech(sandbox: Sandbox, format: string, timestamps: boolean): Promise<{ status: number; type: string | null; body: Buffer }> {
  const path = `/v1/text-to-speech/rxvoice-voice/stream${timestamps ? '/with-timestamps' : ''}?output_format=${format}`;
  const res = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'xi-api-key': KEY },
    body: JSON.stringify({ text: 'Your table for two is booked for eight.', model_id: 'eleven_flash_v2_5' }),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

describe('sandbox cheap mode', () => {
  it.each([
    ['pcm_16000', false],
    ['pcm_24000', true],
    ['ulaw_8000', true],
  ] as const)('serves the same ElevenLabs bytes as a normal sandbox, first and repeated (%s, timestamps %s)', async (format, timestamps) => {
    const expected = await speech(normal, format, timestamps);
    expect(expected.status).toBe(200);
    expect(expected.body.length).toBeGreaterThan(1000);
    const first = await speech(cheap, format, timestamps);
    const again = await speech(cheap, format, timestamps);
    for (const got of [first, again]) {
      expect(got.status).toBe(200);
      expect(got.type).toBe(expected.type);
      expect(got.body.equals(expected.body)).toBe(true);
    }
  });

  it('answers transcriptions and chat as a normal sandbox does', async () => {
    const transcribe = (s: Sandbox) =>
      fetch(`${s.url}/v1/audio/transcriptions`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': MULTIPART_TYPE },
        body: new Uint8Array(multipartBody({ model: 'gpt-4o-transcribe' }, wavFile(16000))),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { text: string } }));
    const chat = (s: Sandbox) =>
      fetch(`${s.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Book a table for two.' }] }),
      }).then(async (r) => ({ status: r.status, text: ((await r.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content }));
    const [a, b] = await Promise.all([transcribe(normal), transcribe(cheap)]);
    expect(b).toEqual(a);
    expect(a.body.text).toBe('Book a table for two.');
    const [c, d] = await Promise.all([chat(normal), chat(cheap)]);
    expect(d).toEqual(c);
    expect(c.text).toBe('Sure, for what time?');
  });
});

describe('CheapCache', () => {
  it('computes once per key, keeps at most its limit (least recently used out) and forgets failures', async () => {
    const cache = new CheapCache<number>(2);
    let calls = 0;
    const compute = (v: number) => () => (calls++, Promise.resolve(v));
    expect(await Promise.all([cache.get('a', compute(1)), cache.get('a', compute(9))])).toEqual([1, 1]);
    expect(calls).toBe(1);
    await cache.get('b', compute(2));
    await cache.get('a', compute(9)); // a is now the most recently used
    await cache.get('c', compute(3)); // drops b
    expect(cache.size).toBe(2);
    expect(await cache.get('a', compute(9))).toBe(1);
    expect(await cache.get('b', compute(4))).toBe(4);
    await expect(cache.get('x', () => Promise.reject(new Error('espeak failed')))).rejects.toThrow('espeak failed');
    await Promise.resolve();
    expect(await cache.get('x', compute(5))).toBe(5);
  });
});
