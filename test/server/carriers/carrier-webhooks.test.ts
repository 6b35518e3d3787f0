import { createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { plivoSignatureV3 } from '../../../src/server/carriers/auth.js';
import { serve, twilioSignature } from '../../../src/server/index.js';
import type { PipelineChoice, RunningServer, ServeOptions } from '../../../src/server/types.js';
import { echoPipeline } from '../support/fake-pipeline.js';
import { TwilioEmulator } from '../support/twilio-emulator.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
});

const open = (options: Partial<ServeOptions>) => serve({ staticDir: false, pipelineFactory: (c) => echoPipeline(c), ...options });
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (s: RunningServer, path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${s.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
const call = { CallSid: 'CA00000000000000000000000000000009', From: '+15005550006', To: '+15005550001', Direction: 'inbound', AccountSid: 'AC1' };

describe('answer webhooks', () => {
  it('Twilio: POST /twilio/voice answers <Connect><Stream> with the signed stream URL and the call as <Parameter>s; the stream then starts with them', async () => {
    const choices: PipelineChoice[] = [];
    server = await serve({
      staticDir: false,
      twilio: { authToken: 'twilio-auth-token', publicBaseUrl: 'wss://voice.example.com' },
      auth: { tokenSecret: 'query-token-secret' },
      streamParameters: { pipeline: 'cascaded' },
      pipelineFactory: (c) => {
        choices.push(c);
        return echoPipeline(c);
      },
    });
    const signature = twilioSignature('twilio-auth-token', 'https://voice.example.com/twilio/voice', call);
    const res = await post(server, '/twilio/voice', form(call), { 'X-Twilio-Signature': signature });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/xml');
    const twiml = await res.text();
    expect(twiml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response><Connect><Stream url="wss:\/\/voice\.example\.com\/twilio\?token=[^"]+">/);
    const params = Object.fromEntries([...twiml.matchAll(/<Parameter name="([^"]+)" value="([^"]+)"\/>/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));
    expect(params).toEqual({ pipeline: 'cascaded', CallSid: call.CallSid, From: call.From, To: call.To, Direction: 'inbound' });

    // Twilio then opens the stream URL (signing it, as it signs every request) and sends the parameters.
    const streamUrl = /url="([^"]+)"/.exec(twiml)![1]!.replace(/&amp;/g, '&');
    const local = streamUrl.replace('wss://voice.example.com', server.url.replace('http', 'ws'));
    const twilio = await TwilioEmulator.open(local, { 'X-Twilio-Signature': twilioSignature('twilio-auth-token', streamUrl) });
    twilio.start(params);
    twilio.sendMedia(new Uint8Array(160).fill(0xff), 0);
    twilio.stop();
    expect((await twilio.closed).code).toBe(1000);
    expect(choices[0]).toMatchObject({ transport: 'twilio', pipeline: 'cascaded', customParameters: { From: call.From, CallSid: call.CallSid } });
  });

  it('Twilio: a bad signature is refused (401), a GET is 405, a huge body 413', async () => {
    server = await open({ twilio: { authToken: 'twilio-auth-token', publicBaseUrl: 'wss://voice.example.com' } });
    const forged = twilioSignature('twilio-auth-token', 'https://voice.example.com/twilio/voice', { ...call, From: '+19999999999' });
    expect((await post(server, '/twilio/voice', form(call), { 'X-Twilio-Signature': forged })).status).toBe(401);
    expect((await post(server, '/twilio/voice', form(call))).status).toBe(401);
    expect((await fetch(`${server.url}/twilio/voice`)).status).toBe(405);
    expect((await post(server, '/twilio/voice', 'x='.padEnd(100_000, 'y'))).status).toBe(413);
  });

  it('Plivo: POST /plivo/answer checks the V3 signature and answers bidirectional Stream XML', async () => {
    server = await open({ plivo: { authToken: 'plivo-token', publicBaseUrl: 'wss://voice.example.com' }, streamParameters: { pipeline: 'cascaded' } });
    const fields = { CallUUID: '12345678-1234-1234-1234-123456789abc', From: '+15551230000', To: '+15559870000' };
    const good = plivoSignatureV3('plivo-token', 'https://voice.example.com/plivo/answer', 'n-1', 'POST', fields);
    const res = await post(server, '/plivo/answer', form(fields), { 'X-Plivo-Signature-V3': good, 'X-Plivo-Signature-V3-Nonce': 'n-1' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000" extraHeaders="pipeline=cascaded">wss://voice.example.com/plivo</Stream></Response>',
    );
    expect((await post(server, '/plivo/answer', form({ ...fields, To: '+1' }), { 'X-Plivo-Signature-V3': good, 'X-Plivo-Signature-V3-Nonce': 'n-1' })).status).toBe(401);
  });

  it('Telnyx: POST /telnyx/voice checks the Ed25519 signature (and its age) and answers TeXML with an RTP stream', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
    server = await open({ telnyx: { publicKey: raw, publicBaseUrl: 'wss://voice.example.com' } });
    const body = form({ CallSid: 'v3:abc', From: '+1555', To: '+1666' });
    const signed = (ts: number) => ({
      'telnyx-timestamp': String(ts),
      'telnyx-signature-ed25519': sign(null, Buffer.from(`${ts}|${body}`), privateKey).toString('base64'),
    });
    const now = Math.floor(Date.now() / 1000);
    const res = await post(server, '/telnyx/voice', body, signed(now));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Connect><Stream url="wss://voice.example.com/telnyx" bidirectionalMode="rtp" bidirectionalCodec="PCMU"/></Connect>');
    expect((await post(server, '/telnyx/voice', body, signed(now - 3600))).status).toBe(401); // replayed
    expect((await post(server, '/telnyx/voice', `${body}&x=1`, signed(now))).status).toBe(401); // tampered
  });

  it('Vonage: /vonage/answer checks the signed-webhook JWT and answers an NCCO connecting to the websocket', async () => {
    server = await open({ vonage: { signatureSecret: 'vonage-signature-secret', publicBaseUrl: 'wss://voice.example.com' } });
    const jwt = (secret: string, claims: Record<string, unknown>) => {
      const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const head = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
      return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
    };
    const claims = { iat: Math.floor(Date.now() / 1000), jti: 'j1', iss: 'Vonage', application_id: 'app' };
    const url = `${server.url}/vonage/answer?uuid=aaaaaaaa-bbbb&conversation_uuid=CON-1&from=447700900000&to=447700900001`;
    const res = await fetch(url, { headers: { Authorization: `Bearer ${jwt('vonage-signature-secret', claims)}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      {
        action: 'connect',
        endpoint: [
          { type: 'websocket', uri: 'wss://voice.example.com/vonage', 'content-type': 'audio/l16;rate=16000', headers: { uuid: 'aaaaaaaa-bbbb', conversation_uuid: 'CON-1', from: '447700900000', to: '447700900001' } },
        ],
      },
    ]);
    expect((await fetch(url, { headers: { Authorization: `Bearer ${jwt('wrong-secret', claims)}` } })).status).toBe(401);
    // A POSTed answer must carry the body's hash in the token.
    const body = JSON.stringify({ uuid: 'u2' });
    const hash = createHash('sha256').update(body).digest('hex');
    const postWith = (payload_hash: string) =>
      fetch(`${server!.url}/vonage/answer`, { method: 'POST', body, headers: { 'content-type': 'application/json', Authorization: `Bearer ${jwt('vonage-signature-secret', { ...claims, payload_hash })}` } });
    expect((await postWith(hash)).status).toBe(200);
    expect((await postWith(`${hash[0] === '0' ? '1' : '0'}${hash.slice(1)}`)).status).toBe(401);
  });
  it('Exotel: /exotel/voice answers the Voicebot applet’s dynamic URL request with the stream URL (basic auth when configured)', async () => {
    server = await open({ exotel: { username: 'key', password: 'token', publicBaseUrl: 'wss://voice.example.com' }, auth: { tokenSecret: 'query-token-secret' } });
    const basic = `Basic ${Buffer.from('key:token').toString('base64')}`;
    const res = await fetch(`${server.url}/exotel/voice?CallSid=CA1&CallFrom=0987&CallTo=0804&sample-rate=16000`, { headers: { authorization: basic } });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    expect(url).toMatch(/^wss:\/\/voice\.example\.com\/exotel\?token=[^&]+&sample-rate=16000$/);
    expect((await fetch(`${server.url}/exotel/voice?CallSid=CA1`)).status).toBe(401);
    expect((await fetch(`${server.url}/exotel/voice`, { method: 'PUT' })).status).toBe(405);
  });

  it('call-control fetches (Twilio/Vonage whisper, Plivo transfer) answer the carrier only', async () => {
    server = await open({ twilio: { authToken: 'twilio-auth-token' }, plivo: { authToken: 'plivo-auth-token' }, vonage: { signatureSecret: 'vonage-secret', applicationId: 'app' } });
    const whisper = `${server.url}/twilio/whisper?summary=${encodeURIComponent('Hi <Hangup/>')}`;
    expect((await post(server, '/twilio/whisper?summary=x', '')).status).toBe(401);
    const signed = await fetch(whisper, { method: 'POST', body: '', headers: { 'x-twilio-signature': twilioSignature('twilio-auth-token', whisper, {}) } });
    expect(signed.status).toBe(200);
    expect(await signed.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi &lt;Hangup/&gt;</Say></Response>');
    const tooLong = `${server.url}/twilio/whisper?summary=${'x'.repeat(601)}`;
    expect((await fetch(tooLong, { method: 'POST', body: '', headers: { 'x-twilio-signature': twilioSignature('twilio-auth-token', tooLong, {}) } })).status).toBe(400);
    expect((await post(server, '/plivo/transfer?to=%2B15005550199', '')).status).toBe(401);
    const transfer = `${server.url}/plivo/transfer?to=${encodeURIComponent('+1"/><Hangup/>')}`;
    const nonce = 'n0nce';
    const bad = await fetch(transfer, { method: 'POST', body: '', headers: { 'x-plivo-signature-v3': plivoSignatureV3('plivo-auth-token', transfer, nonce, 'POST'), 'x-plivo-signature-v3-nonce': nonce } });
    expect(bad.status).toBe(400); // signed, but not a number or SIP URI: never dialled
    expect((await fetch(`${server.url}/vonage/whisper?summary=x`)).status).toBe(401);
  });
  it('every webhook and call-control path is hostile-edge safe: wrong method 405, huge body 413, garbage never a 500', async () => {
    server = await open({
      twilio: { authToken: 't', accountSid: 'AC1' },
      plivo: { authToken: 'p', authId: 'MA1' },
      vonage: { signatureSecret: 's', applicationId: 'app' },
      telnyx: { publicKey: Buffer.alloc(32).toString('base64') },
      exotel: { username: 'u', password: 'p' },
    });
    const paths = ['/twilio/voice', '/telnyx/voice', '/plivo/answer', '/vonage/answer', '/exotel/voice', '/twilio/whisper', '/twilio/amd', '/plivo/transfer', '/plivo/whisper', '/vonage/whisper'];
    for (const path of paths) {
      expect((await fetch(`${server.url}${path}`, { method: 'DELETE' })).status).toBe(405);
      const huge = await fetch(`${server.url}${path}?summary=x&to=%2B1`, { method: 'POST', body: 'a='.padEnd(70_000, 'x'), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(huge.status).toBe(413);
      for (const body of ['%%%', '{"__proto__":{"x":1}}', '\u0000'.repeat(100), 'CallSid=' + 'x'.repeat(5000)]) {
        const res = await fetch(`${server.url}${path}?summary=${'y'.repeat(700)}&to=${encodeURIComponent('+1"/>')}`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer a.b.c' } });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }
    }
    expect((await fetch(`${server.url}/twilio/whisper/../voice`, { method: 'POST' })).status).not.toBe(500);
    expect((await fetch(`${server.url}/constructor`, { method: 'POST' })).status).toBe(404);
  });
});
