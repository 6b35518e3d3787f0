import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { concat, ignoreElements, map, Observable, of, timer, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cascaded } from '../../pipelines/cascaded.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import { Conversation } from '../../src/conversation.js';
import type { PipelineEvent } from '../../src/events.js';
import type { ChatModel, Transcriber } from '../../src/providers/types.js';
import { fakeSynthesizer } from '../../src/testing/fakes/tts.js';
import { scriptedSpeech } from '../../src/testing/vad.js';
import { defineTool } from '../../src/tools.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runScriptedCall, type ScriptedCall } from '../support/scripted-call.js';
import { callTurnByTurn, digest, fixtureTurns, ofType, replyAudioMs } from './support/call.js';

/**
 * What users of other voice frameworks report broken, each shown handled (whole cascaded chain, fake
 * providers, virtual time): the agent interrupting itself on its own echo, a stale reply spoken over the
 * caller's new turn, the agent going silent after an interruption or a tool call, memory growing over a
 * long call. (A realtime session expiring mid-call: test/faults/realtime-faults.test.ts.)
 */

const REPLY = 'Sure. The weather in Paris is sunny today, about twenty degrees, with a light breeze. Anything else?';

function run(setup: ScriptedCall) {
  const { events, stt, chat, tts } = runScriptedCall(setup);
  const of_ = <T extends PipelineEvent['type']>(type: T, turnId?: string) =>
    events.filter((o) => o.e.type === type && (turnId === undefined || ('turnId' in o.e && o.e.turnId === turnId))) as { t: number; e: Extract<PipelineEvent, { type: T }> }[];
  const audioMs = (turnId: string) => of_('assistant.audio', turnId).reduce((ms, o) => ms + (o.e.frame.samples.length * 1000) / o.e.frame.sampleRate, 0);
  return { events, of: of_, audioMs, stt, chat, tts };
}

/** When the first reply's audio starts, on a call with no echo. */
function replyStart(): number {
  const clean = run({ totalMs: 10_000, speech: [[500, 2000]], transcripts: ['Weather?'], replies: [REPLY] });
  return clean.of('assistant.audio', 'turn-1')[0]!.t;
}

describe('self-interruption: the agent hears its own voice', () => {
  const start = replyStart();
  // The echo of the reply reaches the microphone 300 ms into it and lasts 700 ms.
  const echo: [number, number] = [start + 300, start + 1000];
  const base = { totalMs: 12_000, speech: [[500, 2000], echo] as const, transcripts: ['Weather?', 'Sure the weather'], replies: [REPLY, 'Echo answer.'] };

  it('without a guard the echo cuts the reply (the problem)', () => {
    const call = run(base);
    expect(call.of('reply.cancel', 'turn-1')[0]?.e).toMatchObject({ byTurnId: 'turn-2', reason: 'barge_in' });
    expect(call.of('interruption', 'turn-1')).toHaveLength(1);
  });

  it('halfDuplex: speech while the assistant speaks is ignored; the reply plays whole and no new turn starts', () => {
    const call = run({ ...base, options: { bargeIn: { halfDuplex: true } } });
    expect(call.of('reply.cancel')).toEqual([]);
    expect(call.of('interruption')).toEqual([]);
    expect(call.of('transcript').filter((o) => o.e.final).map((o) => o.e.turnId)).toEqual(['turn-1']);
    expect(call.chat.requests).toHaveLength(1);
    expect(call.audioMs('turn-1')).toBeCloseTo(REPLY.length * 40, -2);
  });

  it('echoGuardMs: speech right after the reply starts is ignored, a real barge-in later still cuts', () => {
    const later: [number, number] = [start + 2500, start + 3300];
    const call = run({ ...base, speech: [[500, 2000], echo, later], transcripts: ['Weather?', 'Sure the weather', 'Stop please'], replies: [REPLY, 'OK.'], options: { bargeIn: { echoGuardMs: 1000 } } });
    const cancels = call.of('reply.cancel');
    expect(cancels).toHaveLength(1);
    expect(cancels[0]!.e).toMatchObject({ turnId: 'turn-1', reason: 'barge_in' });
    // The cut came from the later speech, not the echo.
    expect(cancels[0]!.t).toBeGreaterThanOrEqual(later[0]);
    expect(call.of('assistant.done').map((o) => o.e.text)).toEqual([REPLY, 'OK.']);
    expect(call.audioMs(cancels[0]!.e.byTurnId)).toBeGreaterThan(0);
  });
});

