import { afterEach, describe, expect, it } from 'vitest';
import { Observable, tap } from 'rxjs';
import type { PipelineEvent } from '../../src/events.js';
import type { PlaybackClock } from '../../src/playback.js';
import { serve } from '../../src/server/index.js';
import type { PipelineChoice, RunningServer } from '../../src/server/types.js';
import { muLawDecode, muLawEncode } from '../../src/server/codec.js';
import { echoPipeline, toneBursts } from './support/fake-pipeline.js';
import { pcmBytes, sendAudio, TestClient } from './support/client.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
});

const wsUrl = (s: RunningServer, path = '/v1/stream') => `${s.url.replace('http', 'ws')}${path}`;

describe('rxvoice protocol v1 (fake pipeline)', () => {
  it('runs a call: start, PCM16 audio in, events in order, reply audio in the client format, stop', async () => {
    const choices: PipelineChoice[] = [];
    server = await serve({
      pipelineFactory: (choice) => {
        choices.push(choice);
        return echoPipeline(choice, { replyMs: 1000 });
      },
      staticDir: false,
    });
    const client = await TestClient.open(wsUrl(server));
    client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'realtime', voice: 'alice' });
    await client.waitFor((m) => m.type === 'started');
    const audio = toneBursts(16000, [{ toneMs: 600, silenceMs: 600 }]);
    await sendAudio(client, pcmBytes(audio), 640);
    await client.waitFor((m) => m.type === 'assistant.done');
    client.send({ type: 'stop' });
    const closed = await client.closed;

    expect(closed.code).toBe(1000);
    expect(choices).toHaveLength(1);
    expect(choices[0]).toMatchObject({ pipeline: 'realtime', voice: 'alice', transport: 'rxvoice', outputFormat: { encoding: 'pcm16', sampleRate: 16000 } });
    const order = client.types().filter((t) => ['started', 'speech.started', 'speech.ended', 'transcript', 'assistant.text', 'audio.start', 'assistant.done', 'ended'].includes(t));
    expect(order).toEqual(['started', 'speech.started', 'speech.ended', 'transcript', 'assistant.text', 'assistant.done', 'audio.start', 'ended']);
    // 1 s of 24 kHz reply audio, resampled to the client's 16 kHz PCM16.
    expect(client.received.audioBytes).toBeGreaterThan(31_000);
    expect(client.received.audioBytes).toBeLessThanOrEqual(32_000);
    const audioStart = client.received.all.findIndex((m) => 'json' in m && m.json.type === 'audio.start');
    const firstBinary = client.received.all.findIndex((m) => 'binary' in m);
    expect(audioStart).toBeGreaterThanOrEqual(0);
    expect(firstBinary).toBeGreaterThan(audioStart);
    expect(client.received.json.find((m) => m.type === 'audio.start')).toMatchObject({ turnId: 'turn-1' });
    // Raw audio frames never leak as JSON.
    expect(client.types()).not.toContain('audio.in');
    expect(client.types()).not.toContain('assistant.audio');
  });

  it('speaks mu-law 8 kHz both ways', async () => {
    server = await serve({ pipelineFactory: (c) => echoPipeline(c, { replyMs: 500 }), staticDir: false });
    const client = await TestClient.open(wsUrl(server));
    client.send({ type: 'start', version: 1, format: { encoding: 'mulaw', sampleRate: 8000 }, pipeline: 'cascaded' });
    await sendAudio(client, Buffer.from(muLawEncode(toneBursts(8000, [{ toneMs: 500, silenceMs: 600 }]))), 160);
    await client.waitFor((m) => m.type === 'assistant.done');
    client.send({ type: 'stop' });
    await client.closed;
    expect(client.received.json.find((m) => m.type === 'transcript')).toMatchObject({ turnId: 'turn-1', final: true });
    // 500 ms at 8 kHz, one byte per sample, and the tone survives the round trip (not silence).
    expect(client.received.audioBytes).toBeGreaterThan(3900);
    expect(client.received.audioBytes).toBeLessThanOrEqual(4000);
    const decoded = muLawDecode(Buffer.concat(client.received.audio));
    expect(Math.max(...decoded.slice(0, 2000))).toBeGreaterThan(5000);
  });

  it('refuses a bad start with a typed error and close 1008, and bad messages mid-call without closing', async () => {
    server = await serve({ pipelineFactory: (c) => echoPipeline(c), allow: { pipelines: ['cascaded'] }, staticDir: false });
    const refused = await TestClient.open(wsUrl(server));
    refused.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'realtime' });
    expect((await refused.closed).code).toBe(1008);
    expect(refused.received.json[0]).toMatchObject({ type: 'error', code: 'bad_message', stage: 'transport' });
    expect(String(refused.received.json[0]!.message)).toContain('not allowed');

    const wrongRate = await TestClient.open(wsUrl(server));
    wrongRate.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 11025 } });
    expect((await wrongRate.closed).code).toBe(1008);
    expect(String(wrongRate.received.json[0]!.message)).toContain('sample rate');

    const audioFirst = await TestClient.open(wsUrl(server));
    audioFirst.send(Buffer.alloc(640));
    expect((await audioFirst.closed).code).toBe(1008);

    const ok = await TestClient.open(wsUrl(server));
    ok.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 } });
    await ok.waitFor((m) => m.type === 'started');
    ok.send('not json');
    ok.send({ type: 'dance' });
    ok.send({ type: 'playback', turnId: 3 });
    const errors = await new Promise<Record<string, unknown>[]>((resolve) => {
      const check = () => {
        const found = ok.received.json.filter((m) => m.type === 'error');
        if (found.length >= 3) resolve(found);
        else setTimeout(check, 10);
      };
      check();
    });
    expect(errors.map((e) => e.code)).toEqual(['bad_message', 'bad_message', 'bad_message']);
    expect(ok.ws.readyState).toBe(ok.ws.OPEN);
    ok.send({ type: 'stop' });
    expect((await ok.closed).code).toBe(1000);
  });

  it('feeds playback reports into the session PlaybackClock', async () => {
    let clock: PlaybackClock | undefined;
    server = await serve({
      pipelineFactory: (c) => {
        clock = c.playback;
        return echoPipeline(c);
      },
      staticDir: false,
    });
    const client = await TestClient.open(wsUrl(server));
    client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 24000 } });
    await client.waitFor((m) => m.type === 'started');
    client.send({ type: 'playback', turnId: 'turn-7', playedMs: 320 });
    client.send({ type: 'playback', turnId: 'turn-7', playedMs: 180 }); // late report never moves it back
    // `done`: the client played all it got; the clock counts the pipeline's own total (here 1000.5 ms).
    clock!.emitted('turn-8', 1000.5);
    client.send({ type: 'playback', turnId: 'turn-8', playedMs: 998, done: true });
    client.send({ type: 'playback', turnId: 'turn-9', playedMs: 5, done: 'yes' });
    await client.waitFor((m) => m.type === 'error');
    client.send({ type: 'stop' });
    await client.closed;
    expect(clock?.playedMs('turn-7')).toBe(320);
    expect(clock?.playedMs('turn-8')).toBe(1000.5);
    expect(clock?.isPlaying('turn-8')).toBe(false);
    expect(clock?.playedMs('turn-9')).toBe(0);
  });

  it('uses the server system prompt unless clients may bring theirs', async () => {
    const prompts: (string | undefined)[] = [];
    const factory = (c: PipelineChoice) => {
      prompts.push(c.systemPrompt);
      return echoPipeline(c);
    };
    server = await serve({ pipelineFactory: factory, systemPrompt: 'server prompt', allow: { systemPrompt: true }, staticDir: false });
    for (const systemPrompt of [undefined, 'client prompt']) {
      const client = await TestClient.open(wsUrl(server));
      client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, ...(systemPrompt ? { systemPrompt } : {}) });
      await client.waitFor((m) => m.type === 'started');
      client.send({ type: 'stop' });
      await client.closed;
    }
    expect(prompts).toEqual(['server prompt', 'client prompt']);
  });

  /** Sends start, 0.5 s of audio in odd-sized pieces and stop without waiting; returns the samples the pipeline got. */
  async function samplesThroughStart(corked: boolean): Promise<number> {
    let samples = 0;
    server = await serve({
      pipelineFactory: (c) => (source) => source.pipe(tap((f) => (samples += f.samples.length)), echoPipeline(c)),
      staticDir: false,
    });
    const client = await TestClient.open(wsUrl(server));
    // Corked, the messages reach the server in one read: ws emits them in one tick, before the call's
    // asynchronous set-up has finished (what a loaded machine does by chance).
    const socket = (client.ws as unknown as { _socket: import('node:net').Socket })._socket;
    if (corked) socket.cork();
    client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 } });
    await sendAudio(client, Buffer.alloc(16000), 641); // odd-sized pieces, no wait for `started`
    client.send({ type: 'stop' });
    if (corked) socket.uncork();
    await client.closed;
    return samples;
  }

  it('keeps audio sent right behind start, before the pipeline is up', async () => {
    expect(await samplesThroughStart(false)).toBe(8000);
  });

  it('keeps every byte when start, audio and stop arrive in one TCP segment (the stop waits for the call to start)', async () => {
    expect(await samplesThroughStart(true)).toBe(8000);
  });

  it('scrubs secrets from error events a pipeline emits, whoever built them', async () => {
    server = await serve({
      pipelineFactory: () => (source) =>
        new Observable<PipelineEvent>((subscriber) => {
          subscriber.next({ type: 'error', code: 'auth', stage: 'llm', message: 'refused key sk-proj-abcdef123456 (Bearer abcdef123456789)', retryable: false });
          return source.subscribe({ complete: () => subscriber.complete() });
        }),
      staticDir: false,
    });
    const client = await TestClient.open(wsUrl(server));
    client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 } });
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error.message).toBe('refused key [redacted] (Bearer [redacted])');
    client.send({ type: 'stop' });
    await client.closed;
  });

  it('tears the pipeline down when the client vanishes mid-call', async () => {
    let tornDown = 0;
    server = await serve({
      pipelineFactory: () => (source) =>
        new Observable<PipelineEvent>((subscriber) => {
          const sub = source.subscribe({ next: (frame) => subscriber.next({ type: 'audio.in', frame }) });
          return () => {
            tornDown++;
            sub.unsubscribe();
          };
        }),
      staticDir: false,
    });
    const client = await TestClient.open(wsUrl(server));
    client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 } });
    await client.waitFor((m) => m.type === 'started');
    client.send(Buffer.alloc(640));
    client.ws.terminate(); // no close handshake, no stop
    for (let i = 0; i < 100 && (tornDown === 0 || server.sessions().length > 0); i++) await new Promise((r) => setTimeout(r, 10));
    expect(tornDown).toBe(1);
    expect(server.sessions()).toEqual([]);
  });

  it('turns a pipeline that throws into an error event and an orderly close', async () => {
    server = await serve({
      pipelineFactory: () => {
        throw new Error('no provider configured (key sk-abcdefghijkl)');
      },
      staticDir: false,
    });
    const client = await TestClient.open(wsUrl(server));
    client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 } });
    const closed = await client.closed;
    const error = client.received.json.find((m) => m.type === 'error');
    expect(error).toMatchObject({ code: 'internal', stage: 'pipeline' });
    expect(String(error?.message)).not.toContain('sk-abcdefghijkl');
    expect(closed.code).toBe(1000);
  });
});

describe('static page', () => {
  it('serves the page and its worklets from a fixed list, nothing else', async () => {
    server = await serve({ pipelineFactory: (c) => echoPipeline(c) });
    const get = async (path: string) => {
      const res = await fetch(`${server!.url}${path}`);
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    };
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.body).toContain('app.js');
    for (const file of ['/app.js', '/capture-worklet.js', '/playback-worklet.js']) {
      const res = await get(file);
      expect(res.status).toBe(200);
      expect(res.type).toContain('javascript');
    }
    expect((await get('/capture-worklet.js')).body).toContain("registerProcessor('pcm-capture'");
    expect((await get('/../package.json')).status).toBe(404);
    expect((await get('/%2e%2e/package.json')).status).toBe(404);
    expect((await get('/healthz')).body).toBe('{"ok":true,"sessions":0}');
  });
});
