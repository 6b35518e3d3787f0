import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, lastValueFrom, Observable, Subject, toArray, take, timer, map, concat } from 'rxjs';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MULAW_8K, type AudioFormat } from '../../src/audio/format.js';
import { pcm16ToFloat32 } from '../../src/audio/pcm.js';
import { resample } from '../../src/audio/resample.js';
import { RxVoiceError } from '../../src/errors.js';
import { AudioDecoder, createElevenLabsSynthesizer } from '../../src/providers/elevenlabs/index.js';
import type { SynthesisChunk, SynthesisRequest } from '../../src/providers/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { SileroModel } from '../../src/vad/silero.js';

const KEY = 'el-test-key-0123456789';

/** Share of 512-sample windows (16 kHz) in which real Silero hears speech. */
async function speechShare(chunks: SynthesisChunk[]): Promise<number> {
  const rate = chunks[0]!.sampleRate;
  const all = new Int16Array(chunks.reduce((n, c) => n + c.samples.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c.samples, at);
    at += c.samples.length;
  }
  const pcm = rate === 16000 ? all : resample(all, rate, 16000);
  const model = await SileroModel.load();
  let speech = 0;
  let windows = 0;
  for (let i = 0; i + 512 <= pcm.length; i += 512, windows++) if ((await model.process(pcm16ToFloat32(pcm.subarray(i, i + 512)))) > 0.5) speech++;
  await model.release();
  return windows === 0 ? 0 : speech / windows;
}

const durationMs = (chunks: SynthesisChunk[]) => chunks.reduce((ms, c) => ms + (c.samples.length * 1000) / c.sampleRate, 0);

const PCM16 = (sampleRate: 16000 | 24000): AudioFormat => ({ encoding: 'pcm16', sampleRate });
const request = (text: SynthesisRequest['text'], outputFormat: AudioFormat = PCM16(16000)): SynthesisRequest => ({
  text,
  voiceId: 'rxvoice-voice',
  outputFormat,
  language: 'en',
});

describe('AudioDecoder', () => {
  it('carries the odd byte of a PCM chunk into the next one', () => {
    const bytes = new Uint8Array(new Int16Array([1000, -2000, 300]).buffer);
    const decoder = new AudioDecoder(PCM16(24000));
    const a = decoder.push(bytes.subarray(0, 3));
    expect(decoder.hasCarry).toBe(true);
    const b = decoder.push(bytes.subarray(3, 5));
    const c = decoder.push(bytes.subarray(5));
    expect([...a, ...b, ...c]).toEqual([1000, -2000, 300]);
    expect(decoder.hasCarry).toBe(false);
    expect(decoder.sampleRate).toBe(24000);
  });

  it('decodes mu-law bytes one sample each at 8 kHz', () => {
    const decoder = new AudioDecoder(MULAW_8K);
    const out = decoder.push(new Uint8Array([0xff, 0x7f, 0x00, 0x80]));
    expect(out.length).toBe(4);
    expect(Math.abs(out[0]!)).toBeLessThan(10); // 0xff is (near) silence
    expect(out[2]!).toBeLessThan(-30000);
    expect(out[3]!).toBeGreaterThan(30000);
    expect(decoder.sampleRate).toBe(8000);
  });
});

