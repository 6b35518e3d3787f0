import { performance } from 'node:perf_hooks';
import { firstValueFrom, lastValueFrom, filter, tap, timeout, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vad } from '../../operators/vad.js';
import { cascaded } from '../../pipelines/cascaded.js';
import { createCascadedProviders, type CascadedMode } from '../../src/providers/defaults.js';
import { Conversation } from '../../src/conversation.js';
import type { ChatModel } from '../../src/providers/types.js';
import { fromPcm } from '../../src/audio/sources.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import type { PipelineEvent } from '../../src/events.js';
import { resolveEndpoints, type ProviderEndpoints } from '../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { Scenario } from '../../src/sandbox/types.js';
import { loadFixture } from '../../src/testing/fixtures.js';
import { defineTool } from '../../src/tools.js';

/**
 * The cascaded chain end to end over real sockets: fixture audio paced at real time, real Silero vad,
 * the sandbox speaking OpenAI's and ElevenLabs' wire protocols (instant profile).
 */

const SCENARIO: Scenario = {
  utterances: [
    { transcript: "What's the weather like in Paris today?", language: 'en' },
    { transcript: 'Can you book me a table for two at eight?', language: 'en' },
    { transcript: "Thanks, that's all.", language: 'en' },
  ],
  replies: [
    { match: 'weather', toolCall: { name: 'get_weather', arguments: { city: 'Paris' } }, afterTool: 'Sunny and mild.' },
    { match: 'table', reply: 'Done, booked at eight.' },
    { match: 'thanks', reply: 'Goodbye!' },
  ],
};

const weather = defineTool<{ city: string }>({
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  handler: async ({ city }) => ({ city, sky: 'sunny', tempC: 21 }),
});

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant', scenario: SCENARIO });
});
afterAll(async () => sandbox.close());

type Form = 'openai' | 'azure-v1' | 'azure-classic';

function endpointsFor(form: Form): ProviderEndpoints {
  const base = resolveEndpoints({}, sandbox.url);
  if (form === 'openai') return base;
  return {
    ...base,
    openai: {
      kind: 'azure',
      endpoint: sandbox.azureEndpoint,
      apiKey: 'azure-sandbox-key',
      deployments: { chat: 'chat-deployment', transcribe: 'transcribe-deployment', realtime: 'rt' },
      ...(form === 'azure-classic' ? { apiVersion: '2025-04-01-preview' } : {}),
      sandbox: true,
    },
  };
}

let calls = 0;

async function runFixture(name: string, mode: CascadedMode, form: Form) {
  const fixture = await loadFixture(name);
  const callId = `fixture-call-${++calls}`;
  const before = sandbox.stats.transcriptions.length;
  // When the chain heard each utterance end (the first frame past it, as it came out of the vad): wall-clock
  // offsets from t0, or from the frame's entry, would fail under a loaded CI, where the vad falls behind.
  const endSeenAt: number[] = [];
  const events = await lastValueFrom(
    fixture.frames({ realtime: true }).pipe(
      cascaded({ endpoints: endpointsFor(form), mode, tools: [weather], callId, systemPrompt: 'Be brief.' }),
      tap((e) => {
        if (e.type !== 'audio.in') return;
        fixture.utterances.forEach((u, i) => {
          if (endSeenAt[i] === undefined && e.frame.startMs >= u.endMs) endSeenAt[i] = performance.now();
        });
      }),
      filter((e) => e.type !== 'audio.in'),
      toArray(),
      timeout(fixture.durationMs + 20_000),
    ),
  );
  const uploads = sandbox.stats.transcriptions.slice(before).filter((s) => s.callKey === callId);
  return { fixture, events, uploads, endSeenAt };
}

const ofType = <T extends PipelineEvent['type']>(events: PipelineEvent[], type: T) =>
  events.filter((e): e is Extract<PipelineEvent, { type: T }> => e.type === type);

/** Reply audio of a turn, run through the real Silero vad: does it contain speech? */
async function hasSpeech(events: PipelineEvent[], turnId: string): Promise<boolean> {
  const frames = ofType(events, 'assistant.audio').filter((e) => e.turnId === turnId).map((e) => e.frame);
  if (frames.length === 0) return false;
  const total = frames.reduce((n, f) => n + f.samples.length, 0);
  const samples = new Int16Array(total + frames[0]!.sampleRate); // + 1 s of silence so the utterance can end
  let at = 0;
  for (const f of frames) {
    samples.set(f.samples, at);
    at += f.samples.length;
  }
  const rate: AudioFrame['sampleRate'] = frames[0]!.sampleRate;
  const started = await firstValueFrom(fromPcm(samples, rate).pipe(vad(), filter((e) => e.type === 'speech.started'), toArray()));
  return started.length > 0;
}

