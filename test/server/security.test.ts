import { afterEach, describe, expect, it } from 'vitest';
import { serve, signToken, twilioSignature } from '../../src/server/index.js';
import type { RunningServer, ServeOptions } from '../../src/server/types.js';
import { isValidTwilioSignature, verifyToken } from '../../src/server/security.js';
import { echoPipeline, toneBursts } from './support/fake-pipeline.js';
import { expectRefused, pcmBytes, sendAudio, TestClient } from './support/client.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
});

const start = { type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'cascaded' };
const wsUrl = (s: RunningServer, path = '/v1/stream') => `${s.url.replace('http', 'ws')}${path}`;
const open = (extra: Partial<ServeOptions> = {}) =>
  serve({ pipelineFactory: (c) => echoPipeline(c), staticDir: false, ...extra });

describe('authentication before the upgrade', () => {
  it('gives 401 and no socket without a token, and accepts a bearer or a signed query token', async () => {
    const secret = 'query-token-secret';
    server = await open({ auth: { bearerTokens: ['letmein-123456'], tokenSecret: secret } });
    const refused = await expectRefused(wsUrl(server));
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('authentication required');
    expect((await expectRefused(wsUrl(server), { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(401);
    const expired = signToken(secret, { expiresAt: Date.now() - 1000 });
    expect((await expectRefused(`${wsUrl(server)}?token=${expired}`)).status).toBe(401);
    const forged = signToken('another-secret', { expiresAt: Date.now() + 60_000 });
    expect((await expectRefused(`${wsUrl(server)}?token=${forged}`)).status).toBe(401);

    const bearer = await TestClient.open(wsUrl(server), { headers: { authorization: 'Bearer letmein-123456' } });
    const token = signToken(secret, { expiresAt: Date.now() + 60_000, subject: 'browser' });
    const queried = await TestClient.open(`${wsUrl(server)}?token=${token}`);
    expect(server.sessions()).toHaveLength(2);
    bearer.ws.close();
    queried.ws.close();
  });

  it('verifies tokens and Twilio signatures exactly', () => {
    const token = signToken('s3cret', { expiresAt: 2_000 });
    expect(verifyToken('s3cret', token, 1_000)).toBe(true);
    expect(verifyToken('s3cret', token, 3_000)).toBe(false);
    expect(verifyToken('s3cret', `${token}x`, 1_000)).toBe(false);
    // Twilio's documented example (Security page): URL + sorted params, HMAC-SHA1, base64.
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
    expect(twilioSignature('12345', url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    expect(isValidTwilioSignature('12345', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', url, params)).toBe(true);
    expect(isValidTwilioSignature('12345', '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', url, { ...params, Digits: '1235' })).toBe(false);
  });

  it('checks X-Twilio-Signature on the Twilio upgrade when an auth token is set', async () => {
    server = await open({ twilio: { authToken: 'twilio-auth-token', publicBaseUrl: 'wss://voice.example.com' } });
    const url = `${wsUrl(server, '/twilio')}`;
    expect((await expectRefused(url)).status).toBe(401);
    expect((await expectRefused(url, { headers: { 'x-twilio-signature': 'bogus' } })).status).toBe(401);
    const signature = twilioSignature('twilio-auth-token', 'wss://voice.example.com/twilio');
    const client = await TestClient.open(url, { headers: { 'x-twilio-signature': signature } });
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.ws.close();
  });
});

describe('limits', () => {
  it('refuses a browser from an origin not on the allow-list', async () => {
    server = await open({ allowedOrigins: ['https://app.example.com'] });
    const refused = await expectRefused(wsUrl(server), { origin: 'https://evil.example.com' });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('origin not allowed');
    const ok = await TestClient.open(wsUrl(server), { origin: 'https://app.example.com' });
    ok.ws.close();
  });

  it("'self' on the allow-list admits the server's own page and no other origin (the --token default)", async () => {
    server = await open({ allowedOrigins: ['self'] });
    const own = new URL(server.url).host;
    const refused = await expectRefused(wsUrl(server), { origin: 'https://evil.example.com' });
    expect(refused.status).toBe(403);
    const lookalike = await expectRefused(wsUrl(server), { origin: `http://${own}.evil.example.com` });
    expect(lookalike.status).toBe(403);
    const ok = await TestClient.open(wsUrl(server), { origin: `http://${own}` });
    ok.ws.close();
    const withoutOrigin = await TestClient.open(wsUrl(server));
    withoutOrigin.ws.close();
  });

  it('closes a socket that sends an oversized message with 1009', async () => {
    server = await open({ limits: { maxMessageBytes: 4096 } });
    const client = await TestClient.open(wsUrl(server));
    client.send(start);
    await client.waitFor((m) => m.type === 'started');
    client.send(Buffer.alloc(8192));
    expect((await client.closed).code).toBe(1009);
  });

  it('refuses the session over the limit with 503 and a reason, then accepts once one ends', async () => {
    server = await open({ limits: { maxSessions: 2 } });
    const first = await TestClient.open(wsUrl(server));
    const second = await TestClient.open(wsUrl(server));
    const refused = await expectRefused(wsUrl(server));
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('session limit reached (2 live sessions)');
    first.ws.close();
    await first.closed;
    await new Promise((r) => setTimeout(r, 50));
    const third = await TestClient.open(wsUrl(server));
    second.ws.close();
    third.ws.close();
  });

  it('closes a silent socket after the idle timeout with 4408', async () => {
    server = await open({ limits: { idleTimeoutMs: 300 } });
    const client = await TestClient.open(wsUrl(server));
    client.send(start);
    const closed = await client.closed;
    expect(closed).toEqual({ code: 4408, reason: 'idle timeout' });
  });

  it('keeps memory bounded for a client that never reads: reply audio dropped at the cap', async () => {
    const cap = 64 * 1024;
    // 5 min of reply audio = 9.6 MB of PCM16 at 16 kHz: more than the loopback kernel buffers (~4 MB) hold.
    server = await open({ pipelineFactory: (c) => echoPipeline(c, { replyMs: 300_000 }), limits: { maxBufferedBytes: cap } });
    const client = await TestClient.open(wsUrl(server));
    client.send(start);
    await client.waitFor((m) => m.type === 'started');
    // Stop reading: the kernel buffers fill, then ws.bufferedAmount grows on the server.
    (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await sendAudio(client, pcmBytes(toneBursts(16000, [{ toneMs: 300, silenceMs: 500 }])), 640);
    let stats = server.sessions()[0]!;
    for (let i = 0; i < 100 && stats.droppedAudioBytes === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      stats = server.sessions()[0]!;
    }
    expect(stats.droppedAudioBytes).toBeGreaterThan(2_000_000);
    // Queued bytes never exceed the cap by more than one audio message.
    expect(stats.maxBufferedAmount).toBeLessThanOrEqual(cap + 2048);
    expect(stats.sentAudioBytes + stats.droppedAudioBytes).toBeGreaterThan(9_500_000);
    expect(stats.bufferedAmount).toBeLessThanOrEqual(cap + 2048);
    client.ws.terminate();
  });
});

describe('graceful shutdown', () => {
  it('stops accepting, warns live calls, lets them finish, then closes the rest with 1001', async () => {
    server = await open();
    const finisher = await TestClient.open(wsUrl(server));
    const lingerer = await TestClient.open(wsUrl(server));
    finisher.send(start);
    lingerer.send(start);
    await lingerer.waitFor((m) => m.type === 'started');
    const closing = server.close(500);
    await finisher.waitFor((m) => m.type === 'shutdown');
    const refusal = await expectRefused(wsUrl(server)).catch((err: Error) => ({ status: -1, body: err.message }));
    // Either the listener is already gone (connection refused) or the upgrade is refused: never accepted.
    expect(refusal.status).not.toBe(101);
    finisher.send({ type: 'stop' });
    expect((await finisher.closed).code).toBe(1000);
    await closing;
    expect(await lingerer.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    server = undefined;
  });
});

describe('handshakes that fail', () => {
  it('do not hold a session slot', async () => {
    const { connect } = await import('node:net');
    server = await serve({ pipelineFactory: (c) => echoPipeline(c), staticDir: false, limits: { maxSessions: 1 } });
    const port = server.port;
    // An upgrade with a broken Sec-WebSocket-Key: ws refuses it (400) without opening a socket.
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write('GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: nope\r\n\r\n');
        });
        socket.on('data', () => socket.destroy());
        socket.on('close', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 50));
    const client = await TestClient.open(wsUrl(server));
    expect(server.sessions()).toHaveLength(1);
    client.ws.close();
  });
});
