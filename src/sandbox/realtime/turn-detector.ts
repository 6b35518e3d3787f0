/**
 * Server VAD for the realtime surface: finds where speech starts and where a turn ends in the appended
 * audio. The engine talks to this small interface only, so the detector behind it (the project's Silero
 * detector, or the energy detector below) can change without touching the session.
 */
export type TurnTransition =
  | { readonly kind: 'start'; /** Audio ms (session time) where speech began. */ readonly speechStartMs: number }
  | {
      readonly kind: 'end';
      /** Audio ms where the last speech ended. */
      readonly speechEndMs: number;
      /** Audio ms when the end of turn was decided (speech end + silence). */
      readonly decidedMs: number;
    };

export interface TurnDetector {
  /** Feeds the next appended audio (contiguous with the previous push) and returns what it decided. */
  push(samples: Int16Array, sampleRate: 24000 | 8000): Promise<TurnTransition[]>;
  release(): Promise<void>;
}

export interface TurnDetectorOptions {
  /** OpenAI's `threshold`, 0-1: higher needs louder audio to count as speech. */
  readonly threshold: number;
  /** Silence that ends a turn. */
  readonly silenceMs: number;
  /** Speech shorter than this does not start a turn (a click or a cough). */
  readonly minSpeechMs?: number;
}

export type TurnDetectorFactory = (options: TurnDetectorOptions) => TurnDetector;

const WINDOW_MS = 20;

/**
 * A level detector: a 20 ms window is speech when its RMS is above a threshold mapped from OpenAI's 0-1
 * `threshold` to -50..-20 dBFS. Cheap and deterministic; used when the Silero detector is unavailable.
 */
export function createEnergyTurnDetector(options: TurnDetectorOptions): TurnDetector {
  const minSpeechMs = options.minSpeechMs ?? 100;
  const thresholdDb = -50 + 30 * Math.min(1, Math.max(0, options.threshold));
  let pending = new Int16Array(0);
  let clockMs = 0;
  let inSpeech = false;
  let runStartMs: number | undefined;
  let lastSpeechEndMs = 0;

  return {
    async push(samples, sampleRate) {
      const windowLen = (sampleRate * WINDOW_MS) / 1000;
      const all = new Int16Array(pending.length + samples.length);
      all.set(pending);
      all.set(samples, pending.length);
      const out: TurnTransition[] = [];
      let offset = 0;
      for (; offset + windowLen <= all.length; offset += windowLen) {
        let sum = 0;
        for (let i = offset; i < offset + windowLen; i++) sum += (all[i] ?? 0) ** 2;
        const rms = Math.sqrt(sum / windowLen) / 32768;
        const db = rms > 0 ? 20 * Math.log10(rms) : -120;
        const speech = db > thresholdDb;
        const startMs = clockMs;
        clockMs += WINDOW_MS;
        if (speech) {
          runStartMs ??= startMs;
          lastSpeechEndMs = clockMs;
          if (!inSpeech && clockMs - runStartMs >= minSpeechMs) {
            inSpeech = true;
            out.push({ kind: 'start', speechStartMs: runStartMs });
          }
        } else {
          if (!inSpeech) runStartMs = undefined;
          else if (clockMs - lastSpeechEndMs >= options.silenceMs) {
            inSpeech = false;
            runStartMs = undefined;
            out.push({ kind: 'end', speechEndMs: lastSpeechEndMs, decidedMs: clockMs });
          }
        }
      }
      pending = all.slice(offset);
      return out;
    },
    async release() {
      pending = new Int16Array(0);
    },
  };
}
