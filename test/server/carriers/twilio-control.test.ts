import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tap } from 'rxjs';
import type { PipelineEvent } from '../../../src/events.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { callControlTools, serve, TwilioRest } from '../../../src/server/index.js';
import type { PipelineChoice, RunningServer } from '../../../src/server/types.js';
import { sandboxPipelineFactory } from '../support/real-pipelines.js';

const ACCOUNT = 'AC00000000000000000000000000000042';
const TOKEN = 'twilio-auth-token';
const until = async (check: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};

/**
 * Outbound calls end to end, offline: `server.placeCall()` creates the call over the sandbox's Twilio REST
 * API; the sandbox's simulated callee opens the media stream back to the server (signed) and speaks; the
 * cascaded pipeline answers; the model's built-in tools transfer or hang up over the same REST API.
 */
describe.concurrent('Twilio calls placed through the sandbox REST API, with call control', () => {
  let sandbox: Sandbox;
  let server: RunningServer;
  const events = new Map<string, PipelineEvent[]>();
  const choices: PipelineChoice[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: {
        utterances: [{ transcript: 'Hello?' }, { transcript: 'Can you put me through to sales?' }],
        replies: [
          { match: 'sales', toolCall: { name: 'transfer_call', arguments: { target: 'sales' } }, afterTool: 'Putting you through.' },
          { match: 'hello', reply: 'Hi, this is the clinic calling about your appointment.' },
        ],
      },
      twilio: {
        callees: {
          '+15005550101': { kind: 'person', says: ['Hello?', 'Can you put me through to sales?'], gapMs: 2500 },
          '+15005550102': { kind: 'person', says: ['Hello?'] },
          '+15005550104': { kind: 'person', says: ['Hello?'] },
        },
      },
    });
    const factory = await sandboxPipelineFactory(sandbox.url, 'cascaded', (choice) => ({
      tools: choice.call ? callControlTools(choice.call, { transferTargets: { sales: '+15005550199' } }) : [],
    }));
    server = await serve({
      staticDir: false,
      allow: { pipelines: ['cascaded'] },
      twilio: { accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: sandbox.url },
      pipelineFactory: (choice) => {
        choices.push(choice);
        const seen: PipelineEvent[] = [];
        events.set(choice.customParameters?.To ?? '', seen);
        return (source) => source.pipe(factory(choice), tap((e) => seen.push(e)));
      },
    });
  });

  afterAll(async () => {
    await server?.close(1000);
    await sandbox?.close();
  });

  it('places a call, the callee answers and asks for sales, the model transfers the call (cold) over REST', async () => {
    const placed = await server.placeCall({ to: '+15005550101', from: '+15005550006' });
    expect(placed).toMatchObject({ status: 'queued', to: '+15005550101', from: '+15005550006', direction: 'outbound-api' });
    expect(placed.sid).toMatch(/^CA[0-9a-f]{32}$/);
    const call = () => sandbox.twilio.call(placed.sid)!;
    // The create's TwiML connected the answered call to the server's stream.
    expect(call().twiml[0]).toMatch(/<Connect><Stream url="ws:\/\/127\.0\.0\.1:\d+\/twilio"><Parameter name="Direction" value="outbound"\/>/);
    await until(() => call().transferredTo !== undefined);
    expect(call().transferredTo).toBe('+15005550199');
    expect(call().twiml[1]).toBe('<Response><Dial><Number>+15005550199</Number></Dial></Response>');
    // New TwiML ends the stream: Twilio sends stop, the server ends the call in order.
    await until(() => call().streams[0]!.closeCode !== undefined);
    expect(call().streams[0]!.closeCode).toBe(1000);
    expect(call().streams[0]!.mediaBytes).toBeGreaterThan(8000); // the agent spoke to the callee
    const seen = events.get('+15005550101')!;
    expect(seen.filter((e) => e.type === 'transcript' && e.final).map((e) => (e.type === 'transcript' ? e.text : ''))).toEqual(['Hello?', 'Can you put me through to sales?']);
    expect(seen.find((e) => e.type === 'tool.call')).toMatchObject({ name: 'transfer_call', arguments: '{"target":"sales"}' });
    expect(seen.find((e) => e.type === 'tool.result')).toMatchObject({ isError: false, output: '{"transferred":true,"target":"sales"}' });
  });

  it('session methods: sendDtmf plays the keys and reconnects the stream; endCall hangs up', async () => {
    const placed = await server.placeCall({ to: '+15005550102', from: '+15005550006', parameters: { pipeline: 'cascaded' } });
    const call = () => sandbox.twilio.call(placed.sid)!;
    await until(() => choices.some((c) => c.call?.callId === placed.sid));
    const control = choices.find((c) => c.call?.callId === placed.sid)!.call!;
    await control.sendDtmf('12#');
    expect(call().digitsPlayed).toEqual(['12#']);
    // The DTMF TwiML plays the digits, then connects a new stream to the server with the same parameters.
    expect(call().twiml[1]).toMatch(/^<Response><Play digits="12#"\/><Connect><Stream url="ws:\/\/127\.0\.0\.1:\d+\/twilio"><Parameter name="pipeline" value="cascaded"\/><Parameter name="Direction" value="outbound"\/>/);
    await until(() => call().streams.length === 2);
    await until(() => choices.filter((c) => c.call?.callId === placed.sid).length === 2);
    await control.endCall();
    expect(call().status).toBe('completed');
    await until(() => call().streams[1]!.closeCode !== undefined);
    expect(call().streams[1]!.closeCode).toBe(1000);
    await expect(control.sendDtmf('1<Hangup/>')).rejects.toThrow(/digits/);
    await expect(control.transferCall('+1555"/><Hangup/>')).rejects.toThrow(/E\.164/);
  });

  it('warm transfer: <Dial><Number url> whispers the summary; the sandbox fetches /twilio/whisper signed, as Twilio does', async () => {
    const placed = await server.placeCall({ to: '+15005550104', from: '+15005550006' });
    const call = () => sandbox.twilio.call(placed.sid)!;
    await until(() => choices.some((c) => c.call?.callId === placed.sid));
    const control = choices.find((c) => c.call?.callId === placed.sid)!.call!;
    expect(control.capabilities).toEqual({ transfer: true, warmTransfer: true, sendDtmf: true, leaveMessage: true });
    const summary = 'Ana Ruiz is calling about order 1234 & wants a refund.';
    await control.transferCall('+15005550199', { summary });
    expect(call().twiml[1]).toMatch(/^<Response><Dial><Number url="http:\/\/127\.0\.0\.1:\d+\/twilio\/whisper\?summary=Ana\+Ruiz[^"]*">\+15005550199<\/Number><\/Dial><\/Response>$/);
    expect(call().transferredTo).toBe('+15005550199');
    expect(call().whisper).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Ana Ruiz is calling about order 1234 &amp; wants a refund.</Say></Response>');
    // The whisper URL answers Twilio only: unsigned, or signed over another summary, is refused.
    const url = /url="([^"]+)"/.exec(call().twiml[1]!)![1]!.replace(/&amp;/g, '&');
    expect((await fetch(url, { method: 'POST', body: '' })).status).toBe(401);
    await until(() => call().streams[0]!.closeCode !== undefined);
    await expect(control.transferCall('+15005550199', { summary: '' })).rejects.toMatchObject({ code: 'invalid' });
  });

  it('the sandbox REST API speaks Twilio: basic auth (20003), missing To (21201), unknown call (20404)', async () => {
    const bad = new TwilioRest({ accountSid: ACCOUNT, authToken: '', baseUrl: sandbox.url });
    await expect(bad.createCall({ to: '+1', from: '+2', twiml: '<Response/>' })).rejects.toMatchObject({ status: 401, code: 20003 });
    const rest = new TwilioRest({ accountSid: ACCOUNT, authToken: TOKEN, baseUrl: sandbox.url });
    await expect(rest.createCall({ to: '', from: '+2', twiml: '<Response/>' })).rejects.toMatchObject({ status: 400, code: 21201 });
    await expect(rest.fetchCall('CA0000')).rejects.toMatchObject({ status: 404, code: 20404 });
    const res = await fetch(`${sandbox.url}/2010-04-01/Accounts/${ACCOUNT}/Calls.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+15005550103', From: '+15005550006', Url: 'https://example.com/twiml' }).toString(),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ api_version: '2010-04-01', status: 'queued', account_sid: ACCOUNT, uri: expect.stringMatching(/^\/2010-04-01\/Accounts\/AC0+42\/Calls\/CA[0-9a-f]{32}\.json$/) });
  });
});
