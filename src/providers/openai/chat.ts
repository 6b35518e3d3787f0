import { Observable } from 'rxjs';
import { request, type Dispatcher } from 'undici';
import { RxVoiceError } from '../../errors.js';
import { chatUsage } from './usage.js';
import type { TokenUsage } from '../../events.js';
import type { OpenAIEndpoint } from '../env.js';
import type { ChatChunk, ChatModel, ChatRequest } from '../types.js';
import { connectionError, httpError, isAbortError, resolveRequest, sharedDispatcher } from './http.js';
import { toChatCompletionsMessages } from './messages.js';
import { readSse } from './sse.js';
import type { ChatCompletionChunkWire } from './wire.js';

export interface OpenAIChatModelOptions {
  readonly endpoint: OpenAIEndpoint;
  /** Default `gpt-4o-mini`. On Azure the chat deployment from the endpoint is used instead. */
  readonly model?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Extra request headers (e.g. the sandbox's `x-rxvoice-call`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Connection pool; default one shared by the OpenAI providers, with a 30 s keep-alive. */
  readonly dispatcher?: Dispatcher;
  /** The stream counts as stalled (error `timeout`) after this long without a byte. Default 20 000 ms. */
  readonly stallTimeoutMs?: number;
}

/**
 * Chat Completions with `stream: true` on undici, SSE parsed with eventsource-parser: deltas are handed on
 * as each event arrives, and unsubscribing aborts the request at once (the socket is released).
 * Handles Azure's extra chunks (empty `choices`, content-filter results) and errors sent mid-stream.
 */
export function createOpenAIChatModel(options: OpenAIChatModelOptions): ChatModel {
  const model = options.model ?? 'gpt-4o-mini';
  const name = `${options.endpoint.kind}:${options.endpoint.kind === 'azure' ? options.endpoint.deployments.chat : model}`;
  return {
    name,
    stream: (req) =>
      new Observable<ChatChunk>((subscriber) => {
        const abort = new AbortController();
        streamChat(options, model, req, abort.signal, (c) => subscriber.next(c)).then(
          () => subscriber.complete(),
          (err: unknown) => {
            if (abort.signal.aborted) return;
            subscriber.error(err instanceof RxVoiceError ? err : connectionError('llm', err));
          },
        );
        return () => abort.abort();
      }),
  };
}

/** The JSON body of a streaming Chat Completions request. */
export function chatRequestBody(model: string, req: ChatRequest, defaults: { temperature?: number; maxTokens?: number } = {}): Record<string, unknown> {
  const temperature = req.temperature ?? defaults.temperature;
  const maxTokens = req.maxTokens ?? defaults.maxTokens;
  return {
    model,
    messages: toChatCompletionsMessages(req.messages),
    stream: true,
    stream_options: { include_usage: true },
    ...(req.tools && req.tools.length > 0
      ? {
          tools: req.tools.map((t) => ({
            type: 'function',
            function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters },
          })),
          tool_choice: 'auto',
        }
      : {}),
    ...(temperature === undefined ? {} : { temperature }),
    ...(maxTokens === undefined ? {} : { max_completion_tokens: maxTokens }),
  };
}

async function streamChat(
  options: OpenAIChatModelOptions,
  model: string,
  req: ChatRequest,
  signal: AbortSignal,
  emit: (c: ChatChunk) => void,
): Promise<void> {
  const target = resolveRequest(options.endpoint, 'chat/completions', model);
  const body = JSON.stringify(chatRequestBody(target.model, req, options));
  let response: Dispatcher.ResponseData;
  try {
    response = await request(target.url, {
      method: 'POST',
      headers: { ...target.headers, ...options.headers, 'content-type': 'application/json', accept: 'text/event-stream' },
      body,
      signal,
      dispatcher: options.dispatcher ?? sharedDispatcher(),
      headersTimeout: options.stallTimeoutMs ?? 20_000,
      bodyTimeout: options.stallTimeoutMs ?? 20_000,
    });
  } catch (err) {
    throw isAbortError(err) ? err : connectionError('llm', err);
  }
  if (response.statusCode < 200 || response.statusCode >= 300) {
    const text = await response.body.text().catch(() => '');
    throw httpError('llm', response.statusCode, response.headers, text);
  }
  let finishReason: string | undefined;
  let usage: TokenUsage | undefined;
  let sawDone = false;
  let failure: RxVoiceError | undefined;
  try {
    await readSse(response.body, (data) => {
      if (data === '[DONE]') {
        sawDone = true;
        return true;
      }
      let chunk: ChatCompletionChunkWire;
      try {
        chunk = JSON.parse(data) as ChatCompletionChunkWire;
      } catch {
        failure = new RxVoiceError({ code: 'protocol', stage: 'llm', message: 'malformed chat stream event', retryable: true });
        return true;
      }
      if (chunk.error) {
        failure = new RxVoiceError({ code: 'provider_error', stage: 'llm', message: `chat stream error: ${chunk.error.message ?? 'unknown'}`, retryable: true });
        return true;
      }
      if (chunk.usage) usage = chatUsage(chunk.usage);
      const choice = chunk.choices?.[0];
      if (!choice) return false; // Azure's prompt-filter chunk, the usage chunk
      const delta = choice.delta;
      if (delta?.content) emit({ type: 'text', delta: delta.content });
      if (delta?.refusal) emit({ type: 'text', delta: delta.refusal });
      for (const call of delta?.tool_calls ?? []) {
        emit({
          type: 'tool_call',
          index: call.index ?? 0,
          ...(call.id ? { id: call.id } : {}),
          ...(call.function?.name ? { name: call.function.name } : {}),
          argumentsDelta: call.function?.arguments ?? '',
        });
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
      return false;
    });
  } catch (err) {
    throw isAbortError(err) ? err : connectionError('llm', err);
  }
  if (failure) throw failure;
  if (!sawDone && finishReason === undefined) {
    throw new RxVoiceError({ code: 'connection', stage: 'llm', message: 'chat stream ended before the reply finished', retryable: true });
  }
  emit({ type: 'done', finishReason: finishReason ?? 'stop', ...(usage ? { usage } : {}) });
}
