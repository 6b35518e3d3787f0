import { performance } from 'node:perf_hooks';
import { lastValueFrom, Observable, Subject, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmStream } from '../../operators/llmStream.js';
import { transcribe } from '../../operators/transcribe.js';
import { RxVoiceError } from '../../src/errors.js';
import type { PipelineEvent } from '../../src/events.js';
import type { OpenAIEndpoint } from '../../src/providers/env.js';
import { createOpenAIChatModel } from '../../src/providers/openai/chat.js';
import { createOpenAISdkChatModel } from '../../src/providers/openai/chat-sdk.js';
import { createOpenAITranscriber } from '../../src/providers/openai/transcriber.js';
import type { ChatChunk, TranscriptUpdate } from '../../src/providers/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

let sandbox: Sandbox;
const SCENARIO = {
  utterances: [],
  replies: [
    { match: 'weather', toolCall: { name: 'get_weather', arguments: { city: 'Paris' } }, afterTool: 'It is {result} in Paris.' },
    { match: 'hello', reply: 'Hi there! How can I help you today?' },
  ],
};

beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant', apiKey: 'sk-test-secret-key-123456', scenario: SCENARIO });
});
afterAll(async () => sandbox.close());

const KEY = 'sk-test-secret-key-123456';
const openai = (): OpenAIEndpoint => ({ kind: 'openai', baseURL: sandbox.openaiBaseURL, apiKey: KEY, sandbox: true });
const azure = (apiVersion?: string): OpenAIEndpoint => ({
  kind: 'azure',
  endpoint: sandbox.azureEndpoint,
  apiKey: KEY,
  deployments: { chat: 'my-gpt-4o-mini', transcribe: 'my-transcribe', realtime: 'rt' },
  ...(apiVersion ? { apiVersion } : {}),
  sandbox: true,
});
const forms: [string, () => OpenAIEndpoint][] = [
  ['OpenAI', openai],
  ['Azure v1 (/openai/v1/...)', () => azure()],
  ['Azure classic (/openai/deployments/{d}/...?api-version=)', () => azure('2025-04-01-preview')],
];

async function chat(endpoint: OpenAIEndpoint, text: string): Promise<ChatChunk[]> {
  return lastValueFrom(createOpenAIChatModel({ endpoint }).stream({ messages: [{ role: 'user', content: text }] }).pipe(toArray()));
}

/** 0.6 s of a 200 Hz tone, in 100 ms chunks paced at real time when `paceMs` is set. */
function speech(paceMs = 0, chunks = 6): { audio: Observable<Int16Array>; lastChunkAt: () => number } {
  let last = 0;
  const audio = new Observable<Int16Array>((s) => {
    let i = 0;
    const push = (): void => {
      const c = new Int16Array(1600);
      for (let n = 0; n < c.length; n++) c[n] = Math.round(8000 * Math.sin((2 * Math.PI * 200 * (i * 1600 + n)) / 16000));
      s.next(c);
      last = performance.now();
      if (++i === chunks) s.complete();
      else timer = setTimeout(push, paceMs);
    };
    let timer = setTimeout(push, 0);
    return () => clearTimeout(timer);
  });
  return { audio, lastChunkAt: () => last };
}

describe.each(forms)('chat over %s', (_name, endpoint) => {
  it('streams the reply as text deltas, then done with usage', async () => {
    const chunks = await chat(endpoint(), 'hello');
    const text = chunks.flatMap((c) => (c.type === 'text' ? [c.delta] : [])).join('');
    expect(text).toBe('Hi there! How can I help you today?');
    expect(chunks.filter((c) => c.type === 'text').length).toBeGreaterThan(3);
    expect(chunks.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop', usage: { inputTokens: expect.any(Number), outputTokens: expect.any(Number) } });
  });
});

describe('chat tolerates what real providers send around the reply', () => {
  it.each(forms.slice(1))("skips Azure's content-filter chunks (leading prompt filter, annotation after finish_reason) over %s", async (_name, endpoint) => {
    const chunks = await chat(endpoint(), 'hello');
    // The annotation comes between finish_reason and the usage chunk: usage proves the client read past it.
    expect(chunks.filter((c) => c.type !== 'text')).toEqual([
      { type: 'done', finishReason: 'stop', usage: expect.objectContaining({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) }) },
    ]);
    expect(chunks.flatMap((c) => (c.type === 'text' ? [c.delta] : [])).join('')).toBe('Hi there! How can I help you today?');
  });

  it.each(forms)('reads a 429 without retry-after as retryable rate_limited with no wait of its own over %s', async (_name, endpoint) => {
    sandbox.setScenario({ ...SCENARIO, faults: [{ surface: 'chat', request: 1, fault: { kind: 'http_429', retryAfterS: null } }] });
    const err = await chat(endpoint(), 'hello').catch((e: unknown) => e);
    sandbox.setScenario(SCENARIO);
    expect(err).toBeInstanceOf(RxVoiceError);
    expect(err).toMatchObject({ code: 'rate_limited', stage: 'llm', status: 429, retryable: true });
    expect((err as RxVoiceError).retryAfterMs).toBeUndefined();
  });
});

