import { asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { PipelineEvent } from '../src/events.js';
import type { PlaybackClock } from '../src/playback.js';

/** When caller speech during a reply counts as a barge-in. `false`: never (a new final transcript still ends a stale reply). */
export type BargeInPolicy =
  | false
  | {
      /** The caller must have spoken this long (audio time) before the reply is cut. Default 0. */
      readonly minSpeechMs?: number;
      /** A partial or final transcript with at least this many words is needed. Default 0. */
      readonly minWords?: number;
    };

export interface BargeInOptions {
  /** The clock `tts` records reply audio in (the same instance): tells whether a reply is still active. */
  readonly playback: PlaybackClock;
  /** Default `{}`: any caller speech during a reply cuts it at once. */
  readonly policy?: BargeInPolicy;
  /** Ignore caller utterances that start while the assistant is speaking (no barge-in, no new turn). */
  readonly halfDuplex?: boolean;
  /** Ignore caller utterances that start within this many ms after the reply's audio started (echo). */
  readonly echoGuardMs?: number;
  /** After a false interruption (empty final transcript) emit `reply.resume` so `tts` re-speaks the rest. Default true. */
  readonly resume?: boolean;
  readonly scheduler?: SchedulerLike;
}

/** Barge-in policy (placed after `transcribe`, before `llmStream`). Implementation lands in the next commit. */
export function bargeIn(options: BargeInOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  void (options.scheduler ?? asyncScheduler);
  return (source) => source;
}
