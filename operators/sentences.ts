import type { OperatorFunction } from 'rxjs';
import type { PipelineEvent } from '../src/events.js';

export interface SentencesOptions {
  /** The first segment of a reply may end at a clause boundary (comma...) once it has this many words. Default 4; `false` disables. */
  readonly firstClauseMinWords?: number | false;
  /** A segment shorter than this (characters) waits to be joined with the next one. Default 0. */
  readonly minChars?: number;
  /** A sentence longer than this is cut at its last clause boundary or space. Default 250. */
  readonly maxChars?: number;
}

/** Re-cuts `assistant.text` deltas into segments where speech can start. Implementation lands in the next commit. */
export function sentences(options: SentencesOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  void options;
  return (source) => source;
}
