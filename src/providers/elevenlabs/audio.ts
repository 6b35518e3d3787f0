import type { SampleRate } from '../../audio/frame.js';
import { muLawDecode } from '../../audio/g711.js';
import type { AudioFormat } from '../../audio/format.js';

/**
 * Turns the byte chunks of an audio stream into PCM16 samples. Chunk boundaries are arbitrary, so a PCM
 * chunk of odd length leaves its last byte for the next one (no sample is torn or lost); mu-law bytes are
 * one sample each.
 */
export class AudioDecoder {
  private carry: number | undefined;

  constructor(readonly format: AudioFormat) {}

  get sampleRate(): SampleRate {
    return this.format.sampleRate;
  }

  push(bytes: Uint8Array): Int16Array {
    if (this.format.encoding === 'mulaw') return muLawDecode(bytes);
    let data = bytes;
    if (this.carry !== undefined) {
      data = new Uint8Array(bytes.length + 1);
      data[0] = this.carry;
      data.set(bytes, 1);
      this.carry = undefined;
    }
    const even = data.length - (data.length % 2);
    if (even < data.length) this.carry = data[data.length - 1];
    const out = new Int16Array(even / 2);
    const view = new DataView(data.buffer, data.byteOffset, even);
    for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true);
    return out;
  }

  /** True when a byte is still waiting for its pair (at the end of a stream: truncated audio). */
  get hasCarry(): boolean {
    return this.carry !== undefined;
  }
}
