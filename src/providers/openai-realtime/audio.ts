import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from '../../audio/g711.js';
import { bytesToPcm16, pcm16ToBytes } from '../../audio/pcm.js';
import type { RealtimeAudioFormat } from '../realtime-types.js';

/** Samples at the wire rate -> the base64 text `input_audio_buffer.append` carries. */
export function encodeAudio(samples: Int16Array, format: RealtimeAudioFormat): string {
  if (format === 'pcm16') return pcm16ToBytes(samples).toString('base64');
  const bytes = format === 'g711_ulaw' ? muLawEncode(samples) : aLawEncode(samples);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Decodes output audio deltas. PCM16 deltas may split a sample between two messages, so the odd byte is
 * carried over to the next delta.
 */
export class AudioDeltaDecoder {
  private carry: number | undefined;
  constructor(private readonly format: RealtimeAudioFormat) {}

  decode(base64: string): Int16Array {
    const bytes = Buffer.from(base64, 'base64');
    if (this.format === 'g711_ulaw') return muLawDecode(bytes);
    if (this.format === 'g711_alaw') return aLawDecode(bytes);
    let data: Uint8Array = bytes;
    if (this.carry !== undefined) {
      data = new Uint8Array(bytes.length + 1);
      data[0] = this.carry;
      data.set(bytes, 1);
      this.carry = undefined;
    }
    if (data.length % 2 === 1) {
      this.carry = data[data.length - 1];
      data = data.subarray(0, data.length - 1);
    }
    return bytesToPcm16(data);
  }
}
