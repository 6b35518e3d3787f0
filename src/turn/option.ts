import { textTurnDetector } from './text-detector.js';
import type { TurnDetector } from './types.js';

/** A pipeline's `turnDetection` option: on (the text detector), off, a detector, or a detector with its silences. */
export type TurnDetectionOption =
  | boolean
  | TurnDetector
  | { readonly detector?: TurnDetector; readonly doneSilenceMs?: number; readonly holdSilenceMs?: number };

export interface TurnDetection {
  readonly detector: TurnDetector;
  readonly doneSilenceMs?: number;
  readonly holdSilenceMs?: number;
}

/** The option as `turnDetector` settings; undefined when turned off. Default: on, with `textTurnDetector()`. */
export function turnDetection(option: TurnDetectionOption | undefined): TurnDetection | undefined {
  if (option === false) return undefined;
  if (option === undefined || option === true) return { detector: textTurnDetector() };
  if ('decide' in option) return { detector: option };
  return {
    detector: option.detector ?? textTurnDetector(),
    ...(option.doneSilenceMs === undefined ? {} : { doneSilenceMs: option.doneSilenceMs }),
    ...(option.holdSilenceMs === undefined ? {} : { holdSilenceMs: option.holdSilenceMs }),
  };
}
