import { asyncScheduler, Observable, Subject, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { AudioFrame } from '../src/audio/frame.js';
import { RecentAudio } from '../src/audio/recent.js';
import { Conversation } from '../src/conversation.js';
import { RxVoiceError } from '../src/errors.js';
import { errorEvent, type PipelineEvent } from '../src/events.js';
import { recordInHistory } from '../src/history.js';
import { renumberTurns, turnNumber } from '../src/turnIds.js';
import { cascaded } from './cascaded.js';
import { isFatalRealtimeError, type FailoverOptions } from './failoverOptions.js';
import { DEFAULT_SYSTEM_PROMPT } from './options.js';
import { realtimePipeline } from './realtime.js';

export { isFatalRealtimeError, type FailoverOptions } from './failoverOptions.js';

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
      // Caller audio of the outage, replayed into the cascaded chain if the call moves.
      const buffered = new RecentAudio(maxBufferMs);
      let held: PipelineEvent[] = [];
      let turnsBeforeOutage = 0;
      let inputDone = false;
      let lastTurn = 0;
      let timer: Subscription | undefined;
      let primarySub: Subscription | undefined;
      let fallbackSub: Subscription | undefined;

      const countTurn = (event: PipelineEvent): void => void (lastTurn = Math.max(lastTurn, turnNumber(event) ?? 0));
      const emitPrimary = (event: PipelineEvent): void => {
        countTurn(event);
        // Under their own tag: the cascaded chain numbers its turns from 1 again inside, and the history is keyed by turn.
        recordInHistory(conversation, event, (turnId) => `realtime:${turnId}`);
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
        const message = `The realtime provider did not come back within ${afterMs} ms; the call continues on the cascaded chain`;
        subscriber.next(errorEvent(new RxVoiceError({ code: 'connection', stage: 'pipeline', message })));
        fallbackSub = fallbackInput.pipe(cascaded({ ...options.fallback, conversation, scheduler: options.fallback.scheduler ?? scheduler })).subscribe({
          next: (event) => {
            const moved = renumberTurns(event, offset);
            countTurn(moved);
            subscriber.next(moved);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        });
        for (const frame of buffered.take()) fallbackInput.next(frame);
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
              buffered.take();
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
          if (state === 'waiting') buffered.push(frame);
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
