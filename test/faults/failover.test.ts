import { TestScheduler } from 'rxjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFailover } from '../../pipelines/failover.js';
import { realtimePipeline } from '../../pipelines/realtime.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import { fromPcm } from '../../src/audio/sources.js';
import type { PipelineEvent } from '../../src/events.js';
import { fakeChatModel, fakeTranscriber } from '../../src/testing/fakes/openai.js';
import { FakeRealtimeSession } from '../../src/testing/fakes/realtime.js';
import { fakeSynthesizer } from '../../src/testing/fakes/tts.js';
import { scriptedSpeech } from '../../src/testing/vad.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { createOpenAIChatModel } from '../../src/providers/openai/chat.js';
import type { ChatModel, ChatRequest } from '../../src/providers/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { FaultRule, Scenario } from '../../src/sandbox/types.js';
import { callTurnByTurn, digest, fixtureTurns, ofType, replyAudioMs } from './support/call.js';

/**
 * Failover: the realtime provider drops mid-call and refuses every reconnect (sandbox fault rules after
 * the first session). With `withFailover` the call continues on the cascaded chain, carrying the
 * conversation so far; without it (the default) the rest of the call goes unanswered.
 */

const SCENARIO: Scenario = {
  utterances: [{ transcript: "What's the weather like in Paris today?" }, { transcript: 'Can you book me a table for two at eight?' }, { transcript: "Thanks, that's all." }],
  replies: [
    { match: 'weather', reply: 'It is sunny in Paris today, about twenty degrees, with a light breeze from the west.' },
    { match: 'table', reply: 'Done, booked at eight.' },
    { match: 'thanks', reply: 'Goodbye!' },
  ],
};
const OUTAGE: FaultRule[] = [
  { surface: 'realtime', request: 1, fault: { kind: 'ws_close', afterChunks: 2 } },
  { surface: 'realtime', request: 2, count: Infinity, fault: { kind: 'http_503' } },
];

let sandbox: Sandbox;
let turns: AudioFrame[][];
beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant', scenario: SCENARIO });
  turns = (await fixtureTurns('call-3turns')).turns;
});
afterAll(async () => sandbox.close());

/** The sandbox's chat model, recording what each request carried. */
function spiedChat(requests: ChatRequest[], callId: string): ChatModel {
  const real = createOpenAIChatModel({ endpoint: resolveEndpoints({}, sandbox.url).openai, headers: { 'x-rxvoice-call': callId } });
  return { name: 'spied', stream: (request) => (requests.push(request), real.stream(request)) };
}

describe('withFailover (realtime -> cascaded)', () => {
  it('the realtime provider goes down mid-call: the call continues on the cascaded chain with the conversation so far', async () => {
    sandbox.setScenario({ ...SCENARIO, faults: OUTAGE });
    const endpoints = resolveEndpoints({}, sandbox.url);
    const requests: ChatRequest[] = [];
    const callId = 'failover-1';
    const { events } = await callTurnByTurn(
      turns,
      withFailover({
        primary: { endpoints, callId, maxReconnects: 1, bargeIn: false, systemPrompt: 'Be brief.' },
        fallback: { endpoints, callId, bargeIn: false, providers: { chatModel: spiedChat(requests, callId) } },
        afterMs: 500,
      }),
    );
    const summary = digest(events);
    const errors = ofType(events, 'error');
    expect(errors.map((e) => [e.stage, e.code, e.turnId]), summary).toEqual([
      ['realtime', 'connection', 'turn-1'],
      ['pipeline', 'connection', undefined],
    ]);
    expect(errors[1]!.message).toMatch(/continues on the cascaded chain/);
    // Turn ids go on from the realtime chain's; the cascaded chain answers the next turns with speech.
    expect(ofType(events, 'speech.started').map((e) => e.turnId)).toEqual(['turn-1', 'turn-2', 'turn-3']);
    expect(ofType(events, 'assistant.done').map((e) => [e.turnId, e.text]), summary).toEqual([
      ['turn-2', 'Done, booked at eight.'],
      ['turn-3', 'Goodbye!'],
    ]);
    expect(replyAudioMs(events, 'turn-2')).toBeGreaterThan(500);
    expect(replyAudioMs(events, 'turn-3')).toBeGreaterThan(300);
    // The first cascaded request carried what the caller said to the realtime model.
    const first = requests[0]!.messages.map((m) => [m.role, 'content' in m ? m.content : null]);
    expect(first).toContainEqual(['user', "What's the weather like in Paris today?"]);
    expect(first.at(-1)).toEqual(['user', 'Can you book me a table for two at eight?']);
  });

  it('off by default: the same outage without withFailover leaves the rest of the call unanswered', async () => {
    sandbox.setScenario({ ...SCENARIO, faults: OUTAGE });
    const endpoints = resolveEndpoints({}, sandbox.url);
    const { events } = await callTurnByTurn(
      turns.slice(0, 2),
      realtimePipeline({ endpoints, callId: 'failover-2', maxReconnects: 1, bargeIn: false, systemPrompt: 'Be brief.' }),
      { turnTimeoutMs: 4000 },
    );
    // The outage is reported once; the turn spoken after the chain gave up is named as lost, not left silent.
    expect(ofType(events, 'error').map((e) => [e.stage, e.code, e.turnId, e.utteranceLost ?? false]), digest(events)).toEqual([
      ['realtime', 'connection', 'turn-1', false],
      ['realtime', 'connection', 'turn-2', true],
    ]);
    expect(ofType(events, 'assistant.done')).toEqual([]);
  });
});

