import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../../src/server/index.js';
import { readiness } from '../../src/server/health.js';
import type { RunningServer, ServeOptions } from '../../src/server/types.js';
import { echoPipeline } from './support/fake-pipeline.js';
import { TestClient } from './support/client.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
});

const start = { type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'cascaded' };
const wsUrl = (s: RunningServer) => `${s.url.replace('http', 'ws')}/v1/stream`;
const open = (extra: Partial<ServeOptions> = {}) => serve({ pipelineFactory: (c) => echoPipeline(c), staticDir: false, ...extra });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A plain request; `upgrade` sends WebSocket upgrade headers and reads the refusal (if any). */
function ask(s: RunningServer, path: string, opts: { method?: string; upgrade?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = opts.upgrade
      ? { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
      : {};
    const req = request(`${s.url}${path}`, { method: opts.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('readiness rule', () => {
  const base = { draining: false, liveCalls: 1, maxCalls: 2, eventLoopLagMs: 5, maxEventLoopLagMs: 200 };
  it('is ready only when not draining, under the call cap and not lagging', () => {
    expect(readiness(base)).toEqual({ ready: true });
    expect(readiness({ ...base, draining: true })).toEqual({ ready: false, reason: 'draining' });
    expect(readiness({ ...base, liveCalls: 2 })).toEqual({ ready: false, reason: 'at capacity' });
    expect(readiness({ ...base, eventLoopLagMs: 201 })).toEqual({ ready: false, reason: 'event loop lagging' });
  });
});

describe('/healthz and /readyz', () => {
  it('answer unauthenticated, and /readyz follows live calls against the cap', async () => {
    server = await open({ limits: { maxSessions: 1 }, auth: { bearerTokens: ['a-secret-token-123'] } });
    expect(await ask(server, '/healthz')).toMatchObject({ status: 200, body: '{"ok":true,"sessions":0}' });
    const ready = await ask(server, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true, sessions: 0 });
    expect(await ask(server, '/readyz', { method: 'HEAD' })).toMatchObject({ status: 200, body: '' });

    const client = await TestClient.open(wsUrl(server), { headers: { authorization: 'Bearer a-secret-token-123' } });
    const full = await ask(server, '/readyz');
    expect(full.status).toBe(503);
    expect(JSON.parse(full.body)).toMatchObject({ ready: false, reason: 'at capacity', sessions: 1 });
    client.ws.close();
    await client.closed;
    for (let i = 0; i < 50 && server.sessions().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await ask(server, '/readyz')).status).toBe(200);
  });

  it('/readyz turns 503 after the event loop was blocked', async () => {
    server = await open({ limits: { maxEventLoopLagMs: 100 } });
    expect((await ask(server, '/readyz')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 30));
    const until = performance.now() + 400;
    while (performance.now() < until) {
      // Block the loop on purpose: the runtime's delay histogram must see it.
    }
    await new Promise((r) => setTimeout(r, 30));
    const lagging = await ask(server, '/readyz');
    expect(lagging.status).toBe(503);
    expect(JSON.parse(lagging.body)).toMatchObject({ ready: false, reason: 'event loop lagging' });
    expect(JSON.parse(lagging.body).eventLoopLagMs).toBeGreaterThan(100);
  });
});

describe('drain', () => {
  it('is not ready at once, refuses new calls with 503 + Retry-After, lets the live call finish', async () => {
    server = await open();
    const live = await TestClient.open(wsUrl(server));
    live.send(start);
    await live.waitFor((m) => m.type === 'started');
    const closing = server.close(5000);
    await live.waitFor((m) => m.type === 'shutdown');

    const ready = await ask(server, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: false, reason: 'draining' });
    expect((await ask(server, '/healthz')).status).toBe(200);
    const refused = await ask(server, '/v1/stream', { upgrade: true });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body).toContain('server shutting down');

    live.send({ type: 'stop' });
    expect((await live.closed).code).toBe(1000);
    await closing;
    await expect(ask(server, '/healthz')).rejects.toThrow();
    server = undefined;
  });
});
