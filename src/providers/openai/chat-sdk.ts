import type OpenAI from 'openai';
import { Observable } from 'rxjs';
import { RxVoiceError } from '../../errors.js';
import { chatUsage } from './usage.js';
import type { TokenUsage } from '../../events.js';
import type { OpenAIEndpoint } from '../env.js';
import type { ChatChunk, ChatModel } from '../types.js';
import { chatRequestBody } from './chat.js';
import { connectionError } from './http.js';
import { loadOpenAISdk, type OpenAISdk } from './sdk.js';

export interface OpenAISdkChatModelOptions {
  readonly endpoint: OpenAIEndpoint;
  readonly model?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The same `ChatModel` on the official `openai` SDK (v6) instead of raw undici, for comparison
 * (`bench/llm-client.ts`) and for users who want the SDK's behaviour. Retries are left to the operator
 * (`maxRetries: 0`); unsubscribing aborts through the SDK's `signal`.
 */
export function createOpenAISdkChatModel(options: OpenAISdkChatModelOptions): ChatModel {
  const e = options.endpoint;
  const model = e.kind === 'azure' ? e.deployments.chat : (options.model ?? 'gpt-4o-mini');
  const common = { apiKey: e.apiKey, maxRetries: 0, ...(options.headers ? { defaultHeaders: { ...options.headers } } : {}) };
  // The SDK is imported on the first request (see ./sdk.ts), the client built once.
  let client: Promise<{ sdk: OpenAISdk; client: OpenAI }> | undefined;
  const getClient = () =>
    (client ??= loadOpenAISdk().then((sdk) => ({
      sdk,
      client:
        e.kind === 'openai'
          ? new sdk.OpenAI({ ...common, baseURL: e.baseURL })
          : e.apiVersion
            ? new sdk.AzureOpenAI({ ...common, endpoint: e.endpoint, apiVersion: e.apiVersion, deployment: e.deployments.chat })
            : new sdk.OpenAI({ ...common, baseURL: `${e.endpoint}/openai/v1`, defaultHeaders: { ...options.headers, 'api-key': e.apiKey } }),
    })));
  let sdkForErrors: OpenAISdk | undefined;
  return {
    name: `sdk:${e.kind}:${model}`,
    stream: (req) =>
      new Observable<ChatChunk>((subscriber) => {
        const abort = new AbortController();
        const body = chatRequestBody(model, req, options) as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming;
        void (async () => {
          let finishReason: string | undefined;
          let usage: TokenUsage | undefined;
          const { sdk, client: c } = await getClient();
          sdkForErrors = sdk;
          const stream = await c.chat.completions.create(body, { signal: abort.signal });
          for await (const chunk of stream) {
            if (chunk.usage) usage = chatUsage(chunk.usage);
            const choice = chunk.choices?.[0];
            if (!choice) continue;
            if (choice.delta?.content) subscriber.next({ type: 'text', delta: choice.delta.content });
            for (const call of choice.delta?.tool_calls ?? []) {
              subscriber.next({
                type: 'tool_call',
                index: call.index,
                ...(call.id ? { id: call.id } : {}),
                ...(call.function?.name ? { name: call.function.name } : {}),
                argumentsDelta: call.function?.arguments ?? '',
              });
            }
            if (choice.finish_reason) finishReason = choice.finish_reason;
          }
          subscriber.next({ type: 'done', finishReason: finishReason ?? 'stop', ...(usage ? { usage } : {}) });
          subscriber.complete();
        })().catch((err: unknown) => {
          if (abort.signal.aborted) return;
          subscriber.error(sdkError(err, sdkForErrors));
        });
        return () => abort.abort();
      }),
  };
}

function sdkError(err: unknown, sdk: OpenAISdk | undefined): RxVoiceError {
  if (sdk && err instanceof sdk.APIError && err.status !== undefined) {
    const status = err.status;
    return new RxVoiceError({
      code: status === 401 || status === 403 ? 'auth' : status === 429 ? 'rate_limited' : 'provider_error',
      stage: 'llm',
      message: `chat request failed (${status}): ${err.message}`,
      retryable: status === 408 || status === 409 || status === 429 || status >= 500,
      status,
    });
  }
  return connectionError('llm', err);
}
