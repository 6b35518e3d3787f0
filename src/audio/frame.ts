/** Sample rates the audio primitives support end to end. */
export const SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;
export type SampleRate = (typeof SAMPLE_RATES)[number];

export function isSampleRate(rate: number): rate is SampleRate {
  return (SAMPLE_RATES as readonly number[]).includes(rate);
}

/**
 * One block of mono PCM16 audio. Frames are immutable by convention: an operator that changes audio
 * makes a new frame rather than writing into `samples`.
 */
export interface AudioFrame {
  /** Signed 16-bit mono samples. */
  readonly samples: Int16Array;
  readonly sampleRate: SampleRate;
  /** Start of the frame in ms, relative to the start of its stream (audio time, not wall time). */
  readonly startMs: number;
  /** Position of the frame in its stream, from 0, without gaps. */
  readonly seq: number;
}

export function frameDurationMs(frame: Pick<AudioFrame, 'samples' | 'sampleRate'>): number {
  return (frame.samples.length * 1000) / frame.sampleRate;
}

export function frameEndMs(frame: AudioFrame): number {
  return frame.startMs + frameDurationMs(frame);
}
