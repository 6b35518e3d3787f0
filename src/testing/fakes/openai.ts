import { asyncScheduler, concat, defer, from, ignoreElements, Observable, of, timer, concatMap, map, type SchedulerLike } from 'rxjs';
import type { TokenUsage } from '../../events.js';
import type { ChatChunk, ChatModel, ChatRequest, Transcriber, TranscriptionRequest, TranscriptUpdate } from '../../providers/types.js';

/** What a fake provider saw: for asserting requests, aborts (unsubscribe before completion) and uploads. */
export interface FakeCalls<Req> {
  readonly requests: Req[];
  /** Subscriptions torn down before the fake completed or failed (i.e. aborted requests). */
  readonly aborted: number;
  /** Subscriptions open right now. */
  readonly active: number;
}

function tracked<Req, T>(calls: { requests: Req[]; aborted: number; active: number }, req: Req, body: Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    calls.requests.push(req);
    calls.active += 1;
    let ended = false;
    const sub = body.subscribe({
      next: (v) => subscriber.next(v),
      error: (err: unknown) => {
        ended = true;
        subscriber.error(err);
      },
      complete: () => {
        ended = true;
        subscriber.complete();
      },
    });
    return () => {
      calls.active -= 1;
      if (!ended) calls.aborted += 1;
      sub.unsubscribe();
    };
  });
}

export interface FakeTranscriber extends Transcriber, FakeCalls<TranscriptionRequest> {
  /** Audio samples received per request (what an upload would have sent). */
  readonly uploads: number[];
}

export type TranscriberScript =
  /** Full control: the response to the n-th (0-based) request, as a cold observable. */
  | ((request: TranscriptionRequest, call: number) => Observable<TranscriptUpdate>)
  /**
   * Responses to successive requests (a retry is a new request), each answered `latencyMs` after the
   * request's audio ends: a transcript, or an Error the request fails with.
   */
  | { readonly transcripts: readonly (string | TranscriptUpdate | Error)[]; readonly latencyMs?: number; readonly scheduler?: SchedulerLike };

/**
 * A Transcriber for marble tests. With a transcript list it behaves like the real one: it consumes the
 * utterance's audio and answers after the audio completes (an `Error` entry fails that request instead and
 * does not use up a transcript, like the sandbox's faults).
 *
 * ```ts
 * const stt = fakeTranscriber({ transcripts: ['hello', 'book a table'], latencyMs: 30, scheduler });
 * ```
 */
export function fakeTranscriber(script: TranscriberScript): FakeTranscriber {
  const calls = { requests: [] as TranscriptionRequest[], aborted: 0, active: 0, uploads: [] as number[] };
  let next = 0;
  const respond =
    typeof script === 'function'
      ? script
      : (request: TranscriptionRequest): Observable<TranscriptUpdate> => {
          const scheduler = script.scheduler ?? asyncScheduler;
          const index = calls.requests.length - 1;
          return concat(
            request.audio.pipe(
              map((samples) => {
                calls.uploads[index] = (calls.uploads[index] ?? 0) + samples.length;
              }),
              ignoreElements(),
            ),
            timer(script.latencyMs ?? 0, scheduler).pipe(
              concatMap(() => {
                const entry = script.transcripts[next] ?? '';
                next += 1;
                if (entry instanceof Error) throw entry;
                return of(typeof entry === 'string' ? { text: entry, final: true } : entry);
              }),
            ),
          );
        };
  const fake = {
    name: 'fake-transcriber',
    transcribe: (request: TranscriptionRequest) =>
      tracked(calls, request, defer(() => respond(request, calls.requests.length - 1))),
  };
  return Object.defineProperties(fake, {
    requests: { get: () => calls.requests },
    aborted: { get: () => calls.aborted },
    active: { get: () => calls.active },
    uploads: { get: () => calls.uploads },
  }) as FakeTranscriber;
}

export type ChatReplyScript =
  | string
  | { readonly toolCall: { readonly name: string; readonly arguments: Readonly<Record<string, unknown>>; readonly id?: string } }
  | Error;

export interface FakeChatModel extends ChatModel, FakeCalls<ChatRequest> {}

export type ChatScript =
  | ((request: ChatRequest, call: number) => Observable<ChatChunk>)
  /**
   * Replies for successive requests: text (streamed word by word, one piece every `tokenMs`), a tool
   * call, or an Error (the request fails).
   */
  | { readonly replies: readonly ChatReplyScript[]; readonly tokenMs?: number; readonly firstTokenMs?: number; readonly scheduler?: SchedulerLike };

/**
 * A ChatModel for marble tests: scripted replies streamed as text pieces (or a tool call in fragments),
 * then a `done` chunk with usage.
 */
export function fakeChatModel(script: ChatScript): FakeChatModel {
  const calls = { requests: [] as ChatRequest[], aborted: 0, active: 0 };
  const respond =
    typeof script === 'function'
      ? script
      : (_request: ChatRequest, call: number): Observable<ChatChunk> => {
          const reply = script.replies[call] ?? '';
          return scriptedChatStream(reply, {
            tokenMs: script.tokenMs ?? 10,
            firstTokenMs: script.firstTokenMs ?? script.tokenMs ?? 10,
            scheduler: script.scheduler ?? asyncScheduler,
            call,
          });
        };
  const fake = {
    name: 'fake-chat',
    stream: (request: ChatRequest) => tracked(calls, request, defer(() => respond(request, calls.requests.length - 1))),
  };
  return Object.defineProperties(fake, {
    requests: { get: () => calls.requests },
    aborted: { get: () => calls.aborted },
    active: { get: () => calls.active },
  }) as FakeChatModel;
}

/** The chunks of one scripted reply, paced on a scheduler. */
export function scriptedChatStream(
  reply: ChatReplyScript,
  options: { tokenMs: number; firstTokenMs: number; scheduler: SchedulerLike; call?: number },
): Observable<ChatChunk> {
  if (reply instanceof Error) return timer(options.firstTokenMs, options.scheduler).pipe(concatMap(() => { throw reply; }));
  let chunks: ChatChunk[];
  if (typeof reply === 'string') {
    const pieces = reply.match(/\s*\S+/g) ?? [];
    chunks = [...pieces.map((delta): ChatChunk => ({ type: 'text', delta })), done('stop', pieces.length)];
  } else {
    const args = JSON.stringify(reply.toolCall.arguments);
    const half = Math.ceil(args.length / 2);
    chunks = [
      { type: 'tool_call', index: 0, id: reply.toolCall.id ?? `call_fake_${options.call ?? 0}`, name: reply.toolCall.name, argumentsDelta: '' },
      { type: 'tool_call', index: 0, argumentsDelta: args.slice(0, half) },
      { type: 'tool_call', index: 0, argumentsDelta: args.slice(half) },
      done('tool_calls', 3),
    ];
  }
  return from(chunks).pipe(
    concatMap((chunk, i) => (i === 0 ? timer(options.firstTokenMs, options.scheduler) : i === chunks.length - 1 ? of(0) : timer(options.tokenMs, options.scheduler)).pipe(map(() => chunk))),
  );
}

function done(finishReason: string, outputTokens: number): ChatChunk {
  const usage: TokenUsage = { inputTokens: 10, outputTokens };
  return { type: 'done', finishReason, usage };
}