describe('chat on the official SDK (for comparison)', () => {
  it.each(forms)('streams the same reply over %s', async (_name, endpoint) => {
    const chunks = await lastValueFrom(createOpenAISdkChatModel({ endpoint: endpoint() }).stream({ messages: [{ role: 'user', content: 'hello' }] }).pipe(toArray()));
    expect(chunks.flatMap((c) => (c.type === 'text' ? [c.delta] : [])).join('')).toBe('Hi there! How can I help you today?');
    expect(chunks.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
  });
});

describe('chat tool calls', () => {
  it('arrive as fragments that assemble into the call', async () => {
    const chunks = await lastValueFrom(
      createOpenAIChatModel({ endpoint: openai() })
        .stream({ messages: [{ role: 'user', content: 'weather?' }], tools: [{ name: 'get_weather', parameters: { type: 'object' } }] })
        .pipe(toArray()),
    );
    const frags = chunks.filter((c): c is Extract<ChatChunk, { type: 'tool_call' }> => c.type === 'tool_call');
    expect(frags[0]).toMatchObject({ index: 0, name: 'get_weather', id: expect.any(String) });
    expect(JSON.parse(frags.map((f) => f.argumentsDelta).join(''))).toEqual({ city: 'Paris' });
    expect(chunks.at(-1)).toMatchObject({ type: 'done', finishReason: 'tool_calls' });
  });

  it('a wrong key is an auth error whose message has no key in it', async () => {
    const err = await chat({ ...openai(), apiKey: 'sk-wrong-key-abcdef123' }, 'hello').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RxVoiceError);
    expect(err).toMatchObject({ code: 'auth', stage: 'llm', status: 401, retryable: false });
    expect((err as Error).message).not.toContain('sk-wrong-key-abcdef123');
  });
});

describe.each(forms)('transcription over %s', (_name, endpoint) => {
  it('returns the scenario transcript from a streamed upload', async () => {
    sandbox.setScenario({ utterances: [{ transcript: 'Book a table for two.', language: 'en' }] });
    const updates = await lastValueFrom(
      createOpenAITranscriber({ endpoint: endpoint() }).transcribe({ audio: speech().audio, sampleRate: 16000, language: 'en' }).pipe(toArray()),
    );
    expect(updates).toEqual([{ text: 'Book a table for two.', final: true, language: 'en' }]);
  });
});

