import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plivoSignatureV3 } from '../../../src/server/carriers/auth.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { callControlTools, CallControlError, serve, telnyxCallControl, vonageCallControl } from '../../../src/server/index.js';
import type { PipelineChoice, RunningServer, TransportName } from '../../../src/server/types.js';
import { CarrierEmulator, type CarrierWire } from '../support/carrier-emulator.js';
import { exotelWire, plivoWire, telnyxWire, vonageWire } from '../support/carrier-wires.js';
import { echoPipeline } from '../support/fake-pipeline.js';

const PLIVO_ID = 'MAXXXXXXXXXXXXXXXXXX';
const PLIVO_TOKEN = 'plivo-auth-token';
const TELNYX_KEY = 'KEY0123456789ABCDEF_secret';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const VONAGE_KEY = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * Call control for the carriers other than Twilio, against the sandbox's REST APIs: a call is started in
 * the carrier's wire shapes (the test's carrier emulator), then `choice.call` hangs up, transfers and sends
 * keys over the carrier's own REST API, and the sandbox records what it was asked (and fetches what the
 * carrier would fetch next: Plivo's transfer XML, Vonage's whisper NCCO, both from this server).
 */
describe.concurrent('call control over the carriers’ REST APIs (sandbox)', () => {
  let sandbox: Sandbox;
  let server: RunningServer;
  const choices: PipelineChoice[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant' });
    server = await serve({
      staticDir: false,
      telnyx: { apiKey: TELNYX_KEY, apiBaseUrl: sandbox.url },
      plivo: { authId: PLIVO_ID, authToken: PLIVO_TOKEN, apiBaseUrl: sandbox.url },
      vonage: { applicationId: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab', privateKey: VONAGE_KEY, apiBaseUrl: sandbox.url },
      pipelineFactory: (choice) => {
        choices.push(choice);
        return echoPipeline(choice);
      },
    });
  });

  afterAll(async () => {
    await server?.close(200);
    await sandbox?.close();
  });

  const startCall = async (transport: TransportName, wire: CarrierWire, params: Record<string, string> = {}, headers: Record<string, string> = {}) => {
    const before = choices.filter((c) => c.transport === transport).length;
    const carrier = await CarrierEmulator.open(server.url, wire, headers);
    carrier.start(params);
    await until(() => choices.filter((c) => c.transport === transport).length > before);
    return { carrier, call: choices.filter((c) => c.transport === transport).at(-1)!.call! };
  };

  it('Telnyx: send_dtmf, transfer and hangup commands for the stream’s call_control_id; no warm transfer', async () => {
    const { carrier, call } = await startCall('telnyx', telnyxWire('PCMU', 8000));
    expect(call).toMatchObject({ carrier: 'telnyx', callId: 'v3:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ', capabilities: { transfer: true, warmTransfer: false, sendDtmf: true } });
    await call.sendDtmf('12w#');
    await call.transferCall('sip:agent@pbx.example.com');
    await expect(call.transferCall('+15005550199', { summary: 'A caller about an order.' })).rejects.toMatchObject({ name: 'CallControlError', code: 'unsupported', carrier: 'telnyx' });
    await expect(call.transferCall('+1555"/><Hangup/>')).rejects.toMatchObject({ code: 'invalid' });
    await expect(call.sendDtmf('1;rm')).rejects.toMatchObject({ code: 'invalid' });
    await call.endCall();
    const mine = sandbox.carriers.actions('telnyx').filter((a) => a.callId === call.callId);
    expect(mine.map((a) => [a.action, a.body])).toEqual([
      ['send_dtmf', { digits: '12w#' }],
      ['transfer', { to: 'sip:agent@pbx.example.com' }],
      ['hangup', {}],
    ]);
    // The tools offer what Telnyx can do: a transfer without a summary.
    const tools = callControlTools(call, { transferTargets: { sales: '+15005550199' }, sendDtmf: true });
    expect(tools.map((t) => t.name)).toEqual(['end_call', 'transfer_call', 'send_dtmf']);
    expect(JSON.stringify(tools[1]!.parameters)).not.toContain('summary');
    carrier.hangUp();
    await carrier.closed;
  });

  it('Plivo: transfer fetches this server’s signed /plivo/transfer XML (<Dial>), DTMF, hangup (DELETE)', async () => {
    const url = `${server.url.replace('http', 'wss')}/plivo`;
    const nonce = randomBytes(8).toString('hex');
    const { carrier, call } = await startCall('plivo', plivoWire('audio/x-mulaw', 8000), {}, {
      'x-plivo-signature-v3': plivoSignatureV3(PLIVO_TOKEN, url, nonce),
      'x-plivo-signature-v3-nonce': nonce,
    });
    expect(call).toMatchObject({ carrier: 'plivo', callId: '12345678-1234-1234-1234-123456789abc' });
    await call.sendDtmf('9*');
    await call.transferCall('+15005550199');
    await call.endCall();
    const mine = sandbox.carriers.actions('plivo').filter((a) => a.callId === call.callId);
    expect(mine.map((a) => a.action)).toEqual(['send_dtmf', 'transfer', 'hangup']);
    expect(mine[0]!.body).toEqual({ digits: '9*' });
    expect(mine[1]!.body).toMatchObject({ legs: 'aleg', aleg_method: 'POST', aleg_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/plivo\/transfer\?to=%2B15005550199$/) });
    // Plivo (the sandbox) fetched the transfer XML from the server, signed V3; the server dialled the target.
    expect(mine[1]!.fetched).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number>15005550199</Number></Dial></Response>');
    expect(mine[1]!.whisper).toBeUndefined();
    // Warm: the Dial's confirmSound is the server's whisper, which Plivo fetches (signed) when the person answers.
    await call.transferCall('sip:agent@pbx.example.com', { summary: 'Order 1234 & a refund.' });
    // Voicemail: a transfer to XML that speaks the message and hangs up.
    await call.leaveMessage('Please call us back.');
    const more = sandbox.carriers.actions('plivo').filter((a) => a.callId === call.callId).slice(3);
    expect(more[0]!.fetched).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?><Response><Dial confirmSound="http:\/\/127\.0\.0\.1:\d+\/plivo\/whisper\?summary=Order\+1234\+%26\+a\+refund\."><User>sip:agent@pbx\.example\.com<\/User><\/Dial><\/Response>$/);
    expect(more[0]!.whisper).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Speak>Order 1234 &amp; a refund.</Speak></Response>');
    expect(more[1]!.fetched).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Speak>Please call us back.</Speak><Hangup/></Response>');
    carrier.hangUp();
    await carrier.closed;
  });

  it('Vonage: warm transfer whispers the summary through onAnswer (NCCO talk), DTMF (w -> p), hangup', async () => {
    const uuid = '63f61863-4a51-4f6b-86e1-46edebcf9356';
    const { carrier, call } = await startCall('vonage', vonageWire(16000), { uuid, from: '+447700900001', to: '+15005550001' });
    expect(call).toMatchObject({ carrier: 'vonage', callId: uuid, capabilities: { warmTransfer: true } });
    const summary = 'Ana Ruiz, order 1234, wants a refund for a damaged parcel.';
    await call.transferCall('+15005550199', { summary });
    await call.sendDtmf('1w2');
    await call.endCall();
    const mine = sandbox.carriers.actions('vonage').filter((a) => a.callId === uuid);
    expect(mine.map((a) => a.action)).toEqual(['transfer', 'send_dtmf', 'hangup']);
    expect(mine[0]!.body).toEqual({
      action: 'transfer',
      destination: {
        type: 'ncco',
        ncco: [{ action: 'connect', from: '15005550001', endpoint: [{ type: 'phone', number: '15005550199', onAnswer: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/vonage\/whisper\?summary=Ana\+Ruiz/) } }] }],
      },
    });
    expect(JSON.parse(mine[0]!.fetched!)).toEqual([{ action: 'talk', text: summary }]);
    expect(mine[1]!.body).toEqual({ digits: '1p2' });
    expect(mine[2]!.body).toEqual({ action: 'hangup' });
    await expect(call.transferCall('sip:agent@pbx.example.com', { summary })).rejects.toMatchObject({ code: 'unsupported' });
    await expect(call.transferCall('+15005550199', { summary: 'x'.repeat(601) })).rejects.toMatchObject({ code: 'invalid' });
    const tools = callControlTools(call, { transferTargets: { sales: '+15005550199' } });
    expect(JSON.stringify(tools[1]!.parameters)).toContain('summary');
    carrier.hangUp();
    await carrier.closed;
  });

  it('Exotel: no REST API for a Voicebot call: endCall closes the stream (1000), transfer and DTMF are typed errors', async () => {
    const { carrier, call } = await startCall('exotel', exotelWire(8000));
    expect(call).toMatchObject({ carrier: 'exotel', callId: 'CAxxxxxxxxxxxxxxxxxxxxxxxx', capabilities: { transfer: false, warmTransfer: false, sendDtmf: false } });
    const transfer = call.transferCall('+15005550199').catch((e: unknown) => e);
    expect(await transfer).toBeInstanceOf(CallControlError);
    expect(await transfer).toMatchObject({ code: 'unsupported', carrier: 'exotel', action: 'transferCall' });
    await expect(call.sendDtmf('1')).rejects.toMatchObject({ code: 'unsupported', action: 'sendDtmf' });
    // Only end_call is offered, whatever is asked for.
    expect(callControlTools(call, { transferTargets: { sales: '+15005550199' }, sendDtmf: true }).map((t) => t.name)).toEqual(['end_call']);
    await call.endCall();
    expect((await carrier.closed).code).toBe(1000);
  });

  it('carrier failures are CallControlErrors with the status and without the credentials', async () => {
    const badKey = telnyxCallControl({ apiKey: 'not valid', baseUrl: sandbox.url }, 'v3:x');
    const failed = await badKey.endCall().then(() => new CallControlError("carrier", "telnyx", "endCall", "did not fail"), (e: unknown) => e as CallControlError);
    expect(failed).toMatchObject({ code: 'carrier', status: 401, carrier: 'telnyx', action: 'endCall' });
    expect(failed.message).toMatch(/telnyx 401: Authentication failed/);
    const badPem = vonageCallControl({ applicationId: 'a', privateKey: '-----BEGIN PRIVATE KEY-----\nsecret-bytes\n-----END PRIVATE KEY-----', baseUrl: sandbox.url }, 'u', () => '');
    const pemFailed = await badPem.endCall().then(() => new CallControlError("carrier", "telnyx", "endCall", "did not fail"), (e: unknown) => e as CallControlError);
    expect(pemFailed).toMatchObject({ code: 'carrier', carrier: 'vonage' });
    expect(pemFailed.message).not.toContain('secret-bytes');
    const unreachable = telnyxCallControl({ apiKey: TELNYX_KEY, baseUrl: 'http://127.0.0.1:9' }, 'v3:x');
    const down = await unreachable.endCall().then(() => new CallControlError("carrier", "telnyx", "endCall", "did not fail"), (e: unknown) => e as CallControlError);
    expect(down).toMatchObject({ code: 'carrier', status: undefined });
    expect(down.message).not.toContain(TELNYX_KEY);
  });

  it('the sandbox REST APIs are hostile-edge safe: bad auth, bad JSON, huge bodies, unknown commands', async () => {
    const telnyx = (path: string, body: string, auth = `Bearer ${TELNYX_KEY}`) =>
      fetch(`${sandbox.url}/v2/calls/v3:x/actions/${path}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
    expect((await telnyx('hangup', '{}', '')).status).toBe(401);
    expect((await telnyx('hangup', '[1,')).status).toBe(400);
    expect((await telnyx('reboot', '{}')).status).toBe(404);
    expect((await telnyx('transfer', '{"to":7}')).status).toBe(422);
    expect((await telnyx('send_dtmf', JSON.stringify({ digits: '1'.repeat(100) }))).status).toBe(422);
    expect((await telnyx('hangup', JSON.stringify({ pad: 'x'.repeat(70_000) }))).status).toBe(413);
    const plivo = await fetch(`${sandbox.url}/v1/Account/${PLIVO_ID}/Call/c/`, { method: 'DELETE', headers: { authorization: `Basic ${Buffer.from(`other:${PLIVO_TOKEN}`).toString('base64')}` } });
    expect(plivo.status).toBe(401);
    const vonage = await fetch(`${sandbox.url}/v1/calls/u`, { method: 'PUT', headers: { authorization: 'Bearer a.b.c', 'content-type': 'application/json' }, body: '{"action":"hangup"}' });
    expect(vonage.status).toBe(401);
    expect((await fetch(`${sandbox.url}/v1/calls/%E0%A4%A`, { method: 'PUT' })).status).toBe(400); // a broken escape: 400, not a crash
    // Twilio's sandbox too: a body over 64 KiB is a 413 in Twilio's error shape, not a 500.
    const huge = await fetch(`${sandbox.url}/2010-04-01/Accounts/AC1/Calls.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('AC1:token').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `To=%2B1&From=%2B2&Twiml=${'x'.repeat(70_000)}`,
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ code: 20001, status: 413 });
  });
});
