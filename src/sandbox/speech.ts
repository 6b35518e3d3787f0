import type { SampleRate } from '../audio/frame.js';
import type { SynthesizedSpeech } from './context.js';

/** Offline speech synthesis for the sandbox (espeak-ng WASM). Placeholder: silence until it lands. */
export async function synthesizeSpeech(
  text: string,
  sampleRate: SampleRate,
  _options: { language?: string; speed?: number } = {},
): Promise<SynthesizedSpeech> {
  const chars = [...text];
  const samples = new Int16Array(Math.round((sampleRate * 60 * chars.length) / 1000));
  return {
    samples,
    sampleRate,
    alignment: { chars, charStartMs: chars.map((_, i) => i * 60), charDurationMs: chars.map(() => 60) },
  };
}
