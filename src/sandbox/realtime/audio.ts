/**
 * Wire audio for the realtime surface: base64 PCM16 24 kHz, or G.711 mu-law / A-law at 8 kHz
 * (OpenAI Realtime API reference). Decoding turns every format into PCM16 samples so the vad and the buffer work on one
 * representation; encoding is the way back for `response.output_audio.delta`.
 */
import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from '../../audio/g711.js';
import type { RealtimeWireFormat } from '../../providers/openai-realtime/audio-format.js';

export type WireAudioFormat = RealtimeWireFormat;
export { wireFormatSampleRate as formatSampleRate } from '../../providers/openai-realtime/audio-format.js';

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
  return format === 'g711_ulaw' ? muLawDecode(bytes) : aLawDecode(bytes);
}

export function encodeWireAudio(samples: Int16Array, format: WireAudioFormat): string {
  if (format === 'pcm16') {
    const bytes = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) bytes.writeInt16LE(samples[i] ?? 0, i * 2);
    return bytes.toString('base64');
  }
  return Buffer.from(format === 'g711_ulaw' ? muLawEncode(samples) : aLawEncode(samples)).toString('base64');
}
