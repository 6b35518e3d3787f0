/**
 * Wire audio for the realtime surface: base64 PCM16 24 kHz, or G.711 mu-law / A-law at 8 kHz
 * (protocols.md 1.4). Decoding turns every format into PCM16 samples so the vad and the buffer work on one
 * representation; encoding is the way back for `response.output_audio.delta`.
 */
export type WireAudioFormat = 'pcm16' | 'pcmu' | 'pcma';

export function formatSampleRate(format: WireAudioFormat): 24000 | 8000 {
  return format === 'pcm16' ? 24000 : 8000;
}

/** Bytes per ms of wire audio: 48 for PCM16 24 kHz, 8 for G.711. */
export function bytesPerMs(format: WireAudioFormat): number {
  return format === 'pcm16' ? 48 : 8;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes an append's base64 payload to PCM16; undefined when it is not valid base64 or has an odd byte count. */
export function decodeWireAudio(base64: string, format: WireAudioFormat): Int16Array | undefined {
  const clean = base64.replace(/\s+/g, '');
  if (!BASE64.test(clean) || clean.length % 4 === 1) return undefined;
  const bytes = Buffer.from(clean, 'base64');
  if (format === 'pcm16') {
    if (bytes.length % 2 !== 0) return undefined;
    const out = new Int16Array(bytes.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
    return out;
  }
  const decode = format === 'pcmu' ? muLawDecode : aLawDecode;
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = decode(bytes[i] ?? 0);
  return out;
}

export function encodeWireAudio(samples: Int16Array, format: WireAudioFormat): string {
  if (format === 'pcm16') {
    const bytes = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) bytes.writeInt16LE(samples[i] ?? 0, i * 2);
    return bytes.toString('base64');
  }
  const encode = format === 'pcmu' ? muLawEncode : aLawEncode;
  const bytes = Buffer.alloc(samples.length);
  for (let i = 0; i < samples.length; i++) bytes[i] = encode(samples[i] ?? 0);
  return bytes.toString('base64');
}

// ITU-T G.711, the classic Sun reference formulation.
const MU_BIAS = 0x84;
const MU_CLIP = 32635;

export function muLawEncode(sample: number): number {
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > MU_CLIP) s = MU_CLIP;
  s += MU_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function muLawDecode(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + MU_BIAS) << exponent) - MU_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

export function aLawEncode(sample: number): number {
  let s = sample;
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  if (s > 32767) s = 32767;
  let out: number;
  if (s < 256) {
    out = s >> 4;
  } else {
    let exponent = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exponent > 1; mask >>= 1) exponent--;
    out = (exponent << 4) | ((s >> (exponent + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

export function aLawDecode(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  if (magnitude > 32767) magnitude = 32767;
  return a & 0x80 ? magnitude : -magnitude;
}
