import type { AudioFrame } from '../audio/frame.js';
import type {
  AudioInEvent,
  SpeechEndReason,
  SpeechEndedEvent,
  SpeechStartedEvent,
  TranscriptEvent,
  UtteranceChunkEvent,
} from '../events.js';

/** Event builders with the fields tests rarely care about filled in. */
export function audioIn(frame: AudioFrame, turnId?: string): AudioInEvent {
  return turnId === undefined ? { type: 'audio.in', frame } : { type: 'audio.in', frame, turnId };
}

export function speechStarted(turnId: string, audioMs: number): SpeechStartedEvent {
  return { type: 'speech.started', turnId, audioMs };
}

export function speechEnded(
  turnId: string,
  audioMs: number,
  options: { reason?: SpeechEndReason; decidedAudioMs?: number } = {},
): SpeechEndedEvent {
  return { type: 'speech.ended', turnId, audioMs, reason: options.reason ?? 'silence', decidedAudioMs: options.decidedAudioMs ?? audioMs };
}

export function utteranceChunk(
  turnId: string,
  index: number,
  samples: Int16Array,
  options: { startMs?: number; final?: boolean; sampleRate?: UtteranceChunkEvent['sampleRate'] } = {},
): UtteranceChunkEvent {
  return {
    type: 'utterance.chunk',
    turnId,
    index,
    samples,
    sampleRate: options.sampleRate ?? 16000,
    startMs: options.startMs ?? 0,
    final: options.final ?? false,
  };
}

export function transcript(turnId: string, text: string, options: { final?: boolean; language?: string } = {}): TranscriptEvent {
  return {
    type: 'transcript',
    turnId,
    text,
    final: options.final ?? true,
    ...(options.language === undefined ? {} : { language: options.language }),
  };
}
