/**
 * A template for `bench/turns.ts --policy`: the smallest policy that reads what was said. It ends the turn
 * at a 200 ms pause whose transcript reads finished (ends in . ? !) and otherwise leaves it to the vad's
 * long silence (1200 ms), dropping the vad's own end of a turn it already ended. The transcripts are the
 * bench's scripted ones (`transcripts: true`), punctuated perfectly, so its numbers are an upper bound for
 * this rule, not a measure of a real transcriber; the real policy is the TurnDetector operator.
 *
 *   npx tsx bench/turns.ts   (bench/turns.ts always includes it)
 */
import { mergeMap, type OperatorFunction } from 'rxjs';
import type { PipelineEvent, SpeechPausedEvent } from '../../src/events.js';
import type { TurnPolicy } from '../turns-measure.js';

/** Ends a turn at a pause whose transcript ends a sentence; the vad's later end of that turn is dropped. */
export function endAtFinishedSentence(): OperatorFunction<PipelineEvent, PipelineEvent> {
  return (source) => {
    let pause: SpeechPausedEvent | undefined;
    const ended = new Set<string>();
    return source.pipe(
      mergeMap((e): PipelineEvent[] => {
        if (e.type === 'speech.paused') pause = e;
        if (e.type === 'speech.resumed') pause = undefined;
        if (e.type === 'transcript' && pause?.turnId === e.turnId && /[.?!]$/.test(e.text.trim()) && !ended.has(e.turnId)) {
          ended.add(e.turnId);
          return [e, { type: 'speech.ended', turnId: e.turnId, audioMs: pause.audioMs, decidedAudioMs: pause.decidedAudioMs, reason: 'silence' }];
        }
        if (e.type === 'speech.ended' && ended.has(e.turnId)) return [];
        return [e];
      }),
    );
  };
}

export const policies: TurnPolicy[] = [
  { name: 'template: finished sentence at 200 ms, else 1200 ms', vad: { silenceMs: 1200, pauseMs: 200 }, transcripts: true, policy: endAtFinishedSentence() },
];
