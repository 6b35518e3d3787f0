/**
 * The vad's decisions, without a model: fed one speech probability per model window, it says when an
 * utterance starts and ends. Pure and synchronous, so marble tests drive it with scripted numbers and the
 * fixture tests drive it with Silero.
 *
 * - Hysteresis: a window is speech when p >= positiveThreshold; once speaking, windows stay speech down to
 *   negativeThreshold; a window below it starts the end-of-turn silence count.
 * - minSpeechMs: speech must add up to this before `start` is reported (a cough never opens an
 *   utterance); the reported start is the real one, the first speech window.
 * - silenceMs: the end-of-turn delay: pauses shorter than this do not end the utterance.
 * - pauseMs: a shorter silence inside an utterance that is reported as a `pause` (a chain may start a
 *   preemptive reply there); speech after it is a `resume`. 0 (the default here): no pauses reported.
 * - maxUtteranceMs: an utterance this long is ended (`max_length`); if the caller is still speaking a new
 *   one starts at once.
 * - A turn detector may change the end-of-turn silence of the utterance in a pause (`setPauseSilence`):
 *   shorter for a turn that reads complete, longer for one that trails off; speech clears it again.
 */

export interface VadConfig {
  readonly positiveThreshold: number;
  readonly negativeThreshold: number;
  readonly minSpeechMs: number;
  readonly silenceMs: number;
  readonly pauseMs: number;
  readonly prePaddingMs: number;
  readonly maxUtteranceMs: number;
}

export const DEFAULT_VAD_CONFIG: VadConfig = {
  positiveThreshold: 0.5,
  negativeThreshold: 0.35,
  minSpeechMs: 250,
  silenceMs: 500,
  pauseMs: 0,
  prePaddingMs: 300,
  maxUtteranceMs: 30_000,
};

export type VadTransition =
  | {
      readonly type: 'start';
      /** Audio time of the first speech window. */
      readonly audioMs: number;
      /** `audioMs - prePaddingMs`, not before the stream start: where the utterance's audio begins. */
      readonly paddedStartMs: number;
    }
  | {
      readonly type: 'end';
      /** Audio time of the end of the last speech window. */
      readonly audioMs: number;
      /** Audio time when the end was decided (end of the window that completed the silence). */
      readonly decidedAudioMs: number;
      readonly reason: 'silence' | 'max_length' | 'end_of_stream';
    }
  | {
      readonly type: 'pause';
      /** Audio time of the end of the last speech window. */
      readonly audioMs: number;
      /** `audioMs` + about `pauseMs` (the window that completed the pause). */
      readonly decidedAudioMs: number;
    }
  | {
      readonly type: 'resume';
      /** Audio time of the speech window that followed the pause. */
      readonly audioMs: number;
    };

type Phase = 'silence' | 'pending' | 'speech';

/** The longest end-of-turn silence a turn detector may ask for: a caller is never held longer. */
export const MAX_PAUSE_SILENCE_MS = 5000;

export class VadStateMachine {
  readonly config: VadConfig;
  private phase: Phase = 'silence';
  private startMs = 0;
  private speechMs = 0;
  private lastSpeechEndMs = 0;
  /** True after a window below negativeThreshold, until one above positiveThreshold. */
  private trailing = false;
  /** A `pause` was reported and no speech came since. */
  private paused = false;
  /** The end-of-turn silence a turn detector set for the current pause; undefined = `silenceMs`. */
  private pauseSilenceMs: number | undefined;
  private streamStartMs: number | undefined;

  constructor(config: Partial<VadConfig> = {}) {
    this.config = { ...DEFAULT_VAD_CONFIG, ...stripUndefined(config) };
    if (this.config.negativeThreshold > this.config.positiveThreshold) {
      throw new RangeError('negativeThreshold must not exceed positiveThreshold');
    }
  }

  /** True between `start` and `end`. */
  get speaking(): boolean {
    return this.phase === 'speech';
  }

  /** True while a reported `pause` lasts (no speech since). */
  get inPause(): boolean {
    return this.phase === 'speech' && this.paused;
  }

  /**
   * Sets the end-of-turn silence for the pause in progress (0: end at the next decision point), or
   * `undefined` for `silenceMs` again. Ignored outside a pause: a verdict is about the words before it.
   */
  setPauseSilence(ms: number | undefined): void {
    if (this.inPause) this.pauseSilenceMs = ms === undefined ? undefined : Math.min(MAX_PAUSE_SILENCE_MS, Math.max(0, ms));
  }

