import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/server/index.js';
import type { RunningServer } from '../../src/server/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { echoPipeline } from './support/fake-pipeline.js';
import { TestClient } from './support/client.js';

/** Writes raw bytes to 127.0.0.1:port and resolves with what came back before the socket ended. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => resolve(Buffer.concat(chunks).toString('latin1'));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A plain response is complete once its head arrived; do not wait for keep-alive to time out.
      if (Buffer.concat(chunks).includes('\r\n\r\n')) socket.end();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(request);
  });
}

const upgrade = (target: string, extra = ''): string =>
  `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
const plain = (target: string, method = 'GET', extra = ''): string =>
  `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n${extra}\r\n`;

/** Targets a scanner sends every day; each of these threw inside a handler (and ended the process). */
const HOSTILE_TARGETS = ['//', '//[', '//a:b@:99999', '//%zz', '/\\\\', 'http://[x', '*', 'x', '//v1/stream'];
const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

describe('rxvoice serve survives malformed request targets', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({ pipelineFactory: (c) => echoPipeline(c), log: () => undefined });
  });
  afterAll(() => server.close(200));

  it.each(HOSTILE_TARGETS)('answers HTTP %s with a status, then serves the next request', async (target) => {
    const status = statusOf(await rawExchange(server.port, plain(target)));
    expect([400, 404]).toContain(status);
    expect(statusOf(await rawExchange(server.port, plain('/healthz')))).toBe(200);
  });

  it.each(HOSTILE_TARGETS)('refuses an upgrade to %s without a socket, and a good call still connects', async (target) => {
    const status = statusOf(await rawExchange(server.port, upgrade(target)));
    expect([0, 400, 404]).toContain(status);
    const client = await TestClient.open(`ws://127.0.0.1:${server.port}/v1/stream`);
    client.ws.close();
    await client.closed;
  });

  it('survives odd Host headers on an upgrade', async () => {
    for (const host of ['[', 'a:b:c', '%zz', '']) {
      const request = upgrade('/twilio').replace('Host: 127.0.0.1', `Host: ${host}`);
      await rawExchange(server.port, request);
    }
    expect(statusOf(await rawExchange(server.port, plain('/healthz')))).toBe(200);
  });
});

describe('the sandbox survives malformed request targets', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant' });
  });
  afterAll(() => sandbox.close());

  const alive = async (): Promise<void> => {
    expect(statusOf(await rawExchange(sandbox.port, plain('/health')))).toBe(200);
  };

  it.each(HOSTILE_TARGETS)('answers HTTP and upgrade %s, then serves the next request', async (target) => {
    expect([200, 400, 404]).toContain(statusOf(await rawExchange(sandbox.port, plain(target))));
    await rawExchange(sandbox.port, upgrade(target));
    await alive();
  });

  it('takes bad %-escapes in path segments it decodes', async () => {
    const chat = plain('/openai/deployments/%E0%A4%A/chat/completions?api-version=2024-10-21', 'POST', 'api-key: k\r\n');
    expect(statusOf(await rawExchange(sandbox.port, chat))).toBeGreaterThanOrEqual(400);
    expect(statusOf(await rawExchange(sandbox.port, plain('/v1/text-to-speech/%zz', 'POST')))).toBeGreaterThanOrEqual(400);
    await rawExchange(sandbox.port, upgrade('/v1/text-to-speech/%zz/stream-input'));
    await alive();
  });
});
