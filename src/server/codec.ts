import type { SampleRate } from '../audio/frame.js';
import { createResampler } from '../audio/resample.js';

/**
 * The audio conversions the transports need: G.711 mu-law (Twilio, 8 kHz clients), PCM16 bytes with odd
 * lengths carried by the caller, and streaming resampling between the client's rate and the pipeline's.
 */
export { muLawDecode, muLawEncode } from '../audio/g711.js';

/** mu-law byte for silence (what Twilio and openai-agents-js pad gaps with). */
export const MULAW_SILENCE = 0xff;

/** PCM16 on the wire is little-endian: on a little-endian host (x86, ARM) a byte copy is the conversion. */
const HOST_IS_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** PCM16 little-endian bytes -> samples (a copy). An odd trailing byte is left out (the caller carries it). */
export function bytesToSamples(bytes: Uint8Array): Int16Array {
  const count = bytes.length >> 1;
  const out = new Int16Array(count);
  // One memcpy instead of a DataView read per sample: ~10x less CPU per caller frame.
  if (HOST_IS_LE) new Uint8Array(out.buffer).set(bytes.subarray(0, count * 2));
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
    for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
  }
  return out;
}

/** Samples -> PCM16 little-endian bytes (a copy: the frame may be shared with the recording). */
export function samplesToBytes(samples: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(samples.length * 2);
  if (HOST_IS_LE) out.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  else for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, i * 2);
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
