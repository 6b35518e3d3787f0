import { Observable, of, throwError, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { llmStream, type LlmStreamOptions } from '../../operators/llmStream.js';
import { Conversation } from '../../src/conversation.js';
import { RxVoiceError } from '../../src/errors.js';
import type { PipelineEvent } from '../../src/events.js';
import type { ChatChunk } from '../../src/providers/types.js';
import { fakeChatModel } from '../../src/testing/fakes/openai.js';
import { defineTool } from '../../src/tools.js';

const values: Record<string, PipelineEvent> = {
  T: { type: 'transcript', turnId: 'turn-1', text: 'What is the weather?', final: true },
  p: { type: 'transcript', turnId: 'turn-1', text: 'What is', final: false },
  e: { type: 'transcript', turnId: 'turn-1', text: '', final: true },
  U: { type: 'transcript', turnId: 'turn-2', text: 'Never mind.', final: true },
  C: { type: 'reply.cancel', turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' },
};

type Out = { t: number; e: PipelineEvent };

function run(marble: string, make: (s: SchedulerLike) => Omit<LlmStreamOptions, 'scheduler'>, unsubscribeAt?: number): Out[] {
  const scheduler = new TestScheduler(() => undefined);
  const out: Out[] = [];
  scheduler.run(({ cold }) => {
    const sub = cold(marble, values)
      .pipe(llmStream({ ...make(scheduler), scheduler }))
      .subscribe((e) => out.push({ t: scheduler.now(), e }));
    if (unsubscribeAt !== undefined) scheduler.schedule(() => sub.unsubscribe(), unsubscribeAt);
  });
  return out;
}

const brief = (out: Out[]) =>
  out.map(({ t, e }) => {
    switch (e.type) {
      case 'assistant.text':
        return `${t} ${e.turnId} text:${e.delta}`;
      case 'assistant.done':
        return `${t} ${e.turnId} done:${e.text}`;
      case 'metric':
        return `${t} ${e.turnId} ${e.name}:${e.valueMs}`;
      case 'error':
        return `${t} ${e.turnId} error:${e.stage}/${e.code}`;
      default:
        return `${t} ${e.type}`;
    }
  });

describe('llmStream', () => {
  it('streams deltas as they arrive, then done with usage; partial and empty transcripts start nothing', () => {
    let chat!: ReturnType<typeof fakeChatModel>;
    const conversation = new Conversation({ systemPrompt: 'Be brief.' });
    const out = run('p 9ms e 9ms T', (scheduler) => {
      chat = fakeChatModel({ replies: ['It is sunny.'], firstTokenMs: 100, tokenMs: 20, scheduler });
      return { chatModel: chat, conversation };
    });
    expect(brief(out)).toEqual([
      '0 transcript',
      '10 transcript',
      '20 transcript',
      '120 turn-1 text:It',
      '140 turn-1 text: is',
      '160 turn-1 text: sunny.',
      '160 turn-1 done:It is sunny.',
    ]);
    expect(out.at(-1)!.e).toMatchObject({ usage: { inputTokens: 10, outputTokens: 3 }, finishReason: 'stop' });
    expect(chat.requests[0]!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is the weather?' },
    ]);
    expect(conversation.messages().at(-1)).toEqual({ role: 'assistant', content: 'It is sunny.' });
  });

  it('a new turn cancels the reply in flight: nothing more for the old turn, its request aborted', () => {
    let chat!: ReturnType<typeof fakeChatModel>;
    const out = run('T 49ms U', (scheduler) => {
      chat = fakeChatModel({ replies: ['one two three four five', 'OK.'], firstTokenMs: 10, tokenMs: 20, scheduler });
      return { chatModel: chat };
    });
    expect(brief(out)).toEqual([
      '0 transcript',
      '10 turn-1 text:one',
      '30 turn-1 text: two',
      '50 transcript',
      '60 turn-2 text:OK.',
      '60 turn-2 done:OK.',
    ]);
    expect(chat.aborted).toBe(1);
    // The second request saw the cut first reply in the history.
    expect(chat.requests[1]!.messages.map((m) => m.content)).toEqual(['What is the weather?', 'one two', 'Never mind.']);
  });

  it('reply.cancel for the turn aborts its request and passes the cancel on', () => {
    let chat!: ReturnType<typeof fakeChatModel>;
    const out = run('T 39ms C', (scheduler) => {
      chat = fakeChatModel({ replies: ['one two three four'], firstTokenMs: 10, tokenMs: 20, scheduler });
      return { chatModel: chat };
    });
    expect(brief(out)).toEqual(['0 transcript', '10 turn-1 text:one', '30 turn-1 text: two', '40 reply.cancel']);
    expect(chat.aborted).toBe(1);
    expect(chat.active).toBe(0);
  });

  it('unsubscribing aborts the request in flight', () => {
    let chat!: ReturnType<typeof fakeChatModel>;
    run('T', (scheduler) => {
      chat = fakeChatModel({ replies: ['one two three'], firstTokenMs: 10, tokenMs: 20, scheduler });
      return { chatModel: chat };
    }, 15);
    expect(chat.aborted).toBe(1);
    expect(chat.active).toBe(0);
  });

  it('a provider error becomes one error event for the turn and the next turn works', () => {
    const out = run('T 99ms U', (scheduler) => ({
      chatModel: fakeChatModel({
        replies: [new RxVoiceError({ code: 'auth', stage: 'llm', message: 'bad key', retryable: false }), 'Fine.'],
        firstTokenMs: 5,
        scheduler,
      }),
    }));
    expect(brief(out)).toEqual(['0 transcript', '5 turn-1 error:llm/auth', '100 transcript', '105 turn-2 text:Fine.', '105 turn-2 done:Fine.']);
  });

  it('retries a 429 before the first token, honouring retry-after', () => {
    const attempts: number[] = [];
    const out = run('T', (scheduler) => ({
      chatModel: fakeChatModel((_req, call) => {
        attempts.push(scheduler.now());
        if (call === 0) return throwError(() => new RxVoiceError({ code: 'rate_limited', stage: 'llm', message: '429', retryable: true, retryAfterMs: 700 }));
        return new Observable<ChatChunk>((s) => {
          s.next({ type: 'text', delta: 'Hi.' });
          s.next({ type: 'done', finishReason: 'stop' });
          s.complete();
        });
      }),
    }));
    expect(attempts).toEqual([0, 700]);
    expect(brief(out)).toEqual(['0 transcript', '0 turn-1 retry:700', '700 turn-1 text:Hi.', '700 turn-1 done:Hi.']);
  });
});

describe('llmStream tools', () => {
  const weather = defineTool<{ city: string }>({
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    handler: async ({ city }) => ({ city, tempC: 21 }),
  });
  const broken = defineTool({ name: 'book', parameters: { type: 'object' }, handler: async () => { throw new Error('no tables left'); } });

  async function collect(events: PipelineEvent[], options: LlmStreamOptions): Promise<PipelineEvent[]> {
    const source = new Observable<PipelineEvent>((s) => {
      for (const e of events) s.next(e);
      s.complete();
    });
    const out: PipelineEvent[] = [];
    await new Promise<void>((resolve, reject) => source.pipe(llmStream(options)).subscribe({ next: (e) => out.push(e), error: reject, complete: resolve }));
    return out;
  }

  it('assembles a tool call mid-reply, runs it, sends the result back and streams on', async () => {
    const conversation = new Conversation();
    const chat = fakeChatModel({ replies: [{ toolCall: { name: 'get_weather', arguments: { city: 'Paris' }, id: 'call_1' } }, 'It is 21 degrees in Paris.'], tokenMs: 1 });
    const out = await collect([values.T!], { chatModel: chat, tools: [weather], conversation });
    expect(out.map((e) => e.type)).toEqual(['transcript', 'tool.call', 'tool.result', ...Array(6).fill('assistant.text'), 'assistant.done']);
    expect(out[1]).toEqual({ type: 'tool.call', turnId: 'turn-1', callId: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(out[2]).toEqual({ type: 'tool.result', turnId: 'turn-1', callId: 'call_1', name: 'get_weather', output: '{"city":"Paris","tempC":21}', isError: false });
    expect(chat.requests[0]!.tools).toEqual([{ name: 'get_weather', description: 'Weather for a city', parameters: weather.parameters }]);
    expect(chat.requests[1]!.messages.slice(1)).toEqual([
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', toolCallId: 'call_1', content: '{"city":"Paris","tempC":21}' },
    ]);
    expect(out.at(-1)).toMatchObject({ type: 'assistant.done', text: 'It is 21 degrees in Paris.', usage: { inputTokens: 20, outputTokens: 9 } });
  });

  it('text, then a tool call mid-reply, then more text: one reply, history in wire order', async () => {
    const conversation = new Conversation();
    const chat = fakeChatModel((_req, call) =>
      call === 0
        ? of<ChatChunk[]>(
            { type: 'text', delta: 'Let me ' },
            { type: 'text', delta: 'check.' },
            { type: 'tool_call', index: 0, id: 'call_w', name: 'get_weather', argumentsDelta: '{"ci' },
            { type: 'tool_call', index: 0, argumentsDelta: 'ty":"Paris"}' },
            { type: 'done', finishReason: 'tool_calls', usage: { inputTokens: 5, outputTokens: 4 } },
          )
        : of<ChatChunk[]>({ type: 'text', delta: ' It is 21 degrees.' }, { type: 'done', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 5 } }),
    );
    const out = await collect([values.T!], { chatModel: chat, tools: [weather], conversation });
    expect(out.map((e) => (e.type === 'assistant.text' ? `text:${e.delta}` : e.type))).toEqual([
      'transcript', 'text:Let me ', 'text:check.', 'tool.call', 'tool.result', 'text: It is 21 degrees.', 'assistant.done',
    ]);
    expect(out.at(-1)).toMatchObject({ text: 'Let me check. It is 21 degrees.', usage: { inputTokens: 14, outputTokens: 9 }, finishReason: 'stop' });
    expect(conversation.messages()).toEqual([
      { role: 'user', content: 'What is the weather?' },
      { role: 'assistant', content: 'Let me check.', toolCalls: [{ id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', toolCallId: 'call_w', content: '{"city":"Paris","tempC":21}' },
      { role: 'assistant', content: ' It is 21 degrees.' },
    ]);
  });

  it('a throwing handler becomes an error result the model sees', async () => {
    const chat = fakeChatModel({ replies: [{ toolCall: { name: 'book', arguments: {} } }, 'Sorry, fully booked.'], tokenMs: 1 });
    const out = await collect([values.T!], { chatModel: chat, tools: [broken] });
    expect(out.find((e) => e.type === 'tool.result')).toMatchObject({ output: '{"error":"no tables left"}', isError: true });
    expect(chat.requests[1]!.messages.at(-1)).toEqual({ role: 'tool', toolCallId: 'call_fake_0', content: '{"error":"no tables left"}' });
    expect(out.at(-1)).toMatchObject({ type: 'assistant.done', text: 'Sorry, fully booked.' });
  });

  it('a reply cancelled while its tool runs leaves every tool call answered and the next turn works', async () => {
    const conversation = new Conversation();
    let release!: () => void;
    const slow = defineTool({ name: 'get_weather', parameters: {}, handler: (_a, ctx) => new Promise((r) => { release = () => r({ aborted: ctx.signal.aborted }); }) });
    const chat = fakeChatModel({ replies: [{ toolCall: { name: 'get_weather', arguments: {}, id: 'call_x' } }, 'OK.'], tokenMs: 1 });
    const subject = new (await import('rxjs')).Subject<PipelineEvent>();
    const out: PipelineEvent[] = [];
    const done = new Promise<void>((resolve) => subject.pipe(llmStream({ chatModel: chat, tools: [slow], conversation })).subscribe({ next: (e) => out.push(e), complete: resolve }));
    subject.next(values.T!);
    await waitFor(() => out.some((e) => e.type === 'tool.call'));
    subject.next(values.C!);
    release();
    subject.next(values.U!);
    subject.complete();
    await done;
    expect(out.filter((e) => e.type === 'tool.result')).toEqual([]);
    const messages = chat.requests[1]!.messages;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'user']);
    expect(out.at(-1)).toMatchObject({ type: 'assistant.done', turnId: 'turn-2', text: 'OK.' });
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}
