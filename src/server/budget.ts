import { tap, type OperatorFunction } from 'rxjs';
import type { AudioFrame } from '../audio/frame.js';
import type { PipelineEvent } from '../events.js';
import type { PipelineFactory } from './types.js';

/**
 * Watches each call's `cost` events; the first time the call's total passes `maxUsd`, `exceeded` is
 * called once with the session id (the server then ends the call politely: the reply in progress is heard
 * out, no new turn starts, the client gets `ended`).
 */
export function enforceBudget(factory: PipelineFactory, maxUsd: number, exceeded: (sessionId: string, callUsd: number) => void): PipelineFactory {
  return (choice) => {
    const pipeline = factory(choice);
    const watched: OperatorFunction<AudioFrame, PipelineEvent> = (source) => {
      let over = false;
      return pipeline(source).pipe(
        tap((event) => {
          if (over || event.type !== 'cost' || event.callUsd <= maxUsd) return;
          over = true;
          // Not from inside the pipeline's own emission: ending the call completes its input.
          setImmediate(() => exceeded(choice.sessionId, event.callUsd));
        }),
      );
    };
    return watched;
  };
}
