import { filter, Subject, tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKGROUND_TURN_ID } from '../../operators/backgroundAudio.js';
import { DEFAULT_FILLER_TEXT } from '../../operators/slowToolFiller.js';
import { cascaded } from '../../pipelines/cascaded.js';
import { realtimePipeline } from '../../pipelines/realtime.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import { Conversation } from '../../src/conversation.js';
import type { EventOf, PipelineEvent } from '../../src/events.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { Scenario } from '../../src/sandbox/types.js';
import { defineTool } from '../../src/tools.js';
import { callTurnByTurn, digest, fixtureTurns, ofType, replyAudioMs } from '../faults/support/call.js';

/**
 * The behaviours through the real chains: fixture speech, real Silero vad, the sandbox speaking the
 * providers' wire protocols over real sockets (instant profile).
 */
const SCENARIO: Scenario = {
  utterances: [{ transcript: "What's the weather like in Paris today?", language: 'en' }, { transcript: 'Can you book me a table for two at eight?', language: 'en' }],
  replies: [
    { match: 'weather', toolCall: { name: 'get_weather', arguments: { city: 'Paris' } }, afterTool: 'Sunny and 21 °C.' },
    { match: 'table', reply: 'Done: a table for 2 at 8:00 pm, $5.10 deposit.' },
  ],
};

/**
 * A tool that takes `ms` to answer, or until `until` resolves (so a test can hold it until the filler was
 * heard, however loaded the machine is), whichever is later.
 */
const slowWeather = (ms: number, until?: Promise<unknown>) =>
  defineTool<{ city: string }>({
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    handler: async ({ city }) => {
      await Promise.all([new Promise((r) => setTimeout(r, ms)), until ? Promise.race([until, new Promise((r) => setTimeout(r, 30_000))]) : undefined]);
      return { city, sky: 'sunny', tempC: 21 };
    },
  });

/** Resolves at the first reply audio of a turn; `watch` taps the chain's events. */
function firstAudioOf(turnId: string): { heard: Promise<void>; watch: (e: PipelineEvent) => void } {
  let resolve: () => void = () => {};
  const heard = new Promise<void>((r) => (resolve = r));
  return { heard, watch: (e) => (e.type === 'assistant.audio' && e.turnId === turnId ? resolve() : undefined) };
}

const squash = (s: string): string => s.replace(/\s+/gu, ' ');

let sandbox: Sandbox;
let turns: AudioFrame[][];
beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant', scenario: SCENARIO });
  turns = (await fixtureTurns('call-3turns')).turns.slice(0, 2);
});
afterAll(async () => sandbox.close());

const endpoints = () => resolveEndpoints({}, sandbox.url);
let calls = 0;

