import OpenAI, { AzureOpenAI, toFile } from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { captureSse, wavFile } from './helpers.js';

const scenario = {
  utterances: [
    { transcript: 'Book a table for two at seven.', language: 'en' },
    { transcript: 'Merci beaucoup.', language: 'fr' },
  ],
  replies: [
    { match: 'weather', toolCall: { name: 'get_weather', arguments: { city: 'Paris' } }, afterTool: 'In Paris it is {result} right now.' },
    { match: 'table', reply: 'Sure. I booked a table for two at seven. Anything else?' },
  ],
};

const weatherTool: ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

describe('official openai SDK against the sandbox', () => {
  let sandbox: Sandbox;
  let client: OpenAI;

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario });
    client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'sk-test-key-123456', maxRetries: 0 });
  });
  afterAll(() => sandbox.close());

  it('answers a non-streaming chat completion with the rule reply, echoing the model and marking the sandbox', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Can I get a table tonight?' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.system_fingerprint).toBe('rxvoice-sandbox');
    expect(completion.choices[0]?.message.content).toBe('Sure. I booked a table for two at seven. Anything else?');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(5);
  });

  it('streams a reply token by token, role first, then finish_reason, then the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'A table for two, please.' }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const contentChunks = chunks.filter((c) => c.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThan(8); // word pieces, not one blob
    expect(contentChunks.map((c) => c.choices[0]?.delta.content).join('')).toBe('Sure. I booked a table for two at seven. Anything else?');
    const finishIndex = chunks.findIndex((c) => c.choices[0]?.finish_reason === 'stop');
    expect(finishIndex).toBe(chunks.length - 2);
    const last = chunks[chunks.length - 1];
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(contentChunks.length);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('streams a tool call in fragments, then answers the tool result with afterTool', async () => {
    const messages: ChatCompletionMessageParam[] = [{ role: 'user', content: "What's the weather like?" }];
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, tools: [weatherTool], messages });
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    let fragments = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.finish_reason) finish = choice.finish_reason;
      for (const call of choice?.delta.tool_calls ?? []) {
        fragments += 1;
        const entry = calls.get(call.index) ?? { id: '', name: '', arguments: '' };
        entry.id ||= call.id ?? '';
        entry.name ||= call.function?.name ?? '';
        entry.arguments += call.function?.arguments ?? '';
        calls.set(call.index, entry);
      }
    }
    expect(finish).toBe('tool_calls');
    expect(fragments).toBeGreaterThan(2);
    const call = calls.get(0);
    expect(call?.name).toBe('get_weather');
    expect(call?.id).toMatch(/^call_/);
    expect(JSON.parse(call?.arguments ?? '')).toEqual({ city: 'Paris' });

    messages.push(
      { role: 'assistant', content: null, tool_calls: [{ id: call!.id, type: 'function', function: { name: call!.name, arguments: call!.arguments } }] },
      { role: 'tool', tool_call_id: call!.id, content: 'sunny and 21 degrees' },
    );
    const after = await client.chat.completions.create({ model: 'gpt-4o-mini', tools: [weatherTool], messages });
    expect(after.choices[0]?.message.content).toBe('In Paris it is sunny and 21 degrees right now.');
  });

  it('honours tool_choice: a named function or "required" forces a call', async () => {
    const lookup: ChatCompletionTool = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };
    const named = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      tools: [weatherTool, lookup],
      tool_choice: { type: 'function', function: { name: 'lookup' } },
      messages: [{ role: 'user', content: 'a table for two' }],
    });
    expect(named.choices[0]?.finish_reason).toBe('tool_calls');
    expect(named.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'lookup', arguments: '{}' } });
    const required = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      tools: [lookup],
      tool_choice: 'required',
      messages: [{ role: 'user', content: 'a table for two' }],
    });
    expect(required.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { name: 'lookup' } });
  });

  it('does not call a tool the request did not offer', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'weather?' }] });
    expect(completion.choices[0]?.message.tool_calls ?? []).toEqual([]);
    expect(completion.choices[0]?.message.content).toContain('get_weather');
  });

  it('transcribes uploads in scenario order per call, non-streaming and streaming', async () => {
    const audio = wavFile(16000);
    const opts = { headers: { 'x-rxvoice-call': 'sdk-call' } };
    const first = await client.audio.transcriptions.create({ file: await toFile(audio, 'a.wav'), model: 'gpt-4o-transcribe' }, opts);
    expect(first.text).toBe('Book a table for two at seven.');
    expect(first.usage?.type).toBe('tokens');

    const stream = await client.audio.transcriptions.create({ file: await toFile(audio, 'a.wav'), model: 'gpt-4o-mini-transcribe', stream: true }, opts);
    const deltas: string[] = [];
    let done: string | undefined;
    for await (const event of stream) {
      if (event.type === 'transcript.text.delta') deltas.push(event.delta);
      if (event.type === 'transcript.text.done') done = event.text;
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Merci beaucoup.');
    expect(done).toBe('Merci beaucoup.');
  });

  it('reports the language and duration in verbose_json and a plain body for text', async () => {
    const opts = { headers: { 'x-rxvoice-call': 'verbose-call' } };
    const verbose = await client.audio.transcriptions.create(
      { file: await toFile(wavFile(24000), 'a.wav'), model: 'whisper-1', response_format: 'verbose_json' },
      opts,
    );
    expect(verbose.text).toBe('Book a table for two at seven.');
    expect(verbose.language).toBe('english');
    expect(verbose.duration).toBeCloseTo(1.5, 5);
    const text = await client.audio.transcriptions.create({ file: await toFile(wavFile(16000), 'a.wav'), model: 'whisper-1', response_format: 'text' }, opts);
    expect(text).toBe('Merci beaucoup.');
  });

  it('accepts a streaming WAV header whose sizes are unknown (0xFFFFFFFF)', async () => {
    const result = await client.audio.transcriptions.create(
      { file: await toFile(wavFile(8000, 16000, true), 'live.wav'), model: 'gpt-4o-transcribe' },
      { headers: { 'x-rxvoice-call': 'streamed-header' } },
    );
    expect(result.text).toBe('Book a table for two at seven.');
  });

  it('falls back to the documented default transcripts without a scenario utterance', async () => {
    const other = await startSandbox();
    try {
      const c = new OpenAI({ baseURL: other.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
      const result = await c.audio.transcriptions.create({ file: await toFile(wavFile(16000), 'a.wav'), model: 'gpt-4o-transcribe' });
      expect(result.text).toBe("What's the weather like in Paris today?");
      const reply = await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: result.text }] });
      const sentences = reply.choices[0]?.message.content?.match(/[.!?](\s|$)/g) ?? [];
      expect(sentences.length).toBeGreaterThanOrEqual(1);
      expect(sentences.length).toBeLessThanOrEqual(3);
    } finally {
      await other.close();
    }
  });
});

