import { describe, expect, it } from 'vitest';
import { cascaded } from '../../pipelines/cascaded.js';
import type { PipelineEvent } from '../../src/events.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { createOpenAIChatModel } from '../../src/providers/openai/chat.js';
import type { FaultRule, Scenario } from '../../src/sandbox/types.js';
import { callTurnByTurn, cascadedOnSandbox, demoCallOnSandbox, digest, ofType, replyAudioMs } from './support/call.js';

/**
 * Provider faults injected by the sandbox (instant profile) into the cascaded chain, on the demo call's
 * real audio with the real Silero vad. Each fault hits the FIRST turn; the documented outcome is checked
 * (retried within bounds, or one typed error for that turn) and the NEXT turn must still be answered
 * with speech.
 */

const BASE: Scenario = {
  utterances: [{ transcript: "What's the weather like in Paris today?" }, { transcript: 'Can you book me a table for two at eight?' }, { transcript: "Thanks, that's all." }],
  replies: [
    { match: 'weather', reply: 'It is sunny in Paris. About twenty degrees.' },
    { match: 'table', reply: 'Done, booked at eight.' },
    { match: 'thanks', reply: 'Goodbye!' },
  ],
};

const demo = demoCallOnSandbox(BASE, 2);

let calls = 0;
const run = (faults: FaultRule[], mode: 'streaming' | 'seed' = 'streaming', quietMs?: number) =>
  cascadedOnSandbox(demo, BASE, faults, { callId: `cascaded-fault-${++calls}`, mode, systemPrompt: 'Be brief.' }, quietMs === undefined ? {} : { quietMs });

function expectSecondTurnAnswered(events: PipelineEvent[]) {
  const summary = digest(events);
  const t2 = ofType(events, 'transcript').find((e) => e.turnId === 'turn-2' && e.final);
  expect(t2?.text, summary).toBe('Can you book me a table for two at eight?');
  expect(ofType(events, 'assistant.done').find((e) => e.turnId === 'turn-2')?.text, summary).toBe('Done, booked at eight.');
  expect(replyAudioMs(events, 'turn-2'), summary).toBeGreaterThan(500);
}

const metric = (events: PipelineEvent[], name: string, turnId = 'turn-1') =>
  ofType(events, 'metric').find((m) => m.name === name && m.turnId === turnId)?.valueMs;