describe('a stale reply spoken over the new turn', () => {
  it("a new final transcript cancels the slow reply to the previous turn; none of it is spoken after, the new turn is answered", () => {
    // The model takes 3 s to its first token; the caller asks again before the first reply starts.
    const call = run({
      totalMs: 14_000,
      speech: [[500, 1500], [2500, 3300]],
      transcripts: ['What is the weather?', 'Hello? Are you there?'],
      replies: [REPLY, 'Yes, I am here.'],
      firstTokenMs: 3000,
      options: { bargeIn: false },
    });
    const t2 = call.of('transcript', 'turn-2').find((o) => o.e.final)!;
    const cancel = call.of('reply.cancel', 'turn-1')[0]!;
    expect(cancel.e).toMatchObject({ byTurnId: 'turn-2', reason: 'new_turn' });
    expect(cancel.t).toBeLessThanOrEqual(t2.t);
    expect(call.of('assistant.audio', 'turn-1').filter((o) => o.t >= cancel.t)).toEqual([]);
    expect(call.chat.aborted).toBeGreaterThanOrEqual(1);
    expect(call.of('assistant.done', 'turn-2')[0]?.e.text).toBe('Yes, I am here.');
    expect(call.audioMs('turn-2')).toBeGreaterThan(500);
  });
});

describe('the agent going silent', () => {
  it('after an interruption: the turns after the cut are answered with audio', () => {
    const call = run({
      totalMs: 20_000,
      speech: [[500, 2000], [4200, 5000], [10_000, 10_800]],
      transcripts: ['What is the weather in Paris?', 'Wait, and tomorrow?', 'Thanks.'],
      replies: [REPLY, 'Tomorrow it rains.', 'Bye.'],
    });
    expect(call.of('interruption', 'turn-1')).toHaveLength(1);
    expect(call.audioMs('turn-2')).toBeCloseTo('Tomorrow it rains.'.length * 40, -2);
    expect(call.audioMs('turn-3')).toBeCloseTo('Bye.'.length * 40, -2);
  });

  it('after a barge-in during a tool call: the cut turn stays quiet, the next one is answered', () => {
    const slow = defineTool({
      name: 'lookup',
      description: 'Slow lookup',
      parameters: { type: 'object', properties: {} },
      handler: (_args, { signal }) =>
        new Promise((resolve, reject) => {
          signal?.addEventListener('abort', () => reject(new Error('aborted')));
          void resolve; // never resolves by itself: the caller cuts in first
        }),
    });
    const call = run({
      totalMs: 14_000,
      speech: [[500, 1500], [3500, 4300]],
      transcripts: ['Look it up.', 'Never mind, what time is it?'],
      replies: [{ toolCall: { name: 'lookup', arguments: {} } }, 'It is noon.'],
      options: { tools: [slow] },
    });
    expect(call.of('assistant.audio', 'turn-1')).toEqual([]);
    expect(call.of('assistant.done', 'turn-2')[0]?.e.text).toBe('It is noon.');
    expect(call.audioMs('turn-2')).toBeGreaterThan(300);
  });
});

describe('the agent going silent after a tool call (sandbox, real audio, real time)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: {
        utterances: [{ transcript: "What's the weather like in Paris today?" }, { transcript: 'Can you book me a table for two at eight?' }],
        replies: [
          { match: 'weather', toolCall: { name: 'get_weather', arguments: { city: 'Paris' } }, afterTool: 'Sunny and mild, {result}.' },
          { match: 'table', reply: 'Done, booked at eight.' },
        ],
      },
    });
  });
  afterAll(async () => sandbox.close());

  it('the reply after the tool result is spoken, and so is the next turn', async () => {
    const weather = defineTool<{ city: string }>({
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      handler: async ({ city }) => ({ city, sky: 'sunny' }),
    });
    const { turns } = await fixtureTurns('call-3turns');
    const { events } = await callTurnByTurn(turns.slice(0, 2), cascaded({ endpoints: resolveEndpoints({}, sandbox.url), callId: 'silent-after-tool', tools: [weather], bargeIn: false }));
    const summary = digest(events);
    expect(ofType(events, 'tool.result')[0], summary).toMatchObject({ turnId: 'turn-1', isError: false });
    expect(ofType(events, 'assistant.done').map((e) => e.turnId), summary).toEqual(['turn-1', 'turn-2']);
    expect(ofType(events, 'assistant.done')[0]!.text).toMatch(/^Sunny and mild/);
    expect(replyAudioMs(events, 'turn-1'), summary).toBeGreaterThan(500);
    expect(replyAudioMs(events, 'turn-2'), summary).toBeGreaterThan(500);
  });
});

