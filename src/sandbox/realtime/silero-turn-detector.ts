import { createSpeechDetector } from '../../vad/detector.js';
import { createEnergyTurnDetector, type TurnDetector, type TurnDetectorOptions, type TurnTransition } from './turn-detector.js';

/** OpenAI does not cut long turns; an hour is "never" for a session. */
const NO_MAX_UTTERANCE_MS = 60 * 60 * 1000;

/**
 * Server VAD with the project's own Silero detector (`createSpeechDetector` from src/vad), as OpenAI runs
 * a neural VAD. `threshold` becomes Silero's speech threshold (the release threshold 0.15 below it). If
 * the model cannot load, the session falls back to the energy detector instead of going deaf.
 */
export function createSileroTurnDetector(options: TurnDetectorOptions): TurnDetector {
  const threshold = Math.min(0.99, Math.max(0.05, options.threshold));
  const silero = createSpeechDetector({
    positiveThreshold: threshold,
    negativeThreshold: Math.max(0.01, threshold - 0.15),
    silenceMs: options.silenceMs,
    minSpeechMs: options.minSpeechMs ?? 100,
    prePaddingMs: 0,
    maxUtteranceMs: NO_MAX_UTTERANCE_MS,
  });
  let fallback: TurnDetector | undefined;
  let clockMs = 0;
  let seq = 0;
  return {
    async push(samples, sampleRate) {
      if (fallback) return fallback.push(samples, sampleRate);
      const frame = { samples, sampleRate, startMs: clockMs, seq: seq++ };
      clockMs += (samples.length * 1000) / sampleRate;
      try {
        const transitions = await silero.push(frame);
        // The sandbox's server VAD reports starts and ends only (its machine has no pauseMs).
        return transitions.flatMap((t): TurnTransition[] =>
          t.type === 'start' ? [{ kind: 'start', speechStartMs: t.audioMs }] : t.type === 'end' ? [{ kind: 'end', speechEndMs: t.audioMs, decidedMs: t.decidedAudioMs }] : [],
        );
      } catch {
        fallback = createEnergyTurnDetector(options);
        // The energy detector keeps its own clock from 0: feed it silence up to now so times line up.
        await fallback.push(new Int16Array(Math.round(((clockMs - (samples.length * 1000) / sampleRate) * sampleRate) / 1000)), sampleRate);
        return fallback.push(samples, sampleRate);
      }
    },
    async release() {
      await silero.release();
      await fallback?.release();
    },
  };
}
