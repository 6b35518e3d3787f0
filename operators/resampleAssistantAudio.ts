import { defer, map, type OperatorFunction } from 'rxjs';
import type { AudioFrame, SampleRate } from '../src/audio/frame.js';
import { createResampler, type StreamingResampler } from '../src/audio/resample.js';
import type { PipelineEvent } from '../src/events.js';

/** Turns whose resampler state is kept; an older turn's reply is over (barge-in or done). */
const MAX_TURNS = 8;

/**
 * Brings reply audio (`assistant.audio`) to the rate the sink asked for, e.g. a speech model's 24 kHz to
 * 16 kHz. One streaming resampler per turn, so a reply's frames resample without seams; `seq` counts that
 * turn's resampled frames from 0, `startMs` is kept. Frames already at `rate` and every other event pass on
 * untouched.
 *
 * ```
 * in:  --a24--a24--T--b24--|      a/b assistant.audio of two turns at 24 kHz, T any other event
 * out: --a16--a16--T--b16--|      same events, frames at `rate` (16 kHz here)
 * ```
 * State: at most 8 turns' resamplers (the oldest dropped); all released when the subscription ends.
 */
export function resampleAssistantAudio(rate: SampleRate): OperatorFunction<PipelineEvent, PipelineEvent> {
  return (source) =>
    defer(() => {
      const turns = new Map<string, { resampler: StreamingResampler; seq: number }>();
      return source.pipe(
        map((event): PipelineEvent => {
          if (event.type !== 'assistant.audio' || event.frame.sampleRate === rate) return event;
          let state = turns.get(event.turnId);
          if (!state) {
            state = { resampler: createResampler(event.frame.sampleRate, rate), seq: 0 };
            turns.set(event.turnId, state);
            if (turns.size > MAX_TURNS) turns.delete(turns.keys().next().value as string);
          }
          const frame: AudioFrame = { samples: state.resampler.push(event.frame.samples), sampleRate: rate, startMs: event.frame.startMs, seq: state.seq++ };
          return { ...event, frame };
        }),
      );
    });
}