describe('withFailover in virtual time (fake providers)', () => {
  it('moves after afterMs, replays the gap audio, carries the conversation and keeps numbering turns', () => {
    const ts = new TestScheduler(() => undefined);
    // Turn 2 is spoken while the chain waits to move: its audio must come from the gap buffer.
    const spans: [number, number][] = [[500, 1500], [3300, 4300]];
    const samples = new Int16Array(12_000 * 16);
    for (const [a, b] of spans) for (let i = a * 16; i < b * 16; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / 16000));
    const fake = new FakeRealtimeSession();
    let commits = 0;
    fake.onSend = (event, conn) => {
      if (event.type !== 'input_audio_buffer.commit' || ++commits > 1) return;
      ts.schedule(() => {
        conn.emit({ type: 'input_audio_buffer.committed', item_id: 'item_u1' });
        conn.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_u1', transcript: 'What is the weather?' });
        conn.replyText('Sunny.');
      }, 50);
    };
    const synthesizer = fakeSynthesizer({ firstByteMs: 50, msPerChar: 20, scheduler: ts });
    const transcriber = fakeTranscriber({ transcripts: ['Can you book a table?'], latencyMs: 100, scheduler: ts });
    const chatModel = fakeChatModel({ replies: ['Done, booked.'], firstTokenMs: 100, tokenMs: 20, scheduler: ts });
    // The cascaded chain hears the audio from the fatal error on (3000 ms): its scripted vad counts from there.
    const cutMs = 3000;
    const out: { t: number; e: PipelineEvent }[] = [];
    ts.run(() => {
      fromPcm(samples, 16000, { realtime: true, scheduler: ts })
        .pipe(
          withFailover({
            primary: { providers: { realtime: fake, synthesizer }, tts: 'final', maxReconnects: 0, bargeIn: false, vad: { probabilities: scriptedSpeech(spans) } },
            fallback: {
              providers: { transcriber, chatModel, synthesizer },
              bargeIn: false,
              vad: { probabilities: scriptedSpeech(spans.map(([a, b]) => [a - cutMs, b - cutMs] as const)) },
            },
            afterMs: 2000,
            scheduler: ts,
          }),
        )
        .subscribe((e) => out.push({ t: ts.now(), e }));
      ts.schedule(() => fake.current.drop(), cutMs - 10);
    });
    const events = out.map((o) => o.e);
    const errors = ofType(events, 'error');
    expect(errors.map((e) => [e.stage, e.code, e.turnId]), digest(events)).toEqual([
      ['realtime', 'connection', 'turn-1'],
      ['pipeline', 'connection', undefined],
    ]);
    // The move happened afterMs after the fatal error.
    const moved = out.find((o) => o.e.type === 'error' && o.e.stage === 'pipeline')!;
    expect(moved.t).toBeGreaterThanOrEqual(cutMs - 10 + 2000);
    expect(moved.t).toBeGreaterThan(4300 + 500); // after the caller finished turn 2
    // The dead chain's own report of turn 2 (heard while waiting) was held back: turn 2 is reported once.
    expect(ofType(events, 'speech.started').map((e) => e.turnId)).toEqual(['turn-1', 'turn-2']);
    expect(ofType(events, 'assistant.done').map((e) => [e.turnId, e.text])).toEqual([
      ['turn-1', 'Sunny.'],
      ['turn-2', 'Done, booked.'],
    ]);
    expect(ofType(events, 'assistant.audio').some((e) => e.turnId === 'turn-2')).toBe(true);
    // The cascaded request carried the realtime chain's turn.
    expect(chatModel.requests[0]!.messages.map((m) => [m.role, 'content' in m ? m.content : null])).toEqual([
      ['system', expect.any(String)],
      ['user', 'What is the weather?'],
      ['assistant', 'Sunny.'],
      ['user', 'Can you book a table?'],
    ]);
    // The cascaded transcriber got all of turn 2's audio, replayed from the gap buffer.
    expect(transcriber.uploads[0]).toBeGreaterThanOrEqual(16 * 1000);
  });
});