describe.each<[CascadedMode, Form]>([
  ['streaming', 'openai'],
  ['seed', 'azure-v1'],
])('call-3turns.wav through cascaded() in %s mode (%s URL form)', (mode, form) => {
  it('answers all three turns with speech, calls the tool, and streams the uploads', async () => {
    const { fixture, events, uploads, endSeenAt } = await runFixture('call-3turns', mode, form);
    const errors = ofType(events, 'error');
    expect(errors).toEqual([]);
    const transcripts = ofType(events, 'transcript').filter((e) => e.final);
    expect(transcripts.map((t) => t.text)).toEqual(SCENARIO.utterances!.map((u) => u.transcript));
    const turns = transcripts.map((t) => t.turnId);
    const replies = ofType(events, 'assistant.done');
    expect(replies.map((r) => [r.turnId, r.text])).toEqual([
      [turns[0], 'Sunny and mild.'],
      [turns[1], 'Done, booked at eight.'],
      [turns[2], 'Goodbye!'],
    ]);
    expect(ofType(events, 'tool.call')).toMatchObject([{ turnId: turns[0], name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    expect(ofType(events, 'tool.result')).toMatchObject([{ turnId: turns[0], isError: false, output: '{"city":"Paris","sky":"sunny","tempC":21}' }]);
    for (const turnId of turns) expect(await hasSpeech(events, turnId)).toBe(true);
    // Every turn got its metrics, first audio after the end of speech.
    const firstAudio = ofType(events, 'metric').filter((m) => m.name === 'first_audio_out');
    expect(firstAudio.map((m) => m.turnId)).toEqual(turns);
    for (const m of firstAudio) expect(m.valueMs).toBeGreaterThan(0);
    // The upload is streamed: the sandbox had each utterance's first bytes before the caller stopped.
    expect(uploads).toHaveLength(3);
    fixture.utterances.forEach((u, i) => {
      expect(uploads[i]!.firstByteAt!, u.text).toBeLessThan(endSeenAt[i]!);
      expect(uploads[i]!.endAt!, u.text).toBeGreaterThan(endSeenAt[i]!);
    });
  });
});

/** Wraps a chat model with the check OpenAI makes: every assistant tool call is answered before anything else. */
function validating(model: ChatModel, violations: string[]): ChatModel {
  return {
    name: `validating(${model.name})`,
    stream: (req) => {
      const pending = new Set<string>();
      for (const m of req.messages) {
        if (m.role === 'tool') pending.delete(m.toolCallId);
        else if (pending.size > 0) violations.push(`unanswered tool calls ${[...pending].join(',')} before a ${m.role} message`);
        if (m.role === 'assistant' && m.toolCalls) for (const c of m.toolCalls) pending.add(c.id);
      }
      if (pending.size > 0) violations.push(`unanswered tool calls ${[...pending].join(',')} at the end`);
      return model.stream(req);
    },
  };
}

describe('barge-in while a tool runs (call-3turns.wav, streaming)', () => {
  it('cancels the tool, answers its call in the history, and the next turns are answered', async () => {
    const fixture = await loadFixture('call-3turns');
    const endpoints = endpointsFor('openai');
    const callId = `fixture-call-${++calls}`;
    const providers = createCascadedProviders(endpoints, { callId });
    const violations: string[] = [];
    let toolAborted = false;
    const slowWeather = defineTool<{ city: string }>({
      ...weather,
      // Still running when the caller speaks again ~3 s later.
      handler: (_args, { signal }) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve({ sky: 'sunny' }), 8000);
          signal.addEventListener('abort', () => {
            toolAborted = true;
            clearTimeout(timer);
            resolve({ aborted: true });
          });
        }),
    });
    const conversation = new Conversation({ systemPrompt: 'Be brief.' });
    const events = await lastValueFrom(
      fixture.frames({ realtime: true }).pipe(
        cascaded({ providers: { ...providers, chatModel: validating(providers.chatModel, violations) }, tools: [slowWeather], conversation }),
        filter((e) => e.type !== 'audio.in'),
        toArray(),
        timeout(fixture.durationMs + 20_000),
      ),
    );
    expect(ofType(events, 'tool.call').map((e) => e.turnId)).toEqual(['turn-1']);
    expect(ofType(events, 'tool.result')).toEqual([]);
    expect(ofType(events, 'reply.cancel')[0]).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2' });
    expect(toolAborted).toBe(true);
    expect(ofType(events, 'error')).toEqual([]);
    expect(ofType(events, 'assistant.done').map((d) => [d.turnId, d.text])).toEqual([
      ['turn-2', 'Done, booked at eight.'],
      ['turn-3', 'Goodbye!'],
    ]);
    expect(violations).toEqual([]);
    const history = conversation.history();
    expect(history.slice(0, 4).map((e) => [e.turnId, e.message.role])).toEqual([
      ['turn-1', 'user'],
      ['turn-1', 'assistant'],
      ['turn-1', 'tool'],
      ['turn-2', 'user'],
    ]);
    expect(history[2]!.message.content).toContain('interrupted');
    expect(history.filter((e) => e.message.role === 'user').map((e) => e.turnId)).toEqual(['turn-1', 'turn-2', 'turn-3']);
    expect(history.at(-1)).toEqual({ turnId: 'turn-3', message: { role: 'assistant', content: 'Goodbye!' } });
  });
});

describe('one-sentence.wav, Azure classic URL form', () => {
  it('gives the scenario transcript and a spoken reply', async () => {
    sandbox.setScenario({ utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.' }], replies: [{ match: 'fox', reply: 'What a lively fox.' }] });
    const { events } = await runFixture('one-sentence', 'streaming', 'azure-classic');
    sandbox.setScenario(SCENARIO);
    expect(ofType(events, 'error')).toEqual([]);
    expect(ofType(events, 'transcript').filter((t) => t.final).map((t) => t.text)).toEqual(['The quick brown fox jumps over the lazy dog.']);
    expect(ofType(events, 'assistant.done').map((d) => d.text)).toEqual(['What a lively fox.']);
    expect(await hasSpeech(events, 'turn-1')).toBe(true);
  });
});