describe('behaviours in the cascaded chain', () => {
  it('slow tool: a filler is spoken in the turn while the tool runs, then the answer; the heard filler is in the history', async () => {
    const conversation = new Conversation({ systemPrompt: 'Be brief.' });
    const audio = firstAudioOf('turn-1');
    const chain = cascaded({ endpoints: endpoints(), callId: `behaviours-${++calls}`, tools: [slowWeather(500, audio.heard)], conversation, slowTools: { thresholdMs: 300 }, bargeIn: false });
    const { events } = await callTurnByTurn(turns.slice(0, 1), (frames) => chain(frames).pipe(tap(audio.watch)));
    const summary = digest(events);
    const order = events.filter((e) => ['tool.call', 'tool.slow', 'tool.result'].includes(e.type)).map((e) => e.type);
    expect(order, summary).toEqual(['tool.call', 'tool.slow', 'tool.result']);
    const texts = ofType(events, 'assistant.text').filter((e) => e.turnId === 'turn-1').map((e) => e.delta);
    expect(texts[0], summary).toBe(`${DEFAULT_FILLER_TEXT} `);
    // the filler is spoken before the result arrives: audio of turn-1 leaves the chain before tool.result
    const firstAudio = events.findIndex((e) => e.type === 'assistant.audio' && e.turnId === 'turn-1');
    const result = events.findIndex((e) => e.type === 'tool.result');
    expect(firstAudio, summary).toBeGreaterThan(-1);
    expect(firstAudio, summary).toBeLessThan(result);
    expect(replyAudioMs(events, 'turn-1')).toBeGreaterThan(1500);
    // heard in full: the history has the filler, then the answer
    expect(conversation.assistantText('turn-1')).toBe(`${DEFAULT_FILLER_TEXT} Sunny and 21 °C.`);
  });

  it('slow tool: the caller speaking over the filler cuts it like any reply, and the unheard filler leaves the history', async () => {
    const conversation = new Conversation({ systemPrompt: 'Be brief.' });
    const frames = new Subject<AudioFrame>();
    const events: PipelineEvent[] = [];
    let fillerAudio: () => void = () => {};
    const heard = new Promise<void>((r) => (fillerAudio = r));
    // The tool answers only well after the caller spoke over the filler.
    const chain = cascaded({ endpoints: endpoints(), callId: `behaviours-${++calls}`, tools: [slowWeather(20_000)], conversation, slowTools: { thresholdMs: 200 } });
    const done = new Promise<void>((resolve) =>
      frames.pipe(chain).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'assistant.audio' && e.turnId === 'turn-1') fillerAudio();
        },
        complete: resolve,
      }),
    );
    for (const frame of turns[0]!) frames.next(frame);
    await heard;
    for (const frame of turns[1]!) frames.next(frame); // turn-2 starts while the filler plays
    const settled = Date.now() + 20_000;
    while (!events.some((e) => e.type === 'assistant.done' && e.turnId === 'turn-2') && Date.now() < settled) await new Promise((r) => setTimeout(r, 50));
    frames.complete();
    await done;
    const summary = digest(events);
    expect(ofType(events, 'reply.cancel').map((e) => [e.turnId, e.byTurnId, e.reason]), summary).toEqual([['turn-1', 'turn-2', 'barge_in']]);
    const cut = ofType(events, 'interruption').find((e) => e.turnId === 'turn-1');
    expect(cut, summary).toBeDefined();
    expect(`${DEFAULT_FILLER_TEXT} `.startsWith(cut!.heardText), summary).toBe(true);
    // the history of turn-1 holds only what was heard of the filler (nothing of an answer that never came)
    expect(conversation.assistantText('turn-1').trim()).toBe(cut!.heardText.trim());
    expect(ofType(events, 'tool.result').filter((e) => e.turnId === 'turn-1'), summary).toEqual([]);
  });

  it('speakable: numbers, money and times are spoken as words while the history keeps the model text', async () => {
    const conversation = new Conversation({ systemPrompt: 'Be brief.' });
    const chain = cascaded({ endpoints: endpoints(), callId: `behaviours-${++calls}`, tools: [slowWeather(0)], conversation, speakable: true, bargeIn: false });
    const { events } = await callTurnByTurn(turns, chain);
    const summary = digest(events);
    // the synthesizer's alignment says what it was given to read
    const aligned = (turnId: string) =>
      ofType(events, 'assistant.audio')
        .filter((e) => e.turnId === turnId)
        .map((e) => e.text ?? '')
        .join('');
    expect(squash(aligned('turn-1')), summary).toContain('twenty-one degrees Celsius');
    expect(squash(aligned('turn-2')), summary).toContain('two at eight p m, five dollars and ten cents deposit');
    expect(conversation.assistantText('turn-1')).toBe('Sunny and 21 °C.');
    expect(conversation.assistantText('turn-2')).toBe('Done: a table for 2 at 8:00 pm, $5.10 deposit.');
    expect(ofType(events, 'assistant.done').map((e) => e.text)).toEqual(['Sunny and 21 °C.', 'Done: a table for 2 at 8:00 pm, $5.10 deposit.']);
  });

  it('background: ambience frames fill the silence and reply frames carry the ambience under them', async () => {
    const sound = { samples: new Int16Array(1600).map((_, i) => Math.round(3000 * Math.sin(i / 5))), sampleRate: 16000 as const };
    const chain = cascaded({ endpoints: endpoints(), callId: `behaviours-${++calls}`, tools: [slowWeather(0)], background: { sound, level: 0.2 }, bargeIn: false });
    // The ambience never goes quiet: kept aside, so the caller helper can tell when the turn is over.
    const background: EventOf<'assistant.audio'>[] = [];
    const { events } = await callTurnByTurn(turns.slice(0, 1), (frames) =>
      chain(frames).pipe(
        filter((e) => {
          if (e.type === 'assistant.audio' && e.turnId === BACKGROUND_TURN_ID) background.push(e);
          return !(e.type === 'assistant.audio' && e.turnId === BACKGROUND_TURN_ID);
        }),
      ),
    );
    const summary = digest(events);
    // How many depends on how long the call sits in silence (wall time, fewer on a loaded machine): some.
    expect(background.length, summary).toBeGreaterThanOrEqual(5);
    expect(background.every((e) => e.frame.sampleRate === 16000 && e.frame.samples.length === 320)).toBe(true);
    expect(Math.max(...background.flatMap((e) => [...e.frame.samples]))).toBeLessThanOrEqual(600);
    // reply audio still there, with its own turn id and continuous seq
    const reply = ofType(events, 'assistant.audio').filter((e) => e.turnId === 'turn-1');
    expect(reply.length, summary).toBeGreaterThan(10);
    expect(reply.map((e) => e.frame.seq)).toEqual(reply.map((_, i) => i));
  });

  it('idle caller: the prompt is spoken after the silence, then the goodbye and call.end', async () => {
    const frames = new Subject<AudioFrame>();
    const events: PipelineEvent[] = [];
    const chain = cascaded({
      endpoints: endpoints(),
      callId: `behaviours-${++calls}`,
      tools: [slowWeather(0)],
      idle: { afterMs: 400, hangupAfterMs: 400 },
      bargeIn: false,
    });
    const ended = new Promise<void>((resolve) => {
      frames.pipe(chain).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'call.end') setTimeout(() => frames.complete(), 0);
        },
        complete: resolve,
      });
    });
    for (const frame of turns[0]!) frames.next(frame);
    await ended;
    const summary = digest(events);
    const prompt = ofType(events, 'idle.prompt');
    expect(prompt.map((p) => [p.turnId, p.afterTurnId, p.count]), summary).toEqual([['idle-1', 'turn-1', 1]]);
    expect(prompt[0]!.silentMs).toBeGreaterThanOrEqual(400);
    // prompt and goodbye were spoken by the TTS, after the reply to turn-1
    expect(replyAudioMs(events, 'idle-1'), summary).toBeGreaterThan(500);
    expect(replyAudioMs(events, 'idle-2'), summary).toBeGreaterThan(500);
    const order = events.filter((e) => e.type === 'assistant.done' || e.type === 'idle.prompt' || e.type === 'call.end').map((e) => ('turnId' in e ? `${e.type}:${e.turnId}` : e.type));
    expect(order).toEqual(['assistant.done:turn-1', 'idle.prompt:idle-1', 'assistant.done:idle-1', 'assistant.done:idle-2', 'call.end:idle-2']);
  });
});

