import { Observable, type OperatorFunction } from 'rxjs';
import type { ErrorStage } from '../src/errors.js';
import type { ErrorEvent, PipelineEvent } from '../src/events.js';

export interface SpokenFallbackOptions {
  /** What the assistant says when a turn fails; default "Sorry, could you say that again?". */
  readonly text?: string | ((error: ErrorEvent) => string);
  /** Which failing stages get a spoken answer; default transcription, the model and the realtime session. */
  readonly stages?: readonly ErrorStage[];
}

export const DEFAULT_FALLBACK_TEXT = 'Sorry, could you say that again?';

/**
 * Speaks a short apology when a turn fails before the assistant said anything, so the caller never meets
 * silence: a turn whose transcription was lost, or whose model request failed after its retries, gets a
 * reply like any other. Place it right before `tts` (after `sentences`); the error event still passes on.
 *
 * ```
 * in:  --T1--x--D1----E2-----|      E2: error event for turn-2, no reply text yet
 * out: --T1--x--D1----E2(fD)-|      f: assistant.text (segment) with the fallback, D: assistant.done
 * ```
 * A turn that already produced text is left alone (what came is spoken), and each turn falls back once.
 */
export function spokenFallback(options: SpokenFallbackOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  const stages = new Set<ErrorStage>(options.stages ?? ['transcribe', 'llm', 'realtime']);
  const textOf = (error: ErrorEvent): string =>
    typeof options.text === 'function' ? options.text(error) : (options.text ?? DEFAULT_FALLBACK_TEXT);
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      // Turns that already have reply text, or already fell back; bounded so a long call stays small.
      const answered = new Set<string>();
      const remember = (turnId: string): void => {
        answered.add(turnId);
        if (answered.size > 256) answered.delete(answered.values().next().value as string);
      };
      return source.subscribe({
        next: (event) => {
          subscriber.next(event);
          if ((event.type === 'assistant.text' && event.delta !== '') || event.type === 'assistant.done') {
            remember(event.turnId);
            return;
          }
          if (event.type !== 'error' || event.turnId === undefined || !stages.has(event.stage)) return;
          if (answered.has(event.turnId)) return;
          remember(event.turnId);
          const text = textOf(event);
          subscriber.next({ type: 'assistant.text', turnId: event.turnId, delta: text, segment: true });
          subscriber.next({ type: 'assistant.done', turnId: event.turnId, text, finishReason: 'fallback' });
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
