import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/server/index.js';
import type { RunningServer } from '../../src/server/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { echoPipeline } from '../server/support/fake-pipeline.js';
import { TestClient } from '../server/support/client.js';
import { echoCall } from '../server/support/fixture-call.js';

/**
 * The live edge, fuzzed as a stranger would: raw HTTP request lines and headers (plain and upgrade) against
 * a real `serve()` and a real sandbox on loopback, and /v1/stream sessions that start validly and then turn
 * hostile (deep nesting, far-off numbers, wrong types, unknown ids, long names). After every batch: the
 * process is alive (no uncaught exception), a good call alongside completes, no close is 1011, no close
 * reason or error carries internal text, and retained memory after GC is back within a stated bound.
 * Bounded: a fixed number of runs, each with short timeouts.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Retained heap + buffers may grow by at most this much over a whole fuzz batch (sessions all ended). */
const RETAINED_BOUND_BYTES = 24 * 1024 * 1024;
const INTERNAL_TEXT = /at [\w.]+ \(|node:internal|TypeError|RangeError|Maximum call stack|\.ts:\d+/;

let server: RunningServer;
let sandbox: Sandbox;
let recordingDir: string;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown): void => void uncaught.push(err);
beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  // Recording on (as `--record`): client values reach the turn log, the path that once overflowed the stack.
  recordingDir = await mkdtemp(join(tmpdir(), 'rxvoice-fuzz-rec-'));
  server = await serve({
    pipelineFactory: (c) => echoPipeline(c, { replyMs: 300 }),
    staticDir: false,
    log: () => undefined,
    limits: { idleTimeoutMs: 3000 },
    recording: { dir: recordingDir, sampleRate: 16000 },
  });
  sandbox = await startSandbox({ profile: 'instant' });
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  await server.close(200);
  await sandbox.close();
  await rm(recordingDir, { recursive: true, force: true });
});

function retainedBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Writes raw bytes and resolves with what came back (bounded by a short timeout). */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 500);
    const done = (): void => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).includes('\r\n\r\n')) socket.end();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(request, 'latin1');
  });
}

/** A good call alongside the fuzzing (see `echoCall`). */
const goodCall = () => echoCall(`${server.url.replace('http', 'ws')}/v1/stream`);