describe('behaviours in the realtime chain (TTS streamed)', () => {
  it('speakable and a slow tool: filler spoken, numbers as words, the filler before the result', async () => {
    const audio = firstAudioOf('turn-1');
    const pipeline = realtimePipeline({
      endpoints: endpoints(),
      callId: `behaviours-rt-${++calls}`,
      tts: 'streamed',
      tools: [slowWeather(500, audio.heard)],
      speakable: true,
      slowTools: { thresholdMs: 300 },
      bargeIn: false,
    });
    const { events } = await callTurnByTurn(turns, (frames) => pipeline(frames).pipe(tap(audio.watch)));
    const summary = digest(events);
    expect(ofType(events, 'error'), summary).toEqual([]);
    expect(ofType(events, 'tool.slow').map((e) => e.name), summary).toEqual(['get_weather']);
    const result = events.findIndex((e) => e.type === 'tool.result');
    expect(events.findIndex((e) => e.type === 'assistant.audio' && e.turnId === 'turn-1'), summary).toBeLessThan(result);
    const aligned = squash(
      ofType(events, 'assistant.audio')
        .map((e) => e.text ?? '')
        .join(''),
    );
    expect(aligned, summary).toContain(DEFAULT_FILLER_TEXT);
    expect(aligned, summary).toContain('twenty-one degrees Celsius');
    expect(aligned, summary).toContain('five dollars and ten cents');
  });
});
