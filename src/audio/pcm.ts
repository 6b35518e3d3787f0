import { RxVoiceError } from '../errors.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** PCM16 -> floats in [-1, 1), the scale Silero and most DSP code expect. */
export function pcm16ToFloat32(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i]! / 32768;
  return out;
}

/**
 * Floats in [-1, 1] -> PCM16 with the same ×32768 scale as `pcm16ToFloat32` (so a round trip is exact),
 * clamped: an overshoot (and 1.0 itself) saturates at 32767 instead of wrapping around.
 */
export function float32ToPcm16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    const scaled = v * 32768;
    out[i] = scaled >= 32767 ? 32767 : scaled <= -32768 ? -32768 : Math.round(scaled);
  }
  return out;
}

/** Little-endian bytes -> PCM16 samples (a copy). An odd byte count is malformed audio. */
export function bytesToPcm16(bytes: Uint8Array): Int16Array {
  if (bytes.length % 2 !== 0) {
    throw new RxVoiceError({
      code: 'bad_audio',
      stage: 'audio',
      message: `PCM16 audio must have an even number of bytes, got ${bytes.length}`,
    });
  }
  const out = new Int16Array(bytes.length / 2);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
  }
  return out;
}

/**
 * Little-endian bytes that nobody else holds -> PCM16 samples: on a little-endian host, with the bytes
 * 2-aligned, a view of the same memory (no copy); else a copy (`bytesToPcm16`).
 */
export function ownedBytesToPcm16(bytes: Uint8Array): Int16Array {
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  return bytesToPcm16(bytes);
}

/**
 * PCM16 samples -> little-endian bytes. On little-endian hosts this is a view of the same memory (no copy):
 * frames are immutable by convention, so sharing is safe and keeps the hot path allocation-free.
 */
export function pcm16ToBytes(samples: Int16Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, i * 2);
  return out;
}

/** The pieces end to end in one new array (the only piece itself when there is one). */
export function concatSamples(parts: readonly Int16Array[]): Int16Array {
  if (parts.length === 1) return parts[0]!;
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Int16Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
