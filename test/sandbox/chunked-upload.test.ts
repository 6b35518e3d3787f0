import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { MULTIPART_TYPE, multipartParts, wavFile } from './helpers.js';

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('transcription upload with chunked transfer encoding', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: { utterances: [{ transcript: 'Streamed while speaking.' }] } });
  });
  afterAll(() => sandbox.close());

  it('reads the body while it is still being uploaded and answers right after it ends', async () => {
    const audio = wavFile(16000, 16000, true); // 1 s, header written before the length was known
    const parts = multipartParts({ model: 'gpt-4o-transcribe' }, audio);
    const pieces = [parts.head, ...Array.from({ length: 5 }, (_, i) => audio.subarray((i * audio.length) / 5, ((i + 1) * audio.length) / 5))];

    let lastWriteAt = 0;
    let responseAt = 0;
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${sandbox.openaiBaseURL}/audio/transcriptions`,
        { method: 'POST', headers: { authorization: 'Bearer sk-test-key-123456', 'content-type': MULTIPART_TYPE, 'transfer-encoding': 'chunked' } },
        (res) => {
          responseAt = performance.now();
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      void (async () => {
        for (const piece of pieces) {
          req.write(piece);
          await pause(60);
        }
        lastWriteAt = performance.now();
        req.end(parts.tail);
      })();
    });

    expect(JSON.parse(body).text).toBe('Streamed while speaking.');
    const stat = sandbox.stats.transcriptions.at(-1);
    expect(stat?.status).toBe(200);
    // Same process, same clock: the server saw the first bytes long before the client finished sending.
    expect(stat?.firstByteAt).toBeLessThan(lastWriteAt - 200);
    expect(stat?.endAt).toBeGreaterThanOrEqual(lastWriteAt);
    expect(stat?.respondedAt).toBeGreaterThanOrEqual(stat?.endAt ?? Infinity);
    expect(responseAt).toBeGreaterThan(lastWriteAt);
    expect(stat?.audioBytes).toBe(32000);
    expect(stat?.bytesReceived).toBe(parts.head.length + audio.length + parts.tail.length);
  });
});
