import type { SpeechProbabilityModel } from '../vad/silero.js';

/** A scripted stand-in for Silero: one probability per 32 ms window, in order. */
export interface ScriptedVad extends SpeechProbabilityModel {
  process(frame16k: Float32Array): number;
  release(): void;
  /** Windows seen so far. */
  readonly calls: number;
  /** True once the vad released it (teardown ran). */
  readonly released: boolean;
}

/**
 * `probabilities` as a list (the last value repeats after the end), or a function of the window index.
 * Synchronous, so `vad` stays in virtual time under a TestScheduler.
 *
 * `scriptedVad([0, 0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0, 0])`
 */
export function scriptedVad(probabilities: readonly number[] | ((windowIndex: number) => number)): ScriptedVad {
  let calls = 0;
  let released = false;
  const at = typeof probabilities === 'function' ? probabilities : (i: number) => probabilities[Math.min(i, probabilities.length - 1)] ?? 0;
  return {
    process() {
      return at(calls++);
    },
    reset() {
      calls = 0;
    },
    release() {
      released = true;
    },
    get calls() {
      return calls;
    },
    get released() {
      return released;
    },
  };
}

/**
 * A scripted vad given as speech spans in ms: probability 0.9 inside any [startMs, endMs), 0.05 elsewhere.
 */
export function scriptedSpeech(spans: readonly (readonly [number, number])[]): ScriptedVad {
  return scriptedVad((i) => {
    const t = i * 32 + 16; // window centre
    return spans.some(([a, b]) => t >= a && t < b) ? 0.9 : 0.05;
  });
}
