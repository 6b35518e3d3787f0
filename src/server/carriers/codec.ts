import { aLawDecode, aLawEncode, muLawDecode } from '../../audio/g711.js';
import { bytesToSamples } from '../codec.js';
import type { WireFormat } from '../types.js';
import type { CarrierFormat } from './types.js';

/** Bytes of carrier audio per millisecond (G.711: one byte per sample; L16: two). */
export function bytesPerMs(format: CarrierFormat): number {
  return (format.sampleRate / 1000) * (format.encoding === 'mulaw' || format.encoding === 'alaw' ? 1 : 2);
}

/**
 * The format the pipeline is told to produce (and the server's outbound encoder makes): mu-law as is,
 * everything else as little-endian PCM16 at the carrier's rate, turned into A-law or big-endian below.
 */
export function wireFormatOf(format: CarrierFormat): WireFormat {
  return format.encoding === 'mulaw' ? { encoding: 'mulaw', sampleRate: 8000 } : { encoding: 'pcm16', sampleRate: format.sampleRate };
}

function swapBytes(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(bytes.length - (bytes.length % 2));
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out[i] = bytes[i + 1]!;
    out[i + 1] = bytes[i]!;
  }
  return out;
}

/** Encoder output (`wireFormatOf`) -> the carrier's own bytes. */
export function toCarrierBytes(format: CarrierFormat, wire: Buffer): Buffer {
  switch (format.encoding) {
    case 'alaw':
      return Buffer.from(aLawEncode(bytesToSamples(wire)));
    case 'pcm16be':
      return swapBytes(wire);
    default:
      return wire;
  }
}

/** Decodes carrier audio to PCM16 samples; an odd PCM byte is carried to the next message. */
export class CarrierDecoder {
  private carry: number | undefined;

  constructor(private readonly format: CarrierFormat) {}

  decode(bytes: Uint8Array): Int16Array {
    if (this.format.encoding === 'mulaw') return muLawDecode(bytes);
    if (this.format.encoding === 'alaw') return aLawDecode(bytes);
    let data = bytes;
    if (this.carry !== undefined) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.carry;
      joined.set(bytes, 1);
      data = joined;
      this.carry = undefined;
    }
    if (data.length % 2 === 1) this.carry = data[data.length - 1];
    return bytesToSamples(this.format.encoding === 'pcm16be' ? swapBytes(data) : data);
  }
}

/** Silence in the carrier's encoding (padding a last chunk to a whole one). */
export function silenceByte(format: CarrierFormat): number {
  return format.encoding === 'mulaw' ? 0xff : format.encoding === 'alaw' ? 0xd5 : 0;
}
