import { PCM16_16K } from '../../src/audio/format.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom, of, toArray } from 'rxjs';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElevenLabsSynthesizer } from '../../src/providers/elevenlabs/index.js';

/** A stand-in stream-input server that records the URL each socket asked for, then ends the stream. */
let urls: string[] = [];
const http = createServer();
const wss = new WebSocketServer({ server: http });
wss.on('connection', (socket, req) => {
  urls.push(req.url ?? '');
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { text?: string };
    if (message.text === '') socket.send(JSON.stringify({ isFinal: true }));
  });
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  wss.close();
  await new Promise((r) => http.close(r));
});

describe('ElevenLabs text normalisation (speakable: provider)', () => {
  it.each([
    [true, 'on'],
    [false, 'off'],
    [undefined, null],
  ])('normalizeText %s -> apply_text_normalization=%s on the stream-input URL', async (normalizeText, expected) => {
    urls = [];
    const synthesizer = createElevenLabsSynthesizer({ endpoint: { baseURL: base, apiKey: 'test-key' } });
    await lastValueFrom(
      synthesizer
        .synthesize({ text: of('It costs $5.'), voiceId: 'v1', outputFormat: PCM16_16K, ...(normalizeText === undefined ? {} : { normalizeText }) })
        .pipe(toArray()),
    );
    expect(urls).toHaveLength(1);
    expect(new URL(urls[0]!, base).searchParams.get('apply_text_normalization')).toBe(expected);
  });
});