const targetChar = fc.constantFrom('/', '\\', '%', '%zz', '%00', '%ff', '[', ']', '@', ':', '?', '#', '..', '//', 'v1', 'stream', 'twilio', 'a', ' ', '\u00ff', '*', '~');
const target = fc.array(targetChar, { minLength: 0, maxLength: 12 }).map((parts) => parts.join(''));
const method = fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'CONNECT', 'TRACE', 'PRI', 'G\u00ffT');
const headerValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '[::1', '%%', '999999999999999999999', 'websocket', 'Upgrade', 'x'.repeat(4000)));
const headerName = fc.constantFrom('Host', 'Origin', 'Authorization', 'Content-Length', 'Transfer-Encoding', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Protocol', 'X-Twilio-Signature', 'Cookie');
const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 });
const rawRequest = fc.record({ method, target, headers, upgrade: fc.boolean() }).map(({ method: m, target: t, headers: h, upgrade }) => {
  const lines = [`${m} ${t || '/'} HTTP/1.1`, 'Host: 127.0.0.1'];
  if (upgrade) lines.push('Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13');
  for (const [name, value] of h) lines.push(`${name}: ${value.replace(/[\r\n]/g, '')}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
});

/** Sends each message while the socket is open, waits 100 ms for the server to close, else closes; the close. */
async function sendThenEnd(client: TestClient, messages: readonly unknown[]): Promise<{ code: number; reason: string }> {
  for (const m of messages) {
    if (client.ws.readyState !== WebSocket.OPEN) break;
    client.ws.send(JSON.stringify(m));
  }
  const closed = await Promise.race([client.closed, new Promise<undefined>((r) => setTimeout(r, 100))]);
  if (!closed) client.ws.close(1000);
  return closed ?? (await client.closed);
}

function deep(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
  return v;
}

const hostileValue = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER, -1, 0.5, 'NaN', null, true, [], {}),
  fc.integer({ min: 50, max: 3000 }).map((d) => deep(d)),
  fc.string({ maxLength: 30 }),
  fc.constant('turn-'.repeat(2000)),
);
const hostileMessage = fc.oneof(
  fc.record({ type: fc.constant('playback'), turnId: fc.oneof(fc.string({ maxLength: 80 }), hostileValue), playedMs: hostileValue, done: fc.oneof(fc.boolean(), hostileValue) }),
  fc.record({ type: fc.oneof(fc.constantFrom('start', 'stop', 'ping', 'mark', 'clear', 'unknown'), hostileValue), payload: hostileValue }),
  hostileValue.map((v) => ({ type: 'playback', turnId: 'turn-1', playedMs: 10, extra: v })),
);

/** A valid carrier `start` whose custom parameters and later messages are hostile. */
const carrierStart = {
  '/twilio': (p: unknown) => ({ event: 'start', streamSid: 'MZf', start: { streamSid: 'MZf', callSid: 'CAf', mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, customParameters: p } }),
  '/telnyx': (p: unknown) => ({ event: 'start', stream_id: 'st-f', start: { call_control_id: 'v3:f', media_format: { encoding: 'PCMU', sample_rate: 8000, channels: 1 }, custom_parameters: p } }),
} as const;
const carrierMessage = fc.oneof(
  fc.record({ event: fc.constantFrom('media', 'mark', 'dtmf', 'stop', 'clear', 'x'), media: hostileValue, mark: hostileValue, dtmf: hostileValue, stream_id: hostileValue }),
  hostileValue.map((v) => ({ event: 'media', streamSid: 'MZf', media: { track: 'inbound', payload: Buffer.alloc(160, 0xff).toString('base64'), timestamp: v, chunk: v } })),
  hostileValue.map((v) => ({ event: 'mark', streamSid: 'MZf', mark: { name: v } })),
);

describe('the live edge under fuzzing', () => {
  it('raw HTTP and upgrade requests never stop the server or the sandbox; a good call alongside completes', async () => {
    const before = retainedBytes();
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(rawRequest, async (request) => {
        for (const port of [server.port, new URL(sandbox.url).port].map(Number)) {
          const response = await rawExchange(port, request);
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
          statuses.add(status);
          expect(response).not.toMatch(INTERNAL_TEXT);
        }
      }),
      { numRuns: 150 },
    );
    expect(uncaught).toEqual([]);
    expect(statuses.size).toBeGreaterThan(1);
    expect(await goodCall()).toEqual({ code: 1000, replies: 1 });
    expect(retainedBytes() - before).toBeLessThan(RETAINED_BOUND_BYTES);
  });

  it('/v1/stream sessions that start validly then turn hostile: never 1011, no internal text, memory bounded', async () => {
    const before = retainedBytes();
    const closes: number[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(hostileMessage, { minLength: 1, maxLength: 8 }), fc.boolean(), async (messages, withAudio) => {
        const client = await TestClient.open(`${server.url.replace('http', 'ws')}/v1/stream`);
        client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 } });
        if (withAudio) client.ws.send(Buffer.alloc(3200));
        const ended = await sendThenEnd(client, messages);
        closes.push(ended.code);
        expect(ended.code).not.toBe(1011);
        expect(ended.reason).not.toMatch(INTERNAL_TEXT);
        for (const e of client.received.json.filter((j) => j.type === 'error')) expect(String(e.message)).not.toMatch(INTERNAL_TEXT);
      }),
      { numRuns: 80 },
    );
    expect(uncaught).toEqual([]);
    expect(closes.length).toBe(80);
    expect(await goodCall()).toEqual({ code: 1000, replies: 1 });
    expect(retainedBytes() - before).toBeLessThan(RETAINED_BOUND_BYTES);
  });

  it('carrier streams (Twilio, Telnyx) that start validly then turn hostile, recording on: never 1011, no internal text', async () => {
    const before = retainedBytes();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/twilio', '/telnyx' as const), hostileValue, fc.array(carrierMessage, { minLength: 1, maxLength: 8 }), async (path, params, messages) => {
        const client = await TestClient.open(`${server.url.replace('http', 'ws')}${path}`);
        client.ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
        const ended = await sendThenEnd(client, [carrierStart[path](params), ...messages]);
        runs++;
        expect(ended.code).not.toBe(1011);
        expect(ended.reason).not.toMatch(INTERNAL_TEXT);
        // 'invalid message' is the server's catch-all for a handler that failed: hostile values must be dropped before.
        expect(ended.reason).not.toBe('invalid message');
      }),
      { numRuns: 50 },
    );
    expect(uncaught).toEqual([]);
    expect(runs).toBe(50);
    expect(await goodCall()).toEqual({ code: 1000, replies: 1 });
    expect(retainedBytes() - before).toBeLessThan(RETAINED_BOUND_BYTES);
  });
});