describe('transcription upload', () => {
  it('streams the body while audio arrives: the sandbox sees bytes before the last chunk', async () => {
    sandbox.setScenario({ utterances: [{ transcript: 'Streaming works.' }] });
    const before = sandbox.stats.transcriptions.length;
    const { audio, lastChunkAt } = speech(100);
    const updates = await lastValueFrom(createOpenAITranscriber({ endpoint: openai() }).transcribe({ audio, sampleRate: 16000 }).pipe(toArray()));
    expect(updates.at(-1)?.text).toBe('Streaming works.');
    const stat = sandbox.stats.transcriptions[before]!;
    expect(stat.firstByteAt).toBeLessThan(lastChunkAt() - 300);
    expect(stat.audioBytes).toBe(6 * 1600 * 2);
  });

  it("'buffered' sends the whole utterance at the end with a Content-Length", async () => {
    sandbox.setScenario({ utterances: [{ transcript: 'Buffered works.' }] });
    const before = sandbox.stats.transcriptions.length;
    const { audio, lastChunkAt } = speech(50);
    const updates = await lastValueFrom(
      createOpenAITranscriber({ endpoint: openai(), upload: 'buffered' }).transcribe({ audio, sampleRate: 16000 }).pipe(toArray()),
    );
    expect(updates.at(-1)?.text).toBe('Buffered works.');
    const stat = sandbox.stats.transcriptions[before]!;
    expect(stat.firstByteAt).toBeGreaterThanOrEqual(lastChunkAt());
    expect(stat.audioBytes).toBe(6 * 1600 * 2);
  });

  it('streams partial transcripts when asked (gpt-4o models) and whisper-1 reports the language', async () => {
    sandbox.setScenario({ utterances: [{ transcript: 'Hola, quiero una mesa.', language: 'es' }, { transcript: 'Bonjour.', language: 'fr' }] });
    const partials = await lastValueFrom(
      createOpenAITranscriber({ endpoint: openai() }).transcribe({ audio: speech().audio, sampleRate: 16000, stream: true }).pipe(toArray()),
    );
    expect(partials.length).toBeGreaterThan(2);
    expect(partials.slice(0, -1).every((u: TranscriptUpdate) => !u.final)).toBe(true);
    expect(partials.at(-1)).toEqual({ text: 'Hola, quiero una mesa.', final: true });
    const whisper = await lastValueFrom(
      createOpenAITranscriber({ endpoint: openai(), model: 'whisper-1' }).transcribe({ audio: speech().audio, sampleRate: 16000 }).pipe(toArray()),
    );
    expect(whisper).toEqual([{ text: 'Bonjour.', final: true, language: 'fr' }]);
  });

  it('unsubscribing mid-upload aborts the request', async () => {
    const before = sandbox.stats.transcriptions.length;
    const sub = createOpenAITranscriber({ endpoint: openai() }).transcribe({ audio: speech(100, 50).audio, sampleRate: 16000 }).subscribe();
    await waitFor(() => (sandbox.stats.transcriptions[before]?.bytesReceived ?? 0) > 0);
    sub.unsubscribe();
    await new Promise((r) => setTimeout(r, 300));
    const stat = sandbox.stats.transcriptions[before]!;
    expect(stat.endAt).toBeUndefined();
    expect(stat.respondedAt).toBeUndefined();
  });
});

describe('transcribe operator over a real socket', () => {
  it('retries a 429 honouring retry-after and loses nothing the caller said', async () => {
    sandbox.setScenario({
      utterances: [{ transcript: 'Second time lucky.' }],
      faults: [{ surface: 'transcribe', request: 1, fault: { kind: 'http_429', retryAfterS: 0.3 } }],
    });
    const before = sandbox.stats.transcriptions.length;
    const events = new Subject<PipelineEvent>();
    const out = lastValueFrom(events.pipe(transcribe({ transcriber: createOpenAITranscriber({ endpoint: openai() }) }), toArray()));
    const started = performance.now();
    for (let i = 0; i < 4; i++) {
      events.next({ type: 'utterance.chunk', turnId: 'turn-1', index: i, samples: new Int16Array(1600).fill(1000), sampleRate: 16000, startMs: i * 100, final: i === 3 });
      await new Promise((r) => setTimeout(r, 20));
    }
    events.complete();
    const transcripts = (await out).filter((e) => e.type !== 'utterance.chunk');
    expect(transcripts).toEqual([
      expect.objectContaining({ type: 'metric', name: 'retry', turnId: 'turn-1', valueMs: 300, stage: 'transcribe', detail: { code: 'rate_limited', attempt: 1 } }),
      { type: 'transcript', turnId: 'turn-1', text: 'Second time lucky.', final: true },
    ]);
    const stats = sandbox.stats.transcriptions.slice(before);
    expect(stats.map((s) => s.status)).toEqual([429, 200]);
    expect(stats[1]!.startedAt - started).toBeGreaterThanOrEqual(280);
    expect(stats[1]!.audioBytes).toBe(4 * 1600 * 2);
  });
});

