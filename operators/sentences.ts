import { Observable, type OperatorFunction } from 'rxjs';
import type { PipelineEvent } from '../src/events.js';
import { DEFAULT_SEGMENTER_OPTIONS, SentenceSegmenter } from '../src/text/segmenter.js';

export interface SentencesOptions {
  /**
   * The first segment of a reply may end at a clause boundary (comma, semicolon, colon, dash) once it has
   * this many words, so speech starts before the first sentence is complete. Default 1 (any first clause);
   * `false` disables.
   */
  readonly firstClauseMinWords?: number | false;
  /** A segment shorter than this (characters) waits to be joined with the next one. Default 0. */
  readonly minChars?: number;
  /** A sentence longer than this is cut at its last clause boundary or space. Default 250. */
  readonly maxChars?: number;
}

/**
 * Re-cuts a reply's `assistant.text` deltas into segments that end where speech can start, for a
 * text-to-speech that starts speaking after the first segment. The raw deltas are CONSUMED: each one is
 * replaced by zero or more `assistant.text` events with `segment: true` whose deltas concatenate to the same
 * text. Sentence ends are aware of abbreviations (Dr., e.g., U.S.), decimals (3.14), ellipses, closing
 * quotes, CJK punctuation (。！？), Spanish ¿¡ and French spacing ("Bonjour !").
 *
 * ```
 * in:  --a---b-----c----D---    a "Hello, my friend" b ". How are" c " you?" D assistant.done
 * out: ------(s)---------(tD)   s "Hello, my friend." t " How are you?" (flushed at done)
 * ```
 *
 * - `tool.call`: the turn's buffered text is flushed first (the model pauses for the tool).
 * - `assistant.done`: flushes the rest, then passes the done event.
 * - `reply.cancel`, an `error` with the turn's id from the `llm` stage: the turn's buffer is dropped.
 * - Deltas that already carry `segment: true` pass unchanged. Everything else passes untouched.
 */
export function sentences(options: SentencesOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  const segmenterOptions = {
    firstClauseMinWords: options.firstClauseMinWords ?? DEFAULT_SEGMENTER_OPTIONS.firstClauseMinWords,
    minChars: options.minChars ?? DEFAULT_SEGMENTER_OPTIONS.minChars,
    maxChars: options.maxChars ?? DEFAULT_SEGMENTER_OPTIONS.maxChars,
  };
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const turns = new Map<string, SentenceSegmenter>();
      const emit = (turnId: string, delta: string): void =>
        subscriber.next({ type: 'assistant.text', turnId, delta, segment: true });
      const flush = (turnId: string): void => {
        const rest = turns.get(turnId)?.flush();
        turns.delete(turnId);
        if (rest !== undefined) emit(turnId, rest);
      };
      return source.subscribe({
        next: (event) => {
          switch (event.type) {
            case 'assistant.text': {
              if (event.segment) {
                flush(event.turnId);
                subscriber.next(event);
                return;
              }
              let segmenter = turns.get(event.turnId);
              if (!segmenter) {
                segmenter = new SentenceSegmenter(segmenterOptions);
                turns.set(event.turnId, segmenter);
              }
              for (const segment of segmenter.push(event.delta)) emit(event.turnId, segment);
              return;
            }
            case 'tool.call':
            case 'assistant.done':
              flush(event.turnId);
              break;
            case 'reply.cancel':
              turns.delete(event.turnId);
              break;
            case 'error':
              if (event.turnId !== undefined && event.stage === 'llm') turns.delete(event.turnId);
              break;
            default:
          }
          subscriber.next(event);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          for (const turnId of [...turns.keys()]) flush(turnId);
          subscriber.complete();
        },
      });
    });
}
