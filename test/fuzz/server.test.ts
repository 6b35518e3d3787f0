import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStart } from '../../src/server/rxvoice-protocol.js';
import { serve } from '../../src/server/index.js';
import type { RunningServer } from '../../src/server/types.js';
import { echoPipeline, toneBursts } from '../server/support/fake-pipeline.js';
import { pcmBytes, sendAudio, TestClient } from '../server/support/client.js';

/**
 * Hostile clients against the server: random message sequences (invalid JSON, wrong types, audio before
 * `start`, oversized frames, bad `playback` reports, unknown Twilio events, bad base64) must each get a
 * clear `bad_message` error or a close with a reason, never crash the process, and never disturb a
 * well-behaved call running on the same server at the same time.
 */

const MAX_MESSAGE = 32 * 1024;
let server: RunningServer;
beforeAll(async () => {
  server = await serve({
    pipelineFactory: (choice) => echoPipeline(choice, { replyMs: 400 }),
    staticDir: false,
    limits: { maxMessageBytes: MAX_MESSAGE, idleTimeoutMs: 5000 },
  });
});
afterAll(async () => server.close(200));

const wsUrl = (path: string) => `${server.url.replace('http', 'ws')}${path}`;

describe('parseStart on arbitrary objects', () => {
  it('returns a StartMessage or a reason string, never throws', () => {
    const format = fc.oneof(
      fc.anything(),
      fc.record({ encoding: fc.oneof(fc.constantFrom('pcm16', 'mulaw', 'opus'), fc.anything()), sampleRate: fc.oneof(fc.constantFrom(8000, 16000, 24000, 48000, 44100, 0, -1, NaN, 1e12), fc.anything()) }),
    );
    const message = fc.record(
      {
        type: fc.constant('start'),
        version: fc.oneof(fc.constant(1), fc.anything()),
        format,
        pipeline: fc.oneof(fc.constantFrom('cascaded', 'realtime', 'other'), fc.anything()),
        voice: fc.anything(),
        language: fc.anything(),
        systemPrompt: fc.anything(),
      },
      { requiredKeys: ['type'] },
    );
    fc.assert(
      fc.property(message, fc.constantFrom(undefined, { pipelines: ['cascaded' as const], voices: ['a'], systemPrompt: false }), (m, allow) => {
        const out = parseStart(m as Record<string, unknown>, allow);
        if (typeof out === 'string') expect(out.length).toBeGreaterThan(5);
        else {
          expect(out.version).toBe(1);
          expect(['pcm16', 'mulaw']).toContain(out.format.encoding);
          expect([8000, 16000, 24000, 48000]).toContain(out.format.sampleRate);
        }
      }),
      { numRuns: 500 },
    );
  });
});

type Hostile =
  | { kind: 'text'; text: string }
  | { kind: 'json'; value: unknown }
  | { kind: 'binary'; bytes: Uint8Array }
  | { kind: 'oversized' }
  | { kind: 'start'; value: Record<string, unknown> };

const hostileMessage: fc.Arbitrary<Hostile> = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 200 }) }),
  fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({
    kind: fc.constant('json' as const),
    value: fc.record({ type: fc.constantFrom('playback', 'stop', 'start', 'nope', ''), turnId: fc.anything(), playedMs: fc.oneof(fc.double(), fc.anything()) }),
  }),
  fc.record({ kind: fc.constant('binary' as const), bytes: fc.uint8Array({ maxLength: 2000 }) }),
  fc.constant({ kind: 'oversized' as const }),
  fc.record({
    kind: fc.constant('start' as const),
    value: fc.record({ type: fc.constant('start'), version: fc.constantFrom(1, 2), format: fc.record({ encoding: fc.constantFrom('pcm16', 'mulaw', 'x'), sampleRate: fc.constantFrom(8000, 16000, 11025) }) }),
  }),
);

function send(ws: WebSocket, m: Hostile): void {
  if (m.kind === 'text') ws.send(m.text);
  else if (m.kind === 'json' || m.kind === 'start') ws.send(JSON.stringify(m.kind === 'json' ? m.value : m.value));
  else if (m.kind === 'binary') ws.send(m.bytes, { binary: true });
  else ws.send(Buffer.alloc(MAX_MESSAGE + 1), { binary: true });
}

