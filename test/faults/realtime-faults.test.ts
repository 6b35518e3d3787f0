import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realtimePipeline, type RealtimePipelineOptions } from '../../pipelines/realtime.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import type { PipelineEvent } from '../../src/events.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { FaultRule, Scenario } from '../../src/sandbox/types.js';
import { callTurnByTurn, digest, fixtureTurns, ofType, replyAudioMs } from './support/call.js';

/**
 * Provider faults injected by the sandbox into the realtime chain (local vad, ElevenLabs speaking the
 * model's text), on the demo call's real audio. The fault hits the first turn's session; the outcome is
 * checked and the NEXT turn must still be answered with speech.
 */

const BASE: Scenario = {
  utterances: [{ transcript: "What's the weather like in Paris today?" }, { transcript: 'Can you book me a table for two at eight?' }, { transcript: "Thanks, that's all." }],
  replies: [
    { match: 'weather', reply: 'It is sunny in Paris today, about twenty degrees, with a light breeze from the west.' },
    { match: 'table', reply: 'Done, booked at eight.' },
    { match: 'thanks', reply: 'Goodbye!' },
  ],
};

let sandbox: Sandbox;
let turns: AudioFrame[][];
beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant', scenario: BASE });
  turns = (await fixtureTurns('call-3turns')).turns;
});
afterAll(async () => sandbox.close());

let calls = 0;
async function run(faults: FaultRule[], options: Partial<RealtimePipelineOptions> = {}, target: Sandbox = sandbox, turnCount = 2) {
  target.setScenario({ ...BASE, faults });
  const before = target.stats.requests.realtime;
  const result = await callTurnByTurn(
    turns.slice(0, turnCount),
    realtimePipeline({ endpoints: resolveEndpoints({}, target.url), callId: `realtime-fault-${++calls}`, bargeIn: false, systemPrompt: 'Be brief.', ...options }),
  );
  return { events: result.events, sessions: target.stats.requests.realtime - before };
}

function expectTurnAnswered(events: PipelineEvent[], turnId: string, reply: string) {
  const summary = digest(events);
  expect(ofType(events, 'assistant.done').find((e) => e.turnId === turnId)?.text, summary).toBe(reply);
  expect(replyAudioMs(events, turnId), summary).toBeGreaterThan(500);
}
const SECOND = 'Done, booked at eight.';
const FIRST = BASE.replies![0]!.reply!;

describe('realtimePipeline() under provider faults (sandbox, real audio)', () => {
  it('socket closed (1011) mid-reply: reconnects, the reply goes on without repeating, no error; turn 2 works', async () => {
    const { events, sessions } = await run([{ surface: 'realtime', request: 1, fault: { kind: 'ws_close', afterChunks: 3 } }]);
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(sessions).toBeGreaterThanOrEqual(2);
    expectTurnAnswered(events, 'turn-1', FIRST);
    // The text streamed for turn 1 is the reply once, not the part before the drop twice.
    const text = ofType(events, 'assistant.text').filter((e) => e.turnId === 'turn-1').map((e) => e.delta).join('');
    expect(text.replace(/\s+/g, ' ').trim()).toBe(FIRST);
    expectTurnAnswered(events, 'turn-2', SECOND);
  });

  it('TCP reset mid-reply: reconnects, no error; turn 2 works', async () => {
    const { events, sessions } = await run([{ surface: 'realtime', request: 1, fault: { kind: 'reset', afterChunks: 2 } }]);
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(sessions).toBeGreaterThanOrEqual(2);
    expectTurnAnswered(events, 'turn-1', FIRST);
    expectTurnAnswered(events, 'turn-2', SECOND);
  });

  it('upgrade refused with 503 once: the session is retried, no error', async () => {
    const { events, sessions } = await run([{ surface: 'realtime', request: 1, fault: { kind: 'http_503' } }]);
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(sessions).toBeGreaterThanOrEqual(2);
    expectTurnAnswered(events, 'turn-1', FIRST);
    expectTurnAnswered(events, 'turn-2', SECOND);
  });

  it('an error event from the server mid-reply: ONE typed realtime error for the turn, and turn 2 works', async () => {
    const { events } = await run([{ surface: 'realtime', request: 1, fault: { kind: 'realtime_error', afterChunks: 2 } }]);
    const errors = ofType(events, 'error');
    expect(errors, digest(events)).toHaveLength(1);
    for (const e of errors) expect(e).toMatchObject({ stage: 'realtime', code: 'provider_error' });
    expect(errors.every((e) => e.turnId === undefined || e.turnId === 'turn-1')).toBe(true);
    expectTurnAnswered(events, 'turn-2', SECOND);
  });

  it('a malformed WebSocket message mid-reply: one protocol error for the turn, and turn 2 works', async () => {
    const { events } = await run([{ surface: 'realtime', request: 1, fault: { kind: 'malformed', afterChunks: 2 } }]);
    const errors = ofType(events, 'error');
    expect(errors, digest(events)).toHaveLength(1);
    expect(errors[0]).toMatchObject({ stage: 'realtime', code: 'protocol', turnId: 'turn-1' });
    expectTurnAnswered(events, 'turn-2', SECOND);
  });

  it('a reply stalled past stallTimeoutMs: asked again on a fresh session, answered, no error', async () => {
    const { events, sessions } = await run([{ surface: 'realtime', request: 1, fault: { kind: 'stall', stallMs: 5000, afterChunks: 2 } }], { stallTimeoutMs: 800 });
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(sessions).toBeGreaterThanOrEqual(2);
    expectTurnAnswered(events, 'turn-1', FIRST);
    expectTurnAnswered(events, 'turn-2', SECOND);
  });

  it('a stalled reply (1.5 s, under the stall timeout): completes late, no error', async () => {
    const { events } = await run([{ surface: 'realtime', request: 1, fault: { kind: 'stall', stallMs: 1500, afterChunks: 2 } }]);
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expectTurnAnswered(events, 'turn-1', FIRST);
    expectTurnAnswered(events, 'turn-2', SECOND);
  });

  it('the socket drops and every reconnect is refused: one connection error naming the turn after the bounded attempts', async () => {
    const { events, sessions } = await run(
      [
        { surface: 'realtime', request: 1, fault: { kind: 'ws_close', afterChunks: 2 } },
        { surface: 'realtime', request: 2, count: Infinity, fault: { kind: 'http_503' } },
      ],
      { maxReconnects: 2 },
      sandbox,
      1,
    );
    const errors = ofType(events, 'error');
    expect(errors, digest(events)).toHaveLength(1);
    expect(errors[0]).toMatchObject({ stage: 'realtime', code: 'connection', turnId: 'turn-1', retryable: false });
    expect(errors[0]!.message).toMatch(/gave up after 2 reconnect attempts/);
    expect(sessions).toBe(3);
  });
});

describe('a realtime session that expires mid-call', () => {
  let short: Sandbox;
  beforeAll(async () => {
    short = await startSandbox({ profile: 'instant', scenario: BASE, maxSessionMs: 2500 });
  });
  afterAll(async () => short.close());

  it('reconnects with the conversation so far; all three turns are answered, no error', async () => {
    const { events, sessions } = await run([], {}, short, 3);
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(sessions).toBeGreaterThanOrEqual(2);
    expectTurnAnswered(events, 'turn-1', FIRST);
    expectTurnAnswered(events, 'turn-2', SECOND);
    expectTurnAnswered(events, 'turn-3', 'Goodbye!');
  });
});
