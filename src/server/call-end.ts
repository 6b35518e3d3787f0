import { tap, type OperatorFunction } from 'rxjs';
import type { AudioFrame } from '../audio/frame.js';
import type { PipelineEvent } from '../events.js';
import type { PipelineFactory } from './types.js';

/**
 * Watches each call for the pipeline's own `call.end` (the idle caller's polite hang-up) and calls `end`
 * once with the session id; the server then ends the call as for a spent budget: the goodbye in progress
 * is heard out, the client gets `ended`.
 */
export function honourCallEnd(factory: PipelineFactory, end: (sessionId: string, reason: string) => void): PipelineFactory {
  return (choice) => {
    const pipeline = factory(choice);
    const watched: OperatorFunction<AudioFrame, PipelineEvent> = (source) => {
      let ended = false;
      return pipeline(source).pipe(
        tap((event) => {
          if (ended || event.type !== 'call.end') return;
          ended = true;
          // Not from inside the pipeline's own emission: ending the call completes its input.
          setImmediate(() => end(choice.sessionId, event.reason));
        }),
      );
    };
    return watched;
  };
}