/** A well-behaved call, run while hostile clients hammer the same server. */
async function goodCall(): Promise<TestClient> {
  const client = await TestClient.open(wsUrl('/v1/stream'));
  client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'cascaded' });
  await client.waitFor((m) => m.type === 'started');
  await sendAudio(client, pcmBytes(toneBursts(16000, [{ toneMs: 500, silenceMs: 600 }, { toneMs: 500, silenceMs: 600 }])), 640, 2);
  await client.waitFor((m) => m.type === 'assistant.done' && m.turnId === 'turn-2');
  client.send({ type: 'stop' });
  await client.closed;
  return client;
}

/** Plays a hostile sequence; returns what came back and how the socket ended. */
async function hostileSession(path: string, messages: readonly Hostile[]) {
  const client = await TestClient.open(wsUrl(path));
  const raw: string[] = [];
  client.ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) raw.push(data.toString());
  });
  for (const m of messages) {
    if (client.ws.readyState !== WebSocket.OPEN) break;
    send(client.ws, m);
  }
  // Give the server a moment to answer, then hang up if it has not closed us.
  const closed = await Promise.race([client.closed, new Promise<undefined>((r) => setTimeout(r, 150))]);
  if (!closed) client.ws.close(1000);
  return { client, raw, closed: closed ?? (await client.closed) };
}

