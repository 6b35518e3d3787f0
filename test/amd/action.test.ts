import { describe, expect, it } from 'vitest';
import { AnsweringMachineAction, type AnsweringMachineOptions, type CallCapabilities, type CallControl } from '../../src/server/index.js';
import { AMD_FIXTURES, calleeAudio } from '../../src/sandbox/index.js';

const fixture = async (name: string) => calleeAudio(AMD_FIXTURES.find((f) => f.name === name)!.script);
type Decision = Parameters<NonNullable<AnsweringMachineOptions['onDecision']>>[0];

/** A CallControl that records what was done, and at which point of the fed audio. */
function fakeCall(leaveMessage = true) {
  const done: { what: string; atFrame: number }[] = [];
  let frame = 0;
  const capabilities: CallCapabilities = { transfer: true, warmTransfer: false, sendDtmf: true, leaveMessage };
  const call: CallControl = {
    carrier: 'twilio',
    callId: 'CA1',
    capabilities,
    endCall: async () => void done.push({ what: 'hangup', atFrame: frame }),
    transferCall: async () => undefined,
    sendDtmf: async () => undefined,
    leaveMessage: async (text) => void done.push({ what: `message: ${text}`, atFrame: frame }),
  };
  return { call, done, tick: () => frame++ };
}

/** Feeds 20 ms frames (8 kHz) like a call would, counting frames. */
function feed(action: AnsweringMachineAction, samples: Int16Array, tick: () => void, fromMs = 0, toMs = Infinity): void {
  for (let i = fromMs * 8; i < Math.min(samples.length, toMs * 8); i += 160) {
    tick();
    action.push(samples.subarray(i, i + 160), 8000);
  }
}

describe('AnsweringMachineAction (espeak-ng fixtures, audio time only)', () => {
  it('leave-message: decides machine from the greeting, then waits for the beep before leaving the message', async () => {
    const audio = await fixture('default-beep');
    const { call, done, tick } = fakeCall();
    const decisions: Decision[] = [];
    const action = new AnsweringMachineAction({ onMachine: 'leave-message', message: 'Call us back.', onDecision: (d) => decisions.push(d) }, call, () => {});
    feed(action, audio, tick);
    expect(done).toHaveLength(1);
    expect(done[0]!.what).toBe('message: Call us back.');
    expect(decisions).toHaveLength(1);
    const decision = decisions[0]!;
    expect(decision).toMatchObject({ answeredBy: 'machine', action: 'leave-message' });
    // The verdict came early (greeting length); the message only once the beep had ended.
    expect(decision.beepAtMs).toBeGreaterThan(decision.atMs);
    expect(done[0]!.atFrame * 20).toBeGreaterThanOrEqual(decision.beepAtMs!);
    expect(done[0]!.atFrame * 20).toBeLessThan(decision.beepAtMs! + 100);
  });

  it('a machine without a beep gets the message after beepTimeoutMs more audio; hangup acts at the verdict', async () => {
    const noBeep = AMD_FIXTURES.find((f) => f.name === 'away-no-beep');
    expect(noBeep).toBeDefined();
    const audio = await calleeAudio(noBeep!.script);
    const padded = new Int16Array(audio.length + 8000 * 8);
    padded.set(audio);
    const leave = fakeCall();
    const decisions: Decision[] = [];
    const action = new AnsweringMachineAction({ onMachine: 'leave-message', message: 'Hi.', beepTimeoutMs: 3000, onDecision: (d) => decisions.push(d) }, leave.call, () => {});
    feed(action, padded, leave.tick);
    expect(leave.done.map((d) => d.what)).toEqual(['message: Hi.']);
    expect(leave.done[0]!.atFrame * 20 - decisions[0]!.atMs).toBeGreaterThanOrEqual(3000);

    const hang = fakeCall();
    const hangup = new AnsweringMachineAction({ onMachine: 'hangup' }, hang.call, () => {});
    feed(hangup, padded, hang.tick);
    expect(hang.done.map((d) => d.what)).toEqual(['hangup']);
    expect(hang.done[0]!.atFrame * 20).toBeLessThan(3000);
  });

  it('a person is left alone; a carrier verdict of machine after it still acts; a carrier without leaveMessage hangs up', async () => {
    const hello = await fixture('hello');
    const { call, done, tick } = fakeCall(false);
    const decisions: Decision[] = [];
    const logs: string[] = [];
    const action = new AnsweringMachineAction({ onMachine: 'leave-message', message: 'Hi.', onDecision: (d) => decisions.push(d) }, call, (line) => logs.push(line));
    feed(action, hello, tick);
    expect(decisions).toEqual([expect.objectContaining({ answeredBy: 'human', action: 'none' })]);
    expect(done).toEqual([]);
    action.carrier('machine_end_beep');
    expect(decisions[1]).toMatchObject({ answeredBy: 'machine', reason: 'carrier', action: 'hangup' });
    expect(done.map((d) => d.what)).toEqual(['hangup']);
    expect(logs.some((l) => /cannot leave a message/.test(l))).toBe(true);
    // Acts once: more audio or verdicts change nothing.
    action.carrier('machine_start');
    feed(action, hello, tick);
    expect(done).toHaveLength(1);
  });
});
