import { asyncScheduler, Observable, Subject, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { AudioFrame } from '../src/audio/frame.js';
import { Conversation } from '../src/conversation.js';
import { RxVoiceError } from '../src/errors.js';
import { errorEvent, type ErrorEvent, type PipelineEvent } from '../src/events.js';
import { cascaded, DEFAULT_SYSTEM_PROMPT, type CascadedOptions } from './cascaded.js';
import { realtimePipeline, type RealtimePipelineOptions } from './realtime.js';

export interface FailoverOptions {
  /** The realtime chain the call starts on. */
  readonly primary: RealtimePipelineOptions;
  /** The cascaded chain the call moves to; its `conversation` is replaced by the one carried over. */
  readonly fallback: Omit<CascadedOptions, 'conversation'>;
  /**
   * After the realtime chain reports an error it will not recover from (its reconnects ran out, or the
   * key was refused), how long to wait for it to come back before moving. Default 2000 ms.
   */
  readonly afterMs?: number;
  /** Caller audio kept while waiting, replayed into the cascaded chain (so nothing said is lost). Default 10 000 ms. */
  readonly maxBufferMs?: number;
  readonly scheduler?: SchedulerLike;
}

/** Errors after which the realtime operator stops for good (see `operators/realtime.ts` `onDrop`). */
export function isFatalRealtimeError(event: ErrorEvent): boolean {
  return event.stage === 'realtime' && !event.retryable && (event.code === 'connection' || event.code === 'auth');
}

/**
 * The realtime chain with a way out: if its provider fails mid-call and does not come back within
 * `afterMs`, the call continues on the cascaded chain, with the conversation so far (what the caller said
 * and what they heard of each reply) and the caller audio of the gap replayed. Opt-in: plain
 * `realtimePipeline()` never switches.
 *
 * ```
 * frames:   -a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-|
 * realtime: -S-E-T-x-D---S-E-X                  X: fatal realtime error (reconnects ran out)
 * out:      -S-E-T-x-D---S-E-X---F-S-E-T-x-D-|  F: `error` (stage pipeline) saying the call moved; then cascaded
 *                             |-afterMs-|
 * ```
 * Turn ids continue the realtime chain's numbering, so logs and metrics stay unambiguous.
 */
export function withFailover(options: FailoverOptions): OperatorFunction<AudioFrame, PipelineEvent> {
  const afterMs = options.afterMs ?? 2000;
  const maxBufferMs = options.maxBufferMs ?? 10_000;
  const scheduler = options.scheduler ?? asyncScheduler;
  return (frames) =>
    new Observable<PipelineEvent>((subscriber) => {
      const conversation = new Conversation({ systemPrompt: options.fallback.systemPrompt ?? options.primary.systemPrompt ?? DEFAULT_SYSTEM_PROMPT });
      const primaryInput = new Subject<AudioFrame>();
      const fallbackInput = new Subject<AudioFrame>();
      let state: 'primary' | 'waiting' | 'fallback' = 'primary';
      let buffered: AudioFrame[] = [];
      let held: PipelineEvent[] = [];
      let turnsBeforeOutage = 0;
      let inputDone = false;
      let lastTurn = 0;
      let timer: Subscription | undefined;
      let primarySub: Subscription | undefined;
      let fallbackSub: Subscription | undefined;

      const countTurn = (event: PipelineEvent): void => {
        const n = 'turnId' in event && event.turnId ? /^turn-(\d+)$/.exec(event.turnId) : null;
        if (n) lastTurn = Math.max(lastTurn, Number(n[1]));
      };
      // The realtime chain's turns go into the history under their own tag: the cascaded chain numbers its
      // turns from 1 again inside, and the history is keyed by turn.
      const track = (event: PipelineEvent): void => {
        countTurn(event);
        const tag = (turnId: string) => `realtime:${turnId}`;
        if (event.type === 'transcript' && event.final && event.text.trim() !== '') conversation.addUser(tag(event.turnId), event.text);
        else if (event.type === 'assistant.done' && event.text !== '') conversation.appendAssistantText(tag(event.turnId), event.text);
        else if (event.type === 'interruption') conversation.truncateAssistant(tag(event.turnId), event.heardText);
      };

      const emitPrimary = (event: PipelineEvent): void => {
        track(event);
        subscriber.next(event);
      };

      const switchOver = (): void => {
        if (state === 'fallback') return;
        state = 'fallback';
        timer?.unsubscribe();
        primarySub?.unsubscribe();
        conversation.answerDanglingToolCalls();
        held = [];
        const offset = turnsBeforeOutage;
        subscriber.next(
          errorEvent(
            new RxVoiceError({ code: 'connection', stage: 'pipeline', message: `The realtime provider did not come back within ${afterMs} ms; the call continues on the cascaded chain` }),
          ),
        );
        fallbackSub = fallbackInput.pipe(cascaded({ ...options.fallback, conversation, scheduler: options.fallback.scheduler ?? scheduler })).subscribe({
          next: (event) => {
            const moved = renumber(event, offset);
            countTurn(moved);
            subscriber.next(moved);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        });
        const replay = buffered;
        buffered = [];
        for (const frame of replay) fallbackInput.next(frame);
        if (inputDone) fallbackInput.complete();
      };

      primarySub = primaryInput.pipe(realtimePipeline({ ...options.primary, scheduler: options.primary.scheduler ?? scheduler })).subscribe({
        next: (event) => {
          if (state === 'fallback') return;
          if (state === 'waiting') {
            if (event.type === 'assistant.text' || (event.type === 'transcript' && event.final)) {
              // It came back by itself: what was held goes out after all.
              state = 'primary';
              timer?.unsubscribe();
              buffered = [];
              const out = held;
              held = [];
              for (const e of out) emitPrimary(e);
            } else {
              // Held back: if the call moves, the cascaded chain hears this audio again and reports it.
              held.push(event);
              return;
            }
          }
          emitPrimary(event);
          if (event.type === 'error' && isFatalRealtimeError(event)) {
            state = 'waiting';
            turnsBeforeOutage = lastTurn;
            timer = scheduler.schedule(switchOver, afterMs);
          }
        },
        error: (err: unknown) => {
          // A chain that throws instead of reporting: move at once.
          if (state !== 'fallback') switchOver();
          else subscriber.error(err);
        },
        complete: () => {
          if (state === 'primary') subscriber.complete();
          else if (state === 'waiting' && inputDone) switchOver();
        },
      });

      const sourceSub = frames.subscribe({
        next: (frame) => {
          if (state === 'fallback') return void fallbackInput.next(frame);
          if (state === 'waiting') {
            buffered.push(frame);
            const newest = frame.startMs;
            while (buffered.length > 0 && newest - buffered[0]!.startMs > maxBufferMs) buffered.shift();
          }
          primaryInput.next(frame);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          inputDone = true;
          if (state === 'fallback') fallbackInput.complete();
          else primaryInput.complete();
        },
      });

      return () => {
        sourceSub.unsubscribe();
        timer?.unsubscribe();
        primarySub?.unsubscribe();
        fallbackSub?.unsubscribe();
      };
    });
}

/** `turn-N` from the fallback chain becomes `turn-(N + offset)`, continuing the realtime chain's numbering. */
function renumber(event: PipelineEvent, offset: number): PipelineEvent {
  if (offset === 0) return event;
  const shift = (id: string): string => {
    const m = /^turn-(\d+)$/.exec(id);
    return m ? `turn-${Number(m[1]) + offset}` : id;
  };
  const out: Record<string, unknown> = { ...event };
  if (typeof out.turnId === 'string') out.turnId = shift(out.turnId);
  if (typeof out.byTurnId === 'string') out.byTurnId = shift(out.byTurnId);
  return out as unknown as PipelineEvent;
}