describe('cascaded() under provider faults (sandbox, real audio)', () => {
  it('chat 429 with retry-after 1 s: retried after the wait, the turn is answered, no error', async () => {
    const events = await run([{ surface: 'chat', request: 1, fault: { kind: 'http_429', retryAfterS: 1 } }]);
    const summary = digest(events);
    expect(ofType(events, 'error'), summary).toEqual([]);
    expect(ofType(events, 'assistant.done').find((e) => e.turnId === 'turn-1')?.text, summary).toBe('It is sunny in Paris. About twenty degrees.');
    // The first token came at least the retry-after later than the transcript.
    expect(metric(events, 'llm_first_token')! - metric(events, 'transcript_final')!, summary).toBeGreaterThanOrEqual(950);
    expect(demo.sandbox.stats.requests.chat).toBeGreaterThanOrEqual(3);
    expectSecondTurnAnswered(events);
  });

  it('chat 500 then 503: retried with backoff, answered, no error', async () => {
    const events = await run([
      { surface: 'chat', request: 1, fault: { kind: 'http_500' } },
      { surface: 'chat', request: 2, fault: { kind: 'http_503' } },
    ]);
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(ofType(events, 'assistant.done').map((e) => e.turnId)).toEqual(['turn-1', 'turn-2']);
    expectSecondTurnAnswered(events);
  });

  it('chat 503 on every attempt: one llm error for turn 1 after the bounded retries, then turn 2 works', async () => {
    const events = await run([{ surface: 'chat', request: 1, count: 3, fault: { kind: 'http_503' } }]);
    // 3 attempts for turn 1 (all refused), 1 for turn 2: the bound held.
    expect(demo.sandbox.stats.requests.chat).toBe(4); // setScenario started the counts again
    const errors = ofType(events, 'error');
    expect(errors, digest(events)).toHaveLength(1);
    expect(errors[0]).toMatchObject({ turnId: 'turn-1', stage: 'llm', code: 'provider_error', retryable: true });
    expect(errors[0]!.message).toMatch(/overloaded|503/i);
    expect(ofType(events, 'assistant.done').some((e) => e.turnId === 'turn-1')).toBe(false);
    expectSecondTurnAnswered(events);
  });

  it('chat stream reset mid-reply: one connection error for turn 1, then turn 2 works', async () => {
    const events = await run([{ surface: 'chat', request: 1, fault: { kind: 'reset', afterChunks: 2 } }]);
    const errors = ofType(events, 'error');
    expect(errors, digest(events)).toHaveLength(1);
    expect(errors[0]).toMatchObject({ turnId: 'turn-1', stage: 'llm', code: 'connection' });
    expectSecondTurnAnswered(events);
  });

  it('malformed SSE line mid-reply: one protocol error for turn 1, then turn 2 works', async () => {
    const events = await run([{ surface: 'chat', request: 1, fault: { kind: 'malformed', afterChunks: 3 } }]);
    const errors = ofType(events, 'error');
    expect(errors, digest(events)).toHaveLength(1);
    expect(errors[0]).toMatchObject({ turnId: 'turn-1', stage: 'llm', code: 'protocol' });
    expectSecondTurnAnswered(events);
  });

  it('chat stream stalled past the stall timeout mid-reply: one timeout error for turn 1, then turn 2 works', async () => {
    demo.sandbox.setScenario({ ...BASE, faults: [{ surface: 'chat', request: 1, fault: { kind: 'stall', stallMs: 4000, afterChunks: 3 } }] });
    const callId = `cascaded-fault-${++calls}`;
    const endpoints = resolveEndpoints({}, demo.sandbox.url);
    const chatModel = createOpenAIChatModel({ endpoint: endpoints.openai, headers: { 'x-rxvoice-call': callId }, stallTimeoutMs: 800 });
    const { events } = await callTurnByTurn(demo.turns, cascaded({ endpoints, callId, bargeIn: false, systemPrompt: 'Be brief.', providers: { chatModel } }));
    const errors = ofType(events, 'error');
    expect(errors, digest(events)).toHaveLength(1);
    expect(errors[0]).toMatchObject({ turnId: 'turn-1', stage: 'llm', code: 'timeout' });
    expect(errors[0]!.message).toMatch(/stalled/);
    expectSecondTurnAnswered(events);
  });

  it('chat stream stalled before its first token past the stall timeout: retried, answered, no error', async () => {
    demo.sandbox.setScenario({ ...BASE, faults: [{ surface: 'chat', request: 1, fault: { kind: 'stall', stallMs: 4000, afterChunks: 0 } }] });
    const callId = `cascaded-fault-${++calls}`;
    const endpoints = resolveEndpoints({}, demo.sandbox.url);
    const chatModel = createOpenAIChatModel({ endpoint: endpoints.openai, headers: { 'x-rxvoice-call': callId }, stallTimeoutMs: 800 });
    const { events } = await callTurnByTurn(demo.turns, cascaded({ endpoints, callId, bargeIn: false, systemPrompt: 'Be brief.', providers: { chatModel } }));
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(ofType(events, 'assistant.done').find((e) => e.turnId === 'turn-1')?.text).toBe('It is sunny in Paris. About twenty degrees.');
    expectSecondTurnAnswered(events);
  });

  it('chat stream stalled 1.5 s (under the stall timeout): the reply arrives late and whole', async () => {
    const events = await run([{ surface: 'chat', request: 1, fault: { kind: 'stall', stallMs: 1500, afterChunks: 1 } }]);
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(ofType(events, 'assistant.done').find((e) => e.turnId === 'turn-1')?.text).toBe('It is sunny in Paris. About twenty degrees.');
    expectSecondTurnAnswered(events);
  });

  it('transcription 429 with retry-after 1 s: the utterance is re-sent after the wait, transcript arrives, no error', async () => {
    const events = await run([{ surface: 'transcribe', request: 1, fault: { kind: 'http_429', retryAfterS: 1 } }]);
    const summary = digest(events);
    expect(ofType(events, 'error'), summary).toEqual([]);
    expect(ofType(events, 'transcript').find((e) => e.turnId === 'turn-1' && e.final)?.text, summary).toBe("What's the weather like in Paris today?");
    expect(metric(events, 'transcript_final')!, summary).toBeGreaterThanOrEqual(950);
    expectSecondTurnAnswered(events);
  });

  it('transcription reset mid-upload: retried with the whole utterance, no error', async () => {
    const events = await run([{ surface: 'transcribe', request: 1, fault: { kind: 'reset', afterChunks: 0 } }]);
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(ofType(events, 'transcript').filter((e) => e.final).map((e) => e.turnId)).toEqual(['turn-1', 'turn-2']);
    expectSecondTurnAnswered(events);
  });

  it('transcription 500 on every attempt: the utterance ends in one error naming it (utteranceLost), then turn 2 works', async () => {
    const events = await run([{ surface: 'transcribe', request: 1, count: 3, fault: { kind: 'http_500' } }]);
    expect(demo.sandbox.stats.requests.transcribe).toBe(4); // 3 refused attempts for turn 1, 1 for turn 2
    const errors = ofType(events, 'error');
    expect(errors, digest(events)).toHaveLength(1);
    expect(errors[0]).toMatchObject({ turnId: 'turn-1', stage: 'transcribe', code: 'provider_error', utteranceLost: true });
    expect(ofType(events, 'transcript').some((e) => e.turnId === 'turn-1' && e.final)).toBe(false);
    // The sandbox's scenario does not advance on a refused request, so turn 2 hears the first sentence.
    const t2 = ofType(events, 'transcript').find((e) => e.turnId === 'turn-2' && e.final);
    expect(t2, digest(events)).toBeDefined();
    expect(replyAudioMs(events, 'turn-2')).toBeGreaterThan(500);
  });

  it('text-to-speech socket reset mid-reply: one tts error for turn 1, then turn 2 gets audio', async () => {
    const events = await run([{ surface: 'tts_ws', request: 1, fault: { kind: 'reset', afterChunks: 2 } }]);
    const errors = ofType(events, 'error');
    expect(errors.length, digest(events)).toBeGreaterThanOrEqual(1);
    expect(errors.every((e) => e.turnId === 'turn-1' && e.stage === 'tts')).toBe(true);
    expect(ofType(events, 'assistant.done').find((e) => e.turnId === 'turn-1')).toBeDefined();
    expectSecondTurnAnswered(events);
  });

  it('text-to-speech socket stalled 1.5 s mid-reply: no client-side TTS stall timeout, so the audio resumes late, no error', async () => {
    // The caller waits out the silence (2.5 s) instead of speaking again, or the new turn would end the reply.
    const events = await run([{ surface: 'tts_ws', request: 1, fault: { kind: 'stall', stallMs: 1500, afterChunks: 2 } }], 'streaming', 2500);
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(replyAudioMs(events, 'turn-1')).toBeGreaterThan(1500);
    expectSecondTurnAnswered(events);
  });

  it('text-to-speech 429 at connect (seed mode, REST): retried, the reply is spoken, no error', async () => {
    const events = await run([{ surface: 'tts', request: 1, fault: { kind: 'http_429', retryAfterS: 1 } }], 'seed');
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(replyAudioMs(events, 'turn-1'), digest(events)).toBeGreaterThan(500);
    expectSecondTurnAnswered(events);
  });

  it('text-to-speech malformed message mid-reply: one protocol error for turn 1, then turn 2 gets audio', async () => {
    const events = await run([{ surface: 'tts_ws', request: 1, fault: { kind: 'malformed', afterChunks: 1 } }]);
    const errors = ofType(events, 'error');
    expect(errors, digest(events)).toHaveLength(1);
    expect(errors[0]).toMatchObject({ turnId: 'turn-1', stage: 'tts', code: 'protocol' });
    expectSecondTurnAnswered(events);
  });
});
