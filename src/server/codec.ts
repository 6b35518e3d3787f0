import type { SampleRate } from '../audio/frame.js';
import { createResampler } from '../audio/resample.js';

/**
 * The audio conversions the transports need: G.711 mu-law (Twilio, 8 kHz clients), PCM16 bytes with odd
 * lengths carried by the caller, and streaming resampling between the client's rate and the pipeline's.
 */
export { muLawDecode, muLawEncode } from '../audio/g711.js';

/** mu-law byte for silence (what Twilio and openai-agents-js pad gaps with). */
export const MULAW_SILENCE = 0xff;

/** PCM16 little-endian bytes -> samples. An odd trailing byte is returned for the next call. */
export function bytesToSamples(bytes: Uint8Array): Int16Array {
  const count = bytes.length >> 1;
  const out = new Int16Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
  for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

export function samplesToBytes(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, i * 2);
  return out;
}

export interface StreamResampler {
  push(chunk: Int16Array): Int16Array;
}

/** The project's polyphase resampler (anti-aliased going down), continuous across chunks. */
export function createStreamResampler(fromRate: number, toRate: number): StreamResampler {
  return createResampler(fromRate, toRate);
}

export const CLIENT_SAMPLE_RATES = [8000, 16000, 24000, 48000] as const satisfies readonly SampleRate[];
export type ClientSampleRate = (typeof CLIENT_SAMPLE_RATES)[number];