describe('Azure OpenAI forms', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario });
  });
  afterAll(() => sandbox.close());

  it('serves AzureOpenAI chat streaming with the leading empty-choices chunk', async () => {
    const azure = new AzureOpenAI({ endpoint: sandbox.azureEndpoint, apiKey: 'azure-key-1234', apiVersion: '2024-10-21', deployment: 'chat-deploy', maxRetries: 0 });
    const stream = await azure.chat.completions.create({ model: 'ignored', stream: true, messages: [{ role: 'user', content: 'a table please' }] });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices).toEqual([]);
    expect((chunks[0] as unknown as { prompt_filter_results: unknown[] }).prompt_filter_results).toHaveLength(1);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Sure. I booked a table for two at seven. Anything else?');
    expect(chunks[1]?.model).toBe('chat-deploy');
  });

  it('routes the classic deployment path and checks the api-key header', async () => {
    const url = `${sandbox.url}/openai/deployments/chat-deploy/chat/completions?api-version=2024-10-21`;
    const body = JSON.stringify({ stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const ok = await captureSse(url, { 'api-key': 'azure-key-1234' }, body);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.data[0] ?? '{}')).toMatchObject({ id: '', object: '', choices: [] });
    expect(ok.data.at(-1)).toBe('[DONE]');
  });

  it('serves transcriptions on the classic deployment path and the /openai/v1 form', async () => {
    const azure = new AzureOpenAI({ endpoint: sandbox.azureEndpoint, apiKey: 'azure-key-1234', apiVersion: '2025-04-01-preview', deployment: 'stt-deploy', maxRetries: 0 });
    const first = await azure.audio.transcriptions.create({ file: await toFile(wavFile(16000), 'a.wav'), model: 'stt-deploy' });
    expect(first.text).toBe('Book a table for two at seven.');
    const v1 = new OpenAI({ baseURL: `${sandbox.url}/openai/v1`, apiKey: 'unused', defaultHeaders: { 'api-key': 'azure-key-1234' }, maxRetries: 0 });
    const second = await v1.audio.transcriptions.create({ file: await toFile(wavFile(16000), 'a.wav'), model: 'my-transcribe-deployment' });
    expect(second.text).toBe('Merci beaucoup.');
    expect(sandbox.stats.requests.transcribe).toBe(2);
  });
});