// Also against the sandbox's cheap mode (speech served from memory, for load tests): the client must not
// be able to tell the difference.
describe.each([
  { mode: 'normal', cheap: false },
  { mode: 'cheap', cheap: true },
])('ElevenLabs synthesizer against the sandbox ($mode mode)', ({ cheap }) => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', apiKey: KEY, cheap });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  const synth = (extra: Partial<Parameters<typeof createElevenLabsSynthesizer>[0]> = {}) =>
    createElevenLabsSynthesizer({ endpoint: { baseURL: sandbox.elevenlabsBaseURL, apiKey: KEY }, retryBaseMs: 10, ...extra });

  it('REST streaming (official SDK) gives speech audio whose length grows with the text', async () => {
    const short = await lastValueFrom(synth().synthesize(request('Hello there.')).pipe(toArray()));
    const long = await lastValueFrom(synth().synthesize(request('Hello there. This is a much longer sentence, spoken by the sandbox.')).pipe(toArray()));
    expect(short.every((c) => c.sampleRate === 16000)).toBe(true);
    expect(durationMs(long)).toBeGreaterThan(durationMs(short) * 2);
    expect(await speechShare(long)).toBeGreaterThan(0.3);
    // with-timestamps (default): the characters come with times inside the audio they belong to
    const aligned = long.filter((c) => c.alignment);
    expect(aligned.flatMap((c) => c.alignment!.chars).join('')).toContain('much longer sentence');
    for (const c of aligned) {
      const chunkMs = (c.samples.length * 1000) / c.sampleRate;
      expect(Math.min(...c.alignment!.charStartMs)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...c.alignment!.charStartMs)).toBeLessThanOrEqual(chunkMs + 1);
    }
    const plain = await lastValueFrom(synth({ timestamps: false }).synthesize(request('Hello there.')).pipe(toArray()));
    expect(plain.some((c) => c.alignment)).toBe(false);
    expect(Math.abs(durationMs(plain) - durationMs(short))).toBeLessThan(50);
  });

  it('stream-input WebSocket: text pieces in, audio with alignment out, one socket per reply', async () => {
    const before = sandbox.stats.requests.tts_ws;
    const pieces = concat(
      timer(0).pipe(map(() => 'Hello there, my friend.')),
      timer(30).pipe(map(() => ' How are you today?')),
    );
    const chunks = await lastValueFrom(synth().synthesize(request(pieces, PCM16(24000))).pipe(toArray()));
    expect(sandbox.stats.requests.tts_ws - before).toBe(1);
    expect(chunks.every((c) => c.sampleRate === 24000)).toBe(true);
    const aligned = chunks.flatMap((c) => c.alignment?.chars ?? []).join('');
    expect(aligned.replace(/\s+/g, ' ')).toContain('How are you today?');
    expect(durationMs(chunks)).toBeGreaterThan(1000);
    expect(await speechShare(chunks)).toBeGreaterThan(0.3);
  });

  it('mu-law output (ulaw_8000) is decoded to PCM at 8 kHz, over both transports', async () => {
    const rest = await lastValueFrom(synth().synthesize(request('Telephone audio test.', MULAW_8K)).pipe(toArray()));
    const ws = await lastValueFrom(synth({ transport: 'websocket' }).synthesize(request('Telephone audio test.', MULAW_8K)).pipe(toArray()));
    for (const chunks of [rest, ws]) {
      expect(chunks.every((c) => c.sampleRate === 8000)).toBe(true);
      expect(await speechShare(chunks)).toBeGreaterThan(0.3);
    }
  });

  it('a wrong key is an auth error on both transports, without the key in the message', async () => {
    const bad = createElevenLabsSynthesizer({ endpoint: { baseURL: sandbox.elevenlabsBaseURL, apiKey: 'wrong-key-abcdef123' } });
    for (const text of ['Hello.', new Observable<string>((s) => (s.next('Hello.'), s.complete()))]) {
      const err = await lastValueFrom(bad.synthesize(request(text))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RxVoiceError);
      expect((err as RxVoiceError).code).toBe('auth');
      expect((err as RxVoiceError).message).not.toContain('wrong-key-abcdef123');
    }
  });

  it('retries a 429 before the first audio byte, then gives up with rate_limited', async () => {
    const faultsBefore = sandbox.stats.faults.length;
    sandbox.setScenario({ faults: [{ surface: 'tts', request: 1, fault: { kind: 'http_429', retryAfterS: 0 } }] });
    const chunks = await lastValueFrom(synth().synthesize(request('After a retry.')).pipe(toArray()));
    expect(durationMs(chunks)).toBeGreaterThan(300);
    expect(sandbox.stats.faults.slice(faultsBefore).map((f) => f.kind)).toEqual(['http_429']);
    sandbox.setScenario({ faults: [{ surface: 'tts', request: 1, count: 10, fault: { kind: 'http_429', retryAfterS: 0 } }] });
    const err = await lastValueFrom(synth({ maxRetries: 1 }).synthesize(request('Never.'))).catch((e: unknown) => e);
    expect((err as RxVoiceError).code).toBe('rate_limited');
    expect(sandbox.stats.faults.slice(faultsBefore).map((f) => f.kind)).toEqual(['http_429', 'http_429', 'http_429']);
    sandbox.setScenario({});
  });

  it('stream-input: a 503 at the upgrade is retried and the text given so far is resent', async () => {
    const faultsBefore = sandbox.stats.faults.length;
    sandbox.setScenario({ faults: [{ surface: 'tts_ws', request: 1, fault: { kind: 'http_503' } }] });
    const text = new Subject<string>();
    const chunks = lastValueFrom(synth().synthesize(request(text)).pipe(toArray()));
    text.next('Retry this sentence.');
    setTimeout(() => text.complete(), 30);
    const out = await chunks;
    expect(sandbox.stats.faults.slice(faultsBefore).map((f) => f.kind)).toEqual(['http_503']);
    expect(out.flatMap((c) => c.alignment?.chars ?? []).join('')).toContain('Retry this sentence.');
    sandbox.setScenario({});
  });

  it('a socket closed mid-response (1011) is an error', async () => {
    sandbox.setScenario({ faults: [{ surface: 'tts_ws', request: 1, count: 10, fault: { kind: 'ws_close', afterChunks: 1 } }] });
    const text = new Observable<string>((s) => (s.next('A sentence that is long enough to make several chunks of audio. And another one.'), s.complete()));
    const err = await lastValueFrom(synth().synthesize(request(text)).pipe(toArray())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RxVoiceError);
    expect(['provider_error', 'connection']).toContain((err as RxVoiceError).code);
    sandbox.setScenario({});
  });
});