describe('memory over a long call', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  /** Heap retained at turn 50 and at turn 200 of a 200-turn call (virtual time). */
  function longCall(leakUtteranceAudio: boolean) {
    gc();
    const scheduler = new TestScheduler(() => undefined);
    const turnMs = 3000;
    const turns = 200;
    // Each frame is a fresh top-level action: rescheduling one action (`this.schedule`) nests virtual
    // actions in each other, and unsubscribing 30 000 of them overflows the stack.
    const frames = new Observable<AudioFrame>((subscriber) => {
      let seq = 0;
      let pending: Subscription | undefined;
      const step = (): void => {
        const startMs = seq * 20;
        const inSpeech = startMs % turnMs >= 500 && startMs % turnMs < 1500;
        const samples = new Int16Array(320);
        if (inSpeech) for (let i = 0; i < 320; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * 220 * (seq * 320 + i)) / 16000));
        subscriber.next({ samples, sampleRate: 16000, startMs, seq: seq++ });
        if (seq * 20 >= turns * turnMs) subscriber.complete();
        else pending = scheduler.schedule(step, 20);
      };
      pending = scheduler.schedule(step, 20);
      return () => pending?.unsubscribe();
    });
    const spans: [number, number][] = [];
    for (let k = 0; k < turns; k++) spans.push([k * turnMs + 500, k * turnMs + 1500]);
    // Providers that keep no record of their calls (the test fakes do); the control keeps every upload.
    const kept: number[][] = [];
    const transcriber: Transcriber = {
      name: 'lean-stt',
      transcribe: (req) =>
        concat(
          req.audio.pipe(
            // As plain arrays: on the JS heap, where GC accounting is immediate (ArrayBuffer stores are freed lazily).
            map((samples) => (leakUtteranceAudio ? kept.push(Array.from(samples)) : 0)),
            ignoreElements(),
          ),
          timer(100, scheduler).pipe(map(() => ({ text: `question ${req.turnId}`, final: true }))),
        ),
    };
    const chatModel: ChatModel = {
      name: 'lean-chat',
      stream: () => concat(timer(200, scheduler).pipe(ignoreElements()), of({ type: 'text' as const, delta: 'A short answer.' }, { type: 'done' as const, finishReason: 'stop' })),
    };
    const synthesizer = fakeSynthesizer({ firstByteMs: 50, msPerChar: 20, scheduler });
    const heap: Record<number, number> = {};
    let turnsSeen = 0;
    let audioFrames = 0;
    scheduler.run(() => {
      frames
        .pipe(
          cascaded({
            providers: { transcriber, chatModel, synthesizer },
            vad: { probabilities: scriptedSpeech(spans) },
            conversation: new Conversation({ maxTurns: 10 }),
            scheduler,
          }),
        )
        .subscribe((e) => {
          if (e.type === 'assistant.audio') audioFrames++;
          if (e.type !== 'speech.started') return;
          turnsSeen++;
          if (turnsSeen === 50 || turnsSeen === 200) {
            synthesizer.calls.length = 0; // the fake's own record
            gc();
            gc();
            gc();
            const memory = process.memoryUsage();
            heap[turnsSeen] = memory.heapUsed + memory.arrayBuffers; // audio lives in ArrayBuffers, off the JS heap
          }
        });
    });
    return { turnsSeen, audioFrames, growth: heap[200]! - heap[50]!, kept };
  }

  it('200 turns: retained heap does not grow with the turns (a control that leaks each utterance does)', () => {
    const call = longCall(false);
    expect(call.turnsSeen).toBe(200);
    expect(call.audioFrames).toBeGreaterThan(200 * 10);
    // The control: keeping one utterance's audio per turn (~55 KB) shows up as several MB over 150 turns.
    const leaky = longCall(true);
    expect(leaky.growth).toBeGreaterThan(4 * 1024 * 1024);
    expect(call.growth).toBeLessThan(2 * 1024 * 1024);
  });
});
