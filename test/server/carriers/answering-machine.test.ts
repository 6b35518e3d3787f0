import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { serve } from '../../../src/server/index.js';
import type { AnsweringMachineOptions } from '../../../src/server/carriers/amd-action.js';
import type { RunningServer, ServeOptions } from '../../../src/server/types.js';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { echoPipeline } from '../support/fake-pipeline.js';

const ACCOUNT = 'AC00000000000000000000000000000077';
const TOKEN = 'twilio-auth-token';
const MESSAGE = 'Hi Sam, this is the clinic about your appointment. Please call us back.';
const until = async (check: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};
type Decision = Parameters<NonNullable<AnsweringMachineOptions['onDecision']>>[0];

/**
 * Outbound calls that a machine answers, end to end offline: the sandbox's callee is a voicemail greeting
 * ending in a beep (espeak-ng) or a person; the server's answering-machine handling decides from the
 * callee's audio (or Twilio's asynchronous AMD verdict, which the sandbox posts signed) and acts over the
 * REST API: leave the message after the beep (`<Say>` + `<Hangup/>`), or hang up.
 */
describe.concurrent('answering machine on outbound calls (Twilio sandbox)', () => {
  let sandbox: Sandbox;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      twilio: {
        callees: {
          '+15005550111': { kind: 'voicemail' },
          '+15005550112': { kind: 'voicemail' },
          '+15005550113': { kind: 'person', says: ['Hello?'] },
        },
      },
    });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close(200)));
    await sandbox?.close();
  });

  const server = async (answeringMachine: AnsweringMachineOptions, extra: Partial<ServeOptions> = {}) => {
    const s = await serve({ staticDir: false, twilio: { accountSid: ACCOUNT, authToken: TOKEN, apiBaseUrl: sandbox.url }, answeringMachine, pipelineFactory: (c) => echoPipeline(c), ...extra });
    servers.push(s);
    return s;
  };

  it('leave-message: a voicemail is told apart from its audio, the message is left after the beep, then the call ends', async () => {
    const decisions: Decision[] = [];
    const s = await server({ onMachine: 'leave-message', message: MESSAGE, onDecision: (d) => decisions.push(d) });
    const placed = await s.placeCall({ to: '+15005550111', from: '+15005550006' });
    const call = () => sandbox.twilio.call(placed.sid)!;
    await until(() => call().said.length > 0);
    expect(call().said).toEqual([MESSAGE]);
    expect(call().twiml.at(-1)).toBe(`<Response><Say>${MESSAGE}</Say><Hangup/></Response>`);
    expect(call().status).toBe('completed');
    expect(decisions).toHaveLength(1);
    const [decision] = decisions;
    expect(decision).toMatchObject({ answeredBy: 'machine', action: 'leave-message' });
    expect(['long_greeting', 'beep']).toContain(decision!.reason);
    // The message waited for the beep: the beep ended after the decision, past the greeting.
    expect(decision!.beepAtMs).toBeGreaterThan(decision!.atMs);
    expect(decision!.beepAtMs).toBeGreaterThan(3000);
    await until(() => call().streams[0]!.closeCode !== undefined);
    expect(call().streams[0]!.closeCode).toBe(1000);
  });

  it('hangup on Twilio’s own verdict: AsyncAmd posts machine_end_beep to /twilio/amd (signed), which wins', async () => {
    const decisions: Decision[] = [];
    // A local detector that never decides on this greeting: the verdict can only be Twilio's.
    const deaf = { maxHumanGreetingMs: 60_000, endOfGreetingMs: 60_000, silenceTimeoutMs: 60_000, decisionTimeoutMs: 60_000, minBeepMs: 60_000 };
    const s = await server({ onMachine: 'hangup', detector: deaf, onDecision: (d) => decisions.push(d) });
    const placed = await s.placeCall({ to: '+15005550112', from: '+15005550006', machineDetection: true });
    const call = () => sandbox.twilio.call(placed.sid)!;
    await until(() => call().status === 'completed');
    expect(call().answeredBy).toBe('machine_end_beep');
    expect(decisions).toEqual([expect.objectContaining({ answeredBy: 'machine', reason: 'carrier', action: 'hangup' })]);
    expect(call().said).toEqual([]);
  });

  it('a person answering is left alone (action none) and the call goes on; the verdict is in the turn log', async () => {
    const decisions: Decision[] = [];
    const dir = await mkdtemp(join(tmpdir(), 'rxvoice-amd-'));
    const s = await server({ onMachine: 'hangup', onDecision: (d) => decisions.push(d) }, { recording: { dir } });
    const placed = await s.placeCall({ to: '+15005550113', from: '+15005550006' });
    const call = () => sandbox.twilio.call(placed.sid)!;
    await until(() => decisions.length > 0);
    expect(decisions).toEqual([expect.objectContaining({ answeredBy: 'human', reason: 'short_greeting', action: 'none' })]);
    expect(call().status).toBe('in-progress');
    expect(call().twiml).toHaveLength(1); // nothing sent after the stream's TwiML
    const unsigned = await fetch(`${s.url}/twilio/amd`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `CallSid=${placed.sid}&AnsweredBy=machine_start` });
    expect(unsigned.status).toBe(401); // only Twilio can report a verdict
    await new Promise((r) => setTimeout(r, 100));
    expect(call().status).toBe('in-progress');
    await s.close(200);
    const file = (await readdir(dir)).find((f) => f.endsWith('.jsonl'))!;
    const log = (await readFile(join(dir, file), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log).toContainEqual(expect.objectContaining({ role: 'amd', answeredBy: 'human', reason: 'short_greeting', action: 'none' }));
  });
});
