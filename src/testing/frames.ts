import type { AudioFrame, SampleRate } from '../audio/frame.js';
import { samplesPerFrame } from '../audio/reframe.js';

export interface FrameOptions {
  readonly sampleRate?: SampleRate;
  readonly startMs?: number;
  readonly seq?: number;
  /** Constant sample value when the frame is given as a duration; default 0 (silence). */
  readonly value?: number;
}

/** One frame from samples, or a frame of `ms` milliseconds filled with `value`. */
export function frameOf(samplesOrMs: Int16Array | readonly number[] | number, options: FrameOptions = {}): AudioFrame {
  const sampleRate = options.sampleRate ?? 16000;
  let samples: Int16Array;
  if (typeof samplesOrMs === 'number') {
    samples = new Int16Array(samplesPerFrame(sampleRate, samplesOrMs)).fill(options.value ?? 0);
  } else {
    samples = Int16Array.from(samplesOrMs);
  }
  return { samples, sampleRate, startMs: options.startMs ?? 0, seq: options.seq ?? 0 };
}

export interface FrameRunOptions {
  readonly sampleRate?: SampleRate;
  /** Frame duration; default 20 ms. */
  readonly frameMs?: number;
  /** Start time of the first frame and seq of the first frame; default 0. */
  readonly startMs?: number;
  readonly firstSeq?: number;
}

function run(totalMs: number, options: FrameRunOptions, sample: (i: number, rate: number) => number): AudioFrame[] {
  const sampleRate = options.sampleRate ?? 16000;
  const frameMs = options.frameMs ?? 20;
  const size = samplesPerFrame(sampleRate, frameMs);
  const total = samplesPerFrame(sampleRate, totalMs);
  const startMs = options.startMs ?? 0;
  const frames: AudioFrame[] = [];
  for (let at = 0, k = 0; at < total; at += size, k++) {
    const samples = new Int16Array(Math.min(size, total - at));
    for (let i = 0; i < samples.length; i++) samples[i] = sample(at + i, sampleRate);
    frames.push({ samples, sampleRate, startMs: startMs + (at * 1000) / sampleRate, seq: (options.firstSeq ?? 0) + k });
  }
  return frames;
}

/** `ms` of silence as frames. */
export function silenceFrames(ms: number, options: FrameRunOptions = {}): AudioFrame[] {
  return run(ms, options, () => 0);
}

/** `ms` of a sine tone as frames (amplitude 0..1 of full scale, default 0.5). */
export function sineFrames(ms: number, options: FrameRunOptions & { readonly frequency?: number; readonly amplitude?: number } = {}): AudioFrame[] {
  const f = options.frequency ?? 440;
  const a = (options.amplitude ?? 0.5) * 32767;
  return run(ms, options, (i, rate) => Math.round(a * Math.sin((2 * Math.PI * f * i) / rate)));
}

/** A sine tone as raw samples. */
export function sine(frequency: number, ms: number, sampleRate: number, amplitude = 0.5): Int16Array {
  const n = Math.round((sampleRate * ms) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
  return out;
}