describe('transcribe after a 429 without retry-after', () => {
  it('backs off on its own schedule and still gets the transcript', async () => {
    sandbox.setScenario({
      utterances: [{ transcript: 'No hint given.' }],
      faults: [{ surface: 'transcribe', request: 1, fault: { kind: 'http_429', retryAfterS: null } }],
    });
    const before = sandbox.stats.transcriptions.length;
    const events = new Subject<PipelineEvent>();
    const transcriber = createOpenAITranscriber({ endpoint: openai() });
    const out = lastValueFrom(events.pipe(transcribe({ transcriber, retry: { baseDelayMs: 40 } }), toArray()));
    for (let i = 0; i < 2; i++) {
      events.next({ type: 'utterance.chunk', turnId: 'turn-1', index: i, samples: new Int16Array(1600).fill(1000), sampleRate: 16000, startMs: i * 100, final: i === 1 });
    }
    events.complete();
    const transcripts = (await out).filter((e) => e.type !== 'utterance.chunk');
    expect(transcripts).toEqual([
      expect.objectContaining({ type: 'metric', name: 'retry', valueMs: 40, stage: 'transcribe', detail: { code: 'rate_limited', attempt: 1 } }),
      { type: 'transcript', turnId: 'turn-1', text: 'No hint given.', final: true },
    ]);
    expect(sandbox.stats.transcriptions.slice(before).map((s) => s.status)).toEqual([429, 200]);
  });
});

describe('llmStream over a real socket', () => {
  const run = async (events: PipelineEvent[]) => {
    const subject = new Subject<PipelineEvent>();
    const out = lastValueFrom(subject.pipe(llmStream({ chatModel: createOpenAIChatModel({ endpoint: openai() }), retry: { baseDelayMs: 50 } }), toArray()));
    for (const e of events) subject.next(e);
    subject.complete();
    return (await out).filter((e) => e.type !== 'transcript');
  };
  const said = (turnId: string, text: string): PipelineEvent => ({ type: 'transcript', turnId, text, final: true });

  it('retries a 503 before the first token and a reset mid-reply becomes an error; the next turn works', async () => {
    sandbox.setScenario({
      replies: [{ match: 'hello', reply: 'Hi there! How can I help you today?' }],
      faults: [
        { surface: 'chat', request: 1, fault: { kind: 'http_503' } },
        { surface: 'chat', request: 3, fault: { kind: 'reset', afterChunks: 3 } },
      ],
    });
    const first = await run([said('turn-1', 'hello')]);
    expect(first.at(-1)).toMatchObject({ type: 'assistant.done', turnId: 'turn-1', text: 'Hi there! How can I help you today?' });
    const second = await run([said('turn-2', 'hello again')]);
    expect(second.filter((e) => e.type === 'assistant.text').length).toBeGreaterThan(0);
    expect(second.at(-1)).toMatchObject({ type: 'error', turnId: 'turn-2', stage: 'llm', code: 'connection' });
    const third = await run([said('turn-3', 'hello?')]);
    expect(third.at(-1)).toMatchObject({ type: 'assistant.done', turnId: 'turn-3' });
  });

  it('a stalled stream becomes a timeout error', async () => {
    sandbox.setScenario({ replies: [{ match: 'hello', reply: 'Hi there! How can I help you today?' }], faults: [{ surface: 'chat', request: 1, fault: { kind: 'stall', stallMs: 2000, afterChunks: 2 } }] });
    const err = await lastValueFrom(
      createOpenAIChatModel({ endpoint: openai(), stallTimeoutMs: 300 }).stream({ messages: [{ role: 'user', content: 'hello' }] }).pipe(toArray()),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout', stage: 'llm' });
  });

  it('a malformed stream line is a protocol error event', async () => {
    sandbox.setScenario({ replies: [{ match: 'hello', reply: 'Hi there! How can I help you today?' }], faults: [{ surface: 'chat', request: 1, fault: { kind: 'malformed', afterChunks: 2 } }] });
    const out = await run([said('turn-1', 'hello')]);
    expect(out.at(-1)).toMatchObject({ type: 'error', turnId: 'turn-1', stage: 'llm', code: 'protocol' });
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}