describe('unsubscribing aborts the wire', () => {
  let server: Server;
  let closed: Promise<void>;
  let wss: WebSocketServer;
  let wsClosed: Promise<number>;
  beforeAll(async () => {
    let onClosed!: () => void;
    closed = new Promise((r) => (onClosed = r));
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'audio/pcm' });
      const tick = setInterval(() => res.write(Buffer.alloc(641, 1)), 20); // odd sizes on purpose
      res.on('close', () => {
        clearInterval(tick);
        onClosed();
      });
      req.resume();
    });
    let onWsClosed!: (code: number) => void;
    wsClosed = new Promise((r) => (onWsClosed = r));
    wss = new WebSocketServer({ server: undefined, noServer: true });
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', () => ws.send(JSON.stringify({ audio: Buffer.alloc(640, 2).toString('base64'), isFinal: null })));
        ws.on('close', (code) => onWsClosed(code));
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    wss.close();
    await new Promise((r) => server.close(r));
  });

  it('closes the HTTP response and the stream-input socket', async () => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const synth = createElevenLabsSynthesizer({ endpoint: { baseURL: base, apiKey: KEY }, timestamps: false });
    const first = await lastValueFrom(synth.synthesize(request('Endless.')).pipe(take(3), toArray()));
    expect(first.reduce((n, c) => n + c.samples.length, 0)).toBe(Math.floor((641 * 3) / 2));
    await closed;
    const text = new Subject<string>();
    const audio = firstValueFrom(synth.synthesize(request(text)));
    setTimeout(() => text.next('Hello there.'), 50);
    expect((await audio).samples.length).toBe(320);
    expect(await wsClosed).toBe(1000);
  });
});

describe('stream-input keep-alive', () => {
  it('an idle socket (text paused, e.g. by a tool call) gets {"text": " "} and ends on isFinal', async () => {
    const received: unknown[] = [];
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws, req) => {
      expect(req.headers['xi-api-key']).toBe(KEY);
      ws.on('message', (data) => {
        const message = JSON.parse(data.toString()) as { text: string };
        received.push(message);
        if (message.text === '') {
          ws.send(JSON.stringify({ audio: Buffer.alloc(321, 3).toString('base64'), alignment: { chars: ['H', 'i'], charStartTimesMs: [0, 5], charsDurationsMs: [5, 5] } }));
          ws.send(JSON.stringify({ isFinal: true }));
        }
      });
    });
    const port = (wss.address() as AddressInfo).port;
    const synth = createElevenLabsSynthesizer({ endpoint: { baseURL: `http://127.0.0.1:${port}`, apiKey: KEY }, keepaliveMs: 100 });
    const text = new Subject<string>();
    const out = lastValueFrom(synth.synthesize(request(text)).pipe(toArray()));
    setTimeout(() => text.next('Hi.'), 20);
    setTimeout(() => text.complete(), 600);
    const chunks = await out;
    wss.close();
    expect(received[0]).toEqual({ text: ' ' }); // init
    expect(received[1]).toEqual({ text: 'Hi. ', flush: true });
    const keepalives = received.slice(2, -1);
    expect(keepalives.length).toBeGreaterThanOrEqual(2);
    expect(keepalives.every((m) => JSON.stringify(m) === '{"text":" "}')).toBe(true);
    expect(received.at(-1)).toEqual({ text: '' });
    // 321 bytes: 160 samples now, the odd byte waits (and is dropped at the end); alignment read with either key spelling
    expect(chunks.map((c) => c.samples.length)).toEqual([160]);
    expect(chunks[0]!.alignment).toEqual({ chars: ['H', 'i'], charStartMs: [0, 5], charDurationMs: [5, 5] });
  });
});