describe('hostile clients on /v1/stream', () => {
  it('get bad_message errors or a close with a reason, and a concurrent good call completes', async () => {
    const good = goodCall();
    await fc.assert(
      fc.asyncProperty(fc.array(hostileMessage, { minLength: 1, maxLength: 12 }), async (messages) => {
        const { client, raw, closed } = await hostileSession('/v1/stream', messages);
        for (const text of raw) expect(() => JSON.parse(text)).not.toThrow();
        for (const m of client.received.json.filter((j) => j.type === 'error')) {
          expect(m.code).toBe('bad_message');
          expect(typeof m.message).toBe('string');
          expect((m.message as string).length).toBeGreaterThan(5);
        }
        // A server-side close always says why (1008 policy / 1009 too big); 1000/1005 are our own hang-ups.
        if (closed.code === 1008) expect(closed.reason.length).toBeGreaterThan(0);
        expect([1000, 1005, 1006, 1008, 1009, 1011]).toContain(closed.code);
        expect(closed.code).not.toBe(1011);
        // Audio before start, and an oversized message, are each refused explicitly.
        const firstStart = messages.findIndex((m) => m.kind === 'start');
        const firstBinary = messages.findIndex((m) => m.kind === 'binary' || m.kind === 'oversized');
        if (firstBinary === 0) expect([1008, 1009]).toContain(closed.code);
        if (firstStart === -1 && firstBinary >= 0 && messages[firstBinary]!.kind === 'binary') {
          const closedBy = closed.code === 1008 ? closed.reason : '';
          expect(closedBy === '' || /start|too much|not allowed|unsupported|version|format/.test(closedBy)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
    const client = await good;
    expect(client.received.json.filter((m) => m.type === 'error')).toEqual([]);
    expect(client.received.json.filter((m) => m.type === 'assistant.done').map((m) => m.turnId)).toEqual(['turn-1', 'turn-2']);
    expect(client.received.audioBytes).toBeGreaterThan(0);
    // Every hostile session is gone.
    await new Promise((r) => setTimeout(r, 100));
    expect(server.sessions()).toEqual([]);
  });

  it('values that cannot be turned into text ({"toString": []}) are named safely, and the server lives on', async () => {
    const poison = { toString: [], valueOf: [] };
    const messages: Hostile[] = [
      { kind: 'json', value: { type: poison } },
      { kind: 'json', value: { type: 'start', version: poison } },
      { kind: 'json', value: { type: 'start', version: 1, format: { encoding: poison, sampleRate: 16000 } } },
      { kind: 'json', value: { type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: poison } } },
      { kind: 'json', value: { type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: poison } },
      { kind: 'json', value: { type: 'playback', turnId: poison, playedMs: poison } },
    ];
    for (const m of messages) {
      const { client } = await hostileSession('/v1/stream', [m]);
      const error = client.received.json.find((j) => j.type === 'error');
      expect(error, JSON.stringify(m)).toMatchObject({ code: 'bad_message' });
    }
    // Still serving.
    const client = await goodCall();
    expect(client.received.json.filter((m) => m.type === 'assistant.done')).toHaveLength(2);
  });

  it('audio before start is refused with a reason that says so', async () => {
    const { closed, client } = await hostileSession('/v1/stream', [{ kind: 'binary', bytes: new Uint8Array(640) }]);
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/start/);
    expect(client.received.json).toContainEqual(expect.objectContaining({ type: 'error', code: 'bad_message', message: expect.stringMatching(/start/) }));
  });
});

const twilioMessage = fc.oneof(
  fc.string({ maxLength: 100 }).map((text) => ({ raw: text })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ raw: JSON.stringify(v) })),
  fc
    .record({
      event: fc.constantFrom('connected', 'start', 'media', 'mark', 'dtmf', 'stop', 'weird'),
      streamSid: fc.option(fc.string({ maxLength: 10 })),
      start: fc.option(fc.record({ streamSid: fc.option(fc.string()), mediaFormat: fc.option(fc.record({ encoding: fc.constantFrom('audio/x-mulaw', 'audio/x-l16'), sampleRate: fc.constantFrom(8000, 16000) })) })),
      media: fc.option(fc.record({ payload: fc.oneof(fc.base64String({ maxLength: 400 }), fc.string()), timestamp: fc.oneof(fc.nat().map(String), fc.string()), track: fc.constantFrom('inbound', 'outbound') })),
      mark: fc.option(fc.record({ name: fc.string() })),
    })
    .map((v) => ({ raw: JSON.stringify(v) })),
);

describe('hostile Twilio streams on /twilio', () => {
  it('non-string payloads, timestamps, mark names and parameters are ignored, never a 1011', async () => {
    const poison = { toString: [] };
    const client = await TestClient.open(wsUrl('/twilio'));
    const send = (v: unknown) => client.ws.send(JSON.stringify(v));
    send({ event: 'connected' });
    send({ event: 'start', streamSid: 'MZ1', start: { streamSid: 'MZ1', mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 }, customParameters: { voice: poison, language: poison, pipeline: poison } } });
    send({ event: 'media', streamSid: 'MZ1', media: { track: 'inbound', payload: poison, timestamp: '0' } });
    send({ event: 'media', streamSid: 'MZ1', media: { track: 'inbound', payload: Buffer.alloc(160, 0xff).toString('base64'), timestamp: poison } });
    send({ event: 'mark', streamSid: 'MZ1', mark: { name: poison } });
    const closed = await Promise.race([client.closed, new Promise<undefined>((r) => setTimeout(r, 500))]);
    expect(closed).toBeUndefined();
    send({ event: 'stop', streamSid: 'MZ1' });
    const end = await client.closed;
    expect(end.code).not.toBe(1011);
  });


  it('never crash the server; a good call on /v1/stream alongside completes', async () => {
    const good = goodCall();
    await fc.assert(
      fc.asyncProperty(fc.array(twilioMessage, { minLength: 1, maxLength: 15 }), async (messages) => {
        const client = await TestClient.open(wsUrl('/twilio'));
        for (const m of messages) if (client.ws.readyState === WebSocket.OPEN) client.ws.send(m.raw);
        const closed = await Promise.race([client.closed, new Promise<undefined>((r) => setTimeout(r, 100))]);
        if (!closed) client.ws.close(1000);
        const end = closed ?? (await client.closed);
        expect(end.code).not.toBe(1011);
        if (end.code === 1008) expect(end.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 30 },
    );
    const client = await good;
    expect(client.received.json.filter((m) => m.type === 'assistant.done')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.sessions()).toEqual([]);
  });
});
