import type { SampleRate } from '../../audio/frame.js';
import { muLawDecode } from '../../audio/g711.js';
import { bytesToPcm16, ownedBytesToPcm16 } from '../../audio/pcm.js';
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
    return this.decode(bytes, false);
  }

  /** `push` for bytes nobody else holds (decoded from a message): PCM16 is then a view of them, not a copy. */
  pushOwned(bytes: Uint8Array): Int16Array {
    return this.decode(bytes, true);
  }

  private decode(bytes: Uint8Array, owned: boolean): Int16Array {
    if (this.format.encoding === 'mulaw') return muLawDecode(bytes);
    let data = bytes;
    if (this.carry !== undefined) {
      owned = true;
      data = new Uint8Array(bytes.length + 1);
      data[0] = this.carry;
      data.set(bytes, 1);
      this.carry = undefined;
    }
    const even = data.length - (data.length % 2);
    if (even < data.length) this.carry = data[data.length - 1];
    // Bytes of our own (a decoded message, or the carry's new array): viewed as samples in place.
    const whole = data.subarray(0, even);
    return owned ? ownedBytesToPcm16(whole) : bytesToPcm16(whole);
  }

  /** True when a byte is still waiting for its pair (at the end of a stream: truncated audio). */
  get hasCarry(): boolean {
    return this.carry !== undefined;
  }
}
