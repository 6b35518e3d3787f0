import { asyncScheduler, Observable, timer, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { Conversation } from '../src/conversation.js';
import { RxVoiceError, toRxVoiceError } from '../src/errors.js';
import { addUsage, errorEvent, retryMetric, type PipelineEvent, type TokenUsage } from '../src/events.js';
import type { ChatChunk, ChatModel, ChatToolCall } from '../src/providers/types.js';
import { runTool as runSharedTool } from '../src/tool-runner.js';
import { toToolSpec, type ToolDefinition } from '../src/tools.js';
import { retryDelayMs, type RetryOptions } from './transcribe.js';

export interface LlmStreamOptions {
  readonly chatModel: ChatModel;
  /** The history to read and write; default a new one with `systemPrompt`. Share it to cut it on interruption. */
  readonly conversation?: Conversation;
  /** Used when no `conversation` is given. */
  readonly systemPrompt?: string;
  readonly tools?: readonly ToolDefinition[];
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Model -> tools -> model rounds per reply before giving up on tools. Default 5. */
  readonly maxToolRounds?: number;
  /** Retries of a failed request before its first chunk (nothing was said yet); `false` for none. */
  readonly retry?: RetryOptions | false;
  readonly scheduler?: SchedulerLike;
}

/**
 * The assistant's reply to each final, non-empty transcript, streamed from a chat model.
 *
 * ```
 * in:  --T1-----------------T2------------C2-->     T transcript (final), C reply.cancel
 * out: --T1--a-a-a-D1-------T2--a-a-------C2-->     a assistant.text delta, D assistant.done (usage)
 *                                   (the reply to turn 2 is aborted at C2: nothing more for it)
 * ```
 * A new final transcript cancels a reply still in flight for an older turn. Tool calls: fragments are
 * assembled, `tool.call` is emitted, the handler runs (its error becomes a `{"error": ...}` result the model
 * sees), `tool.result` is emitted and the reply streams on. The conversation gets the user turn, the text
 * as it streams, tool calls and results; a cancelled reply leaves every tool call answered.
 * A provider failure becomes one `error` event (stage 'llm') for the turn; the next turn works.
 */
export function llmStream(options: LlmStreamOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const conversation = options.conversation ?? new Conversation(options.systemPrompt === undefined ? {} : { systemPrompt: options.systemPrompt });
  const tools = new Map((options.tools ?? []).map((t) => [t.name, t]));
  const specs = [...tools.values()].map(toToolSpec);
  const retry = options.retry === false ? { maxAttempts: 1 } : (options.retry ?? {});
  const maxAttempts = Math.max(1, retry.maxAttempts ?? 3);
  const maxToolRounds = options.maxToolRounds ?? 5;

  const reply = (turnId: string): Observable<PipelineEvent> =>
    new Observable<PipelineEvent>((out) => {
      const abort = new AbortController();
      let round: Subscription | undefined;
      let wait: Subscription | undefined;
      let text = '';
      let usage: TokenUsage | undefined;
      let toolRounds = 0;

      const finish = (finishReason: string): void => {
        out.next({ type: 'assistant.done', turnId, text, ...(usage ? { usage } : {}), finishReason });
        out.complete();
      };

      const startRound = (attempt: number): void => {
        const calls = new Map<number, { id: string; name: string; args: string }>();
        let gotChunk = false;
        let done: Extract<ChatChunk, { type: 'done' }> | undefined;
        round = options.chatModel
          .stream({
            messages: conversation.messages(),
            ...(specs.length > 0 ? { tools: specs } : {}),
            ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
            ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
          })
          .subscribe({
            next: (chunk) => {
              gotChunk = true;
              if (chunk.type === 'text') {
                if (chunk.delta === '') return;
                text += chunk.delta;
                conversation.appendAssistantText(turnId, chunk.delta);
                out.next({ type: 'assistant.text', turnId, delta: chunk.delta });
              } else if (chunk.type === 'tool_call') {
                const call = calls.get(chunk.index) ?? { id: '', name: '', args: '' };
                calls.set(chunk.index, {
                  id: chunk.id ?? call.id,
                  name: chunk.name ?? call.name,
                  args: call.args + chunk.argumentsDelta,
                });
              } else {
                done = chunk;
                if (chunk.usage) usage = addUsage(usage, chunk.usage);
              }
            },
            error: (err: unknown) => {
              const e = toRxVoiceError(err, 'llm', 'provider_error');
              if (!gotChunk && e.retryable && attempt < maxAttempts) {
                const delayMs = retryDelayMs(retry, attempt, e);
                out.next(retryMetric(turnId, 'llm', delayMs, scheduler.now(), e.code, attempt));
                wait = timer(delayMs, scheduler).subscribe(() => startRound(attempt + 1));
                return;
              }
              conversation.answerDanglingToolCalls();
              out.next(errorEvent({ code: e.code, stage: 'llm', message: e.message, retryable: e.retryable }, turnId));
              out.complete();
            },
            complete: () => {
              // Acted on at completion, so the finished request is released, not aborted.
              if (out.closed) return;
              if (done) {
                const assembled = [...calls.entries()].sort(([a], [b]) => a - b).map(([index, c]) => toCall(turnId, toolRounds, index, c));
                if (assembled.length === 0) finish(done.finishReason);
                else runTools(assembled, done.finishReason);
                return;
              }
              out.next(errorEvent(new RxVoiceError({ code: 'protocol', stage: 'llm', message: 'the chat stream ended without finishing' }), turnId));
              out.complete();
            },
          });
      };

      const runTools = (calls: ChatToolCall[], finishReason: string): void => {
        conversation.addToolCalls(turnId, calls);
        for (const c of calls) out.next({ type: 'tool.call', turnId, callId: c.id, name: c.name, arguments: c.arguments });
        if (toolRounds >= maxToolRounds) {
          conversation.answerDanglingToolCalls(JSON.stringify({ error: 'tool round limit reached' }));
          finish(finishReason);
          return;
        }
        toolRounds += 1;
        void Promise.all(calls.map((c) => runTool(c, turnId, abort.signal))).then((results) => {
          if (abort.signal.aborted || out.closed) return;
          for (const [i, r] of results.entries()) {
            const c = calls[i]!;
            conversation.addToolResult(turnId, c.id, r.output);
            out.next({ type: 'tool.result', turnId, callId: c.id, name: c.name, output: r.output, isError: r.isError });
          }
          startRound(1);
        });
      };

      startRound(1);
      return () => {
        abort.abort();
        round?.unsubscribe();
        wait?.unsubscribe();
      };
    });

  // The shared runner (src/tool-runner.ts): the same parsing and redacted error text as the realtime chain.
  const runTool = (call: ChatToolCall, turnId: string, signal: AbortSignal): Promise<{ output: string; isError: boolean }> =>
    runSharedTool(tools.get(call.name), call.name, call.arguments, { turnId, signal });

  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      let active: { turnId: string; sub?: Subscription } | undefined;
      let sourceDone = false;

      const cancel = (): void => {
        if (!active) return;
        active.sub?.unsubscribe();
        active = undefined;
        conversation.answerDanglingToolCalls();
      };

      const start = (turnId: string, text: string): void => {
        cancel();
        conversation.addUser(turnId, text);
        const current: { turnId: string; sub?: Subscription } = { turnId };
        active = current;
        const sub = reply(turnId).subscribe({
          next: (e) => subscriber.next(e),
          complete: () => {
            if (active === current) active = undefined;
            if (sourceDone && !active) subscriber.complete();
          },
        });
        if (active === current) current.sub = sub;
      };

      const sub = source.subscribe({
        next: (event) => {
          if (event.type === 'reply.cancel' && active?.turnId === event.turnId) cancel();
          subscriber.next(event);
          if (event.type === 'transcript' && event.final && event.text.trim() !== '' && active?.turnId !== event.turnId) {
            start(event.turnId, event.text.trim());
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (!active) subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        active?.sub?.unsubscribe();
        active = undefined;
      };
    });
}

function toCall(turnId: string, round: number, index: number, c: { id: string; name: string; args: string }): ChatToolCall {
  return { id: c.id || `call_${turnId}_${round}_${index}`, name: c.name, arguments: c.args };
}