  /** Ends the utterance now if its pause has lasted the silence now required (after `setPauseSilence`). */
  closeIfDue(nowMs: number): VadTransition[] {
    if (!this.inPause || nowMs - this.lastSpeechEndMs < this.endSilenceMs) return [];
    return [this.close(Math.max(nowMs, this.lastSpeechEndMs))];
  }

  private get endSilenceMs(): number {
    return this.pauseSilenceMs ?? this.config.silenceMs;
  }

  private close(decidedAudioMs: number): VadTransition {
    this.phase = 'silence';
    this.paused = false;
    this.pauseSilenceMs = undefined;
    return { type: 'end', audioMs: this.lastSpeechEndMs, decidedAudioMs, reason: 'silence' };
  }

  /** Feeds one window's speech probability; returns the transitions it caused, in order. */
  push(probability: number, frameStartMs: number, frameDurMs: number): VadTransition[] {
    const c = this.config;
    const endMs = frameStartMs + frameDurMs;
    this.streamStartMs ??= frameStartMs;
    const out: VadTransition[] = [];
    switch (this.phase) {
      case 'silence':
        if (probability >= c.positiveThreshold) {
          this.phase = 'pending';
          this.startMs = frameStartMs;
          this.speechMs = frameDurMs;
          this.lastSpeechEndMs = endMs;
          this.trailing = false;
          this.confirm(out);
        }
        break;
      case 'pending':
        if (this.isSpeech(probability)) {
          this.speechMs += frameDurMs;
          this.lastSpeechEndMs = endMs;
          this.confirm(out);
        } else if (endMs - this.lastSpeechEndMs >= c.silenceMs) {
          this.phase = 'silence'; // too little speech before the silence: a cough, a click
        }
        break;
      case 'speech':
        if (this.isSpeech(probability)) {
          if (this.paused) out.push({ type: 'resume', audioMs: frameStartMs });
          this.paused = false;
          this.pauseSilenceMs = undefined;
          this.lastSpeechEndMs = endMs;
        } else if (endMs - this.lastSpeechEndMs >= this.endSilenceMs) {
          out.push(this.close(endMs));
          break;
        } else if (c.pauseMs > 0 && !this.paused && endMs - this.lastSpeechEndMs >= c.pauseMs) {
          out.push({ type: 'pause', audioMs: this.lastSpeechEndMs, decidedAudioMs: endMs });
          this.paused = true;
        }
        if (endMs - this.startMs >= c.maxUtteranceMs) {
          const audioMs = this.trailing ? this.lastSpeechEndMs : endMs;
          out.push({ type: 'end', audioMs, decidedAudioMs: endMs, reason: 'max_length' });
          this.paused = false;
          this.pauseSilenceMs = undefined;
          if (this.trailing) {
            this.phase = 'silence';
          } else {
            // Still talking: the next utterance starts right here, already confirmed.
            this.startMs = endMs;
            this.lastSpeechEndMs = endMs;
            out.push({ type: 'start', audioMs: endMs, paddedStartMs: endMs });
          }
        }
        break;
    }
    return out;
  }

  /** The stream ended: closes an open utterance (`end_of_stream`). A pending one is dropped. */
  end(atMs: number): VadTransition[] {
    const wasSpeaking = this.phase === 'speech';
    this.phase = 'silence';
    this.paused = false;
    this.pauseSilenceMs = undefined;
    if (!wasSpeaking) return [];
    return [{ type: 'end', audioMs: this.lastSpeechEndMs, decidedAudioMs: Math.max(atMs, this.lastSpeechEndMs), reason: 'end_of_stream' }];
  }

  reset(): void {
    this.phase = 'silence';
    this.paused = false;
    this.pauseSilenceMs = undefined;
    this.trailing = false;
    this.streamStartMs = undefined;
  }

  /** Hysteresis: positive threshold to enter or resume, negative threshold to leave. */
  private isSpeech(p: number): boolean {
    const c = this.config;
    if (p >= c.positiveThreshold) {
      this.trailing = false;
      return true;
    }
    if (p < c.negativeThreshold) {
      this.trailing = true;
      return false;
    }
    return !this.trailing;
  }

  private confirm(out: VadTransition[]): void {
    if (this.speechMs < this.config.minSpeechMs) return;
    this.phase = 'speech';
    const paddedStartMs = Math.max(this.streamStartMs ?? 0, this.startMs - this.config.prePaddingMs);
    out.push({ type: 'start', audioMs: this.startMs, paddedStartMs });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
