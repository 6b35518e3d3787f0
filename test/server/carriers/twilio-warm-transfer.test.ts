import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tap } from 'rxjs';
import type { PipelineEvent } from '../../../src/events.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { callControlTools, serve } from '../../../src/server/index.js';
import type { RunningServer } from '../../../src/server/types.js';
import { sandboxPipelineFactory } from '../support/real-pipelines.js';

const until = async (check: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};
const SUMMARY = 'Ana Ruiz wants to upgrade her plan to the business tier.';

/**
 * The model transfers warm: the callee asks for sales, the model calls `transfer_call` with a summary,
 * the server sends `<Dial><Number url>`, and the sandbox (as Twilio) fetches the whisper the person taking
 * over hears. All offline: sandbox REST API, simulated callee, cascaded pipeline.
 */
describe('warm transfer by the model (Twilio sandbox, cascaded pipeline)', () => {
  let sandbox: Sandbox;
  let server: RunningServer;
  const seen: PipelineEvent[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: {
        utterances: [{ transcript: 'Hello?' }, { transcript: 'Can you put me through to sales?' }],
        replies: [
          { match: 'sales', toolCall: { name: 'transfer_call', arguments: { target: 'sales', summary: SUMMARY } }, afterTool: 'Putting you through now.' },
          { match: 'hello', reply: 'Hi, this is the phone company calling about your plan.' },
        ],
      },
      twilio: { callees: { '+15005550121': { kind: 'person', says: ['Hello?', 'Can you put me through to sales?'], gapMs: 2500 } } },
    });
    const factory = await sandboxPipelineFactory(sandbox.url, 'cascaded', (choice) => ({
      tools: choice.call ? callControlTools(choice.call, { transferTargets: { sales: '+15005550199' } }) : [],
    }));
    server = await serve({
      staticDir: false,
      allow: { pipelines: ['cascaded'] },
      twilio: { accountSid: 'AC00000000000000000000000000000055', authToken: 'twilio-auth-token', apiBaseUrl: sandbox.url },
      pipelineFactory: (choice) => (source) => source.pipe(factory(choice), tap((e) => seen.push(e))),
    });
  });

  afterAll(async () => {
    await server?.close(1000);
    await sandbox?.close();
  });

  it('transfer_call with a summary: the person taking over hears it before the caller is connected', async () => {
    const placed = await server.placeCall({ to: '+15005550121', from: '+15005550006' });
    const call = () => sandbox.twilio.call(placed.sid)!;
    await until(() => call().whisper !== undefined);
    expect(call().transferredTo).toBe('+15005550199');
    expect(call().twiml[1]).toContain('<Dial><Number url="http://127.0.0.1:');
    expect(call().whisper).toBe(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>${SUMMARY}</Say></Response>`);
    await until(() => seen.some((e) => e.type === 'tool.result'));
    expect(seen.find((e) => e.type === 'tool.call')).toMatchObject({ name: 'transfer_call' });
    expect(seen.find((e) => e.type === 'tool.result')).toMatchObject({ isError: false, output: '{"transferred":true,"target":"sales","warm":true}' });
  });
});
