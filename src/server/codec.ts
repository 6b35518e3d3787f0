import type { SampleRate } from '../audio/frame.js';

/**
 * The few audio conversions the transports need on their hot path: G.711 mu-law (Twilio, 8 kHz clients)
 * and a small streaming resampler between the client's rate and the pipeline's. Kept local so the server
 * has no dependency on how the audio package evolves; the formats are standard (ITU-T G.711).
 */

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

const DECODE_TABLE = (() => {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) {
    const u = ~i & 0xff;
    const exponent = (u >> 4) & 0x07;
    const mantissa = u & 0x0f;
    const magnitude = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
    table[i] = u & 0x80 ? -magnitude : magnitude;
  }
  return table;
})();

export function muLawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = DECODE_TABLE[bytes[i]!]!;
  return out;
}

function encodeSample(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(sample), MULAW_CLIP) + MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function muLawEncode(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = encodeSample(samples[i]!);
  return out;
}

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

/**
 * Streaming resampler, continuous across chunks. Going down it averages over the source span of each
 * output sample (a box low-pass, enough to keep 24 kHz TTS from aliasing badly into 8 kHz telephony);
 * going up it interpolates linearly.
 */
export function createStreamResampler(fromRate: number, toRate: number): StreamResampler {
  if (fromRate === toRate) return { push: (chunk) => chunk };
  const step = fromRate / toRate;
  let history = new Float64Array(0); // source samples not yet fully consumed
  let position = 0; // position of the next output sample, in source samples, relative to `history[0]`
  return {
    push(chunk: Int16Array): Int16Array {
      const source = new Float64Array(history.length + chunk.length);
      source.set(history);
      for (let i = 0; i < chunk.length; i++) source[history.length + i] = chunk[i]!;
      const out: number[] = [];
      if (step > 1) {
        while (position + step <= source.length) {
          const start = Math.floor(position);
          const end = Math.floor(position + step);
          let sum = 0;
          for (let i = start; i < end; i++) sum += source[i]!;
          out.push(sum / Math.max(1, end - start));
          position += step;
        }
      } else {
        while (position + 1 < source.length) {
          const i = Math.floor(position);
          const frac = position - i;
          out.push(source[i]! * (1 - frac) + source[i + 1]! * frac);
          position += step;
        }
      }
      const consumed = Math.floor(position);
      history = source.slice(consumed);
      position -= consumed;
      const result = new Int16Array(out.length);
      for (let i = 0; i < out.length; i++) result[i] = Math.max(-32768, Math.min(32767, Math.round(out[i]!)));
      return result;
    },
  };
}

export const CLIENT_SAMPLE_RATES = [8000, 16000, 24000, 48000] as const satisfies readonly SampleRate[];
export type ClientSampleRate = (typeof CLIENT_SAMPLE_RATES)[number];
