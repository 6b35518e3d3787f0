import type { SampleRate } from '../audio/frame.js';
import { bytesToPcm16, pcm16ToBytes } from '../audio/pcm.js';
import { createResampler } from '../audio/resample.js';

/**
 * The audio conversions the transports need: G.711 mu-law (Twilio, 8 kHz clients), PCM16 bytes with odd
 * lengths carried by the caller, and streaming resampling between the client's rate and the pipeline's.
 */
export { muLawDecode, muLawEncode } from '../audio/g711.js';

/** mu-law byte for silence (what Twilio and openai-agents-js pad gaps with). */
export const MULAW_SILENCE = 0xff;

/** PCM16 little-endian bytes -> samples (a copy). An odd trailing byte is left out (the caller carries it). */
export function bytesToSamples(bytes: Uint8Array): Int16Array {
  return bytesToPcm16(bytes.subarray(0, bytes.length - (bytes.length % 2)));
}

/** Samples -> PCM16 little-endian bytes (a copy: the frame may be shared with the recording). */
export function samplesToBytes(samples: Int16Array): Buffer {
  return Buffer.from(pcm16ToBytes(samples));
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
