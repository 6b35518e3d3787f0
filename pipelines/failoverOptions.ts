import type { SchedulerLike } from 'rxjs';
import type { ErrorEvent } from '../src/events.js';
import type { CascadedOptions } from './cascadedOptions.js';
import type { RealtimePipelineOptions } from './realtimeOptions.js';

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
