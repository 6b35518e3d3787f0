/**
 * The cascaded chain's end of turn (issue 13): vad with the preemptive pause (DEFAULT_PAUSE_MS) and the turnDetector
 * operator with the transparent text detector, its verdicts fed back to the vad (`vad({ endOfTurn })`), as
 * pipelines/cascaded.ts wires them. The preview transcript at each pause is the bench's scripted one,
 * delivered at once (the detector's best case) and after 400 ms of audio (the `typical` profile's
 * transcription median for a turn of this length, so a verdict lands when the real one would).
 *
 *   npx tsx bench/turns.ts   (included whenever operators/turnDetector.ts exists)
 *
 * operators/turnDetector.ts is loaded at run time, so this file also type-checks on branches without it.
 */
import { asyncScheduler, Subject, tap, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { frameDurationMs } from '../../src/audio/frame.js';
import type { PipelineEvent } from '../../src/events.js';
import type { VadOptions } from '../../operators/vad.js';
import type { TurnPolicy } from '../turns-measure.js';
import { DEFAULT_PAUSE_MS } from '../../pipelines/options.js';

interface TurnDetectorModule {
  textTurnDetector(): unknown;
  turnDetector(options: { detector: unknown; requests: Subject<unknown>; scheduler?: SchedulerLike }): OperatorFunction<PipelineEvent, PipelineEvent>;
}

const specifier: string = '../../operators/turnDetector.js';
const mod = (await import(specifier).catch((err: unknown) => {
  throw new Error(`bench/policies/turn-detector.ts needs operators/turnDetector.ts (${String(err)})`);
})) as TurnDetectorModule;

/** A scheduler whose clock is the audio's (the bench reads audio faster than real time). */
function audioClock(): { scheduler: SchedulerLike; track: OperatorFunction<PipelineEvent, PipelineEvent> } {
  let nowMs = 0;
  const scheduler: SchedulerLike = { now: () => nowMs, schedule: asyncScheduler.schedule.bind(asyncScheduler) };
  const track = tap<PipelineEvent>((e) => {
    if (e.type === 'audio.in') nowMs = e.frame.startMs + frameDurationMs(e.frame);
  });
  return { scheduler, track };
}

function textDetectorPolicy(name: string, delayMs: number): TurnPolicy {
  return {
    name,
    vad: { pauseMs: DEFAULT_PAUSE_MS },
    transcripts: { delayMs },
    setup: () => {
      const endOfTurn = new Subject<unknown>();
      const clock = audioClock();
      const detect = mod.turnDetector({ detector: mod.textTurnDetector(), requests: endOfTurn, scheduler: clock.scheduler });
      // `endOfTurn` is the turn detector's channel back to the vad (VadOptions gains it with the detector).
      const vad = { pauseMs: DEFAULT_PAUSE_MS, endOfTurn } as VadOptions;
      return { vad, policy: (source) => detect(clock.track(source)) };
    },
  };
}

export const policies: TurnPolicy[] = [
  textDetectorPolicy('turnDetector (text), preview at once', 0),
  textDetectorPolicy('turnDetector (text), preview after 400 ms', 400),
];
