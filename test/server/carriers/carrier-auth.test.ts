import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { plivoSignatureV3 } from '../../../src/server/carriers/auth.js';
import { serve } from '../../../src/server/index.js';
import type { RunningServer, ServeOptions } from '../../../src/server/types.js';
import { CarrierEmulator } from '../support/carrier-emulator.js';
import { exotelWire, plivoWire, telnyxWire, vonageWire } from '../support/carrier-wires.js';
import { echoPipeline } from '../support/fake-pipeline.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
});

const open = (options: Partial<ServeOptions>) => serve({ staticDir: false, pipelineFactory: (c) => echoPipeline(c), ...options });

/** The upgrade's HTTP status: 101 when the carrier's socket opened. */
async function upgradeStatus(s: RunningServer, wire: Parameters<typeof CarrierEmulator.open>[1], headers: Record<string, string> = {}, query = ''): Promise<number> {
  try {
    const carrier = await CarrierEmulator.open(s.url, wire, headers, query);
    carrier.ws.close();
    return 101;
  } catch (err) {
    return Number(/upgrade refused: (\d+)/.exec(String(err))?.[1] ?? 0);
  }
}

describe('carrier upgrade checks', () => {
  it('Plivo V3 signature: HMAC-SHA256 of the sorted URL and the nonce, as plivo-python builds it', () => {
    const token = 'MAXXXXXXXXXXXXXXXXXX-token';
    // GET: scheme://host/path, then `?` and the query sorted by name, then `.` + nonce.
    const expected = createHmac('sha256', token).update('wss://voice.example.com/plivo?a=1&b=2.12345').digest('base64');
    expect(plivoSignatureV3(token, 'wss://voice.example.com/plivo?b=2&a=1', '12345')).toBe(expected);
    // POST: the URL, then each parameter sorted by name as name + value, then `.` + nonce.
    const post = createHmac('sha256', token).update('https://x.example/answer?CallUUIDabcFrom+1555.n1').digest('base64');
    expect(plivoSignatureV3(token, 'https://x.example/answer', 'n1', 'POST', { From: '+1555', CallUUID: 'abc' })).toBe(post);
  });

  it('Plivo: a bad or missing X-Plivo-Signature-V3 is refused before the upgrade, a good one accepted', async () => {
    server = await open({ plivo: { authToken: 'plivo-token', publicBaseUrl: 'wss://voice.example.com' } });
    const good = plivoSignatureV3('plivo-token', 'wss://voice.example.com/plivo', 'nonce-1');
    expect(await upgradeStatus(server, plivoWire(), { 'X-Plivo-Signature-V3': `other,${good}`, 'X-Plivo-Signature-V3-Nonce': 'nonce-1' })).toBe(101);
    expect(await upgradeStatus(server, plivoWire(), { 'X-Plivo-Signature-V3': good, 'X-Plivo-Signature-V3-Nonce': 'nonce-2' })).toBe(401);
    expect(await upgradeStatus(server, plivoWire(), { 'X-Plivo-Signature-V3': `${good[0] === 'A' ? 'B' : 'A'}${good.slice(1)}`, 'X-Plivo-Signature-V3-Nonce': 'nonce-1' })).toBe(401);
    expect(await upgradeStatus(server, plivoWire())).toBe(401);
  });

  it('Telnyx: the stream auth token header must match', async () => {
    server = await open({ telnyx: { streamingAuthToken: 'telnyx-stream-secret' } });
    expect(await upgradeStatus(server, telnyxWire(), { 'x-telnyx-streaming-auth-token': 'telnyx-stream-secret' })).toBe(101);
    expect(await upgradeStatus(server, telnyxWire(), { 'x-telnyx-streaming-auth-token': 'telnyx-stream-secreT' })).toBe(401);
    expect(await upgradeStatus(server, telnyxWire())).toBe(401);
  });

  it('Exotel: basic auth from the applet URL must match', async () => {
    server = await open({ exotel: { username: 'api-key', password: 'api-token' } });
    const basic = (creds: string) => ({ Authorization: `Basic ${Buffer.from(creds).toString('base64')}` });
    expect(await upgradeStatus(server, exotelWire(), basic('api-key:api-token'))).toBe(101);
    expect(await upgradeStatus(server, exotelWire(), basic('api-key:wrong'))).toBe(401);
    expect(await upgradeStatus(server, exotelWire())).toBe(401);
  });

  it("Vonage (no signature on its WebSocket) and unconfigured carriers fall back to the server's auth", async () => {
    server = await open({ auth: { bearerTokens: ['server-token'] } });
    expect(await upgradeStatus(server, vonageWire())).toBe(401);
    expect(await upgradeStatus(server, vonageWire(), { Authorization: 'Bearer server-token' })).toBe(101);
    expect(await upgradeStatus(server, telnyxWire())).toBe(401);
    expect(await upgradeStatus(server, exotelWire(), { Authorization: 'Bearer server-token' })).toBe(101);
  });
});
