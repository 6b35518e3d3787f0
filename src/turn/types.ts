/**
 * End of turn that listens to what was said. A `TurnDetector` reads the turn so far (the transcript of the
 * preemptive request at a pause, and/or the audio) and says whether the caller is done; the
 * `turnDetector` operator turns its verdict into the silence the vad waits for before ending the turn.
 */

/** What a detector sees at a pause. */
export interface TurnDetectorInput {
  readonly turnId: string;
  /** The transcript of everything said so far in the turn (absent for audio-only detectors). */
  readonly text?: string;
  readonly language?: string;
  /** The turn's audio so far, PCM16 mono at `sampleRate` (only for detectors that ask for it). */
  readonly audio?: Int16Array;
  readonly sampleRate?: number;
  /** The silence so far, in ms of audio, when the detector was asked. */
  readonly silenceMs: number;
}

export interface TurnVerdict {
  /** The caller has finished the turn. */
  readonly done: boolean;
  /** How sure the detector is of `done`, 0..1. */
  readonly confidence: number;
  /** A short, human-readable why ("question", "trailing conjunction 'and'"), for logs and tuning. */
  readonly reason?: string;
}

/**
 * A pluggable end-of-turn model: the default is `textTurnDetector()` (a transparent reading of the words);
 * an ONNX smart-turn style model or an LLM fits the same shape. `decide` may be slow: a verdict that comes
 * after the caller spoke again, or after the turn ended, is dropped.
 */
export interface TurnDetector {
  readonly name: string;
  /** What it reads: `text` (default) waits for the pause's transcript; `audio` is asked at the pause itself. */
  readonly uses?: 'text' | 'audio' | 'text+audio';
  decide(input: TurnDetectorInput, signal: AbortSignal): TurnVerdict | PromiseLike<TurnVerdict>;
}

/** The `turnDetector` operator's word to the vad: end this turn after this much silence (undefined: the vad's own). */
export interface EndOfTurnRequest {
  readonly turnId: string;
  readonly silenceMs: number | undefined;
}
