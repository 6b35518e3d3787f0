import { describe, expect, it } from 'vitest';
import { bytesToPcm16, float32ToPcm16, pcm16ToBytes, pcm16ToFloat32 } from '../../src/audio/pcm.js';
import { RxVoiceError } from '../../src/errors.js';

describe('pcm conversions', () => {
  it('maps PCM16 to [-1, 1) and back without loss', () => {
    const pcm = Int16Array.from([-32768, -16384, -1, 0, 1, 16384, 32767]);
    const f = pcm16ToFloat32(pcm);
    expect(f[0]).toBe(-1);
    expect(f[3]).toBe(0);
    expect(f[5]).toBe(0.5);
    expect(Array.from(float32ToPcm16(f))).toEqual([-32768, -16384, -1, 0, 1, 16384, 32767]);
  });

  it('clamps floats outside [-1, 1] instead of wrapping', () => {
    expect(Array.from(float32ToPcm16(Float32Array.from([1.5, -2, 1, -1])))).toEqual([32767, -32768, 32767, -32768]);
  });

  it('reads little-endian bytes', () => {
    const bytes = Uint8Array.from([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
    expect(Array.from(bytesToPcm16(bytes))).toEqual([1, -1, -32768, 32767]);
  });

  it('reads bytes at an odd offset of a shared buffer', () => {
    const backing = new Uint8Array(9);
    backing.set([0x34, 0x12, 0xcd, 0xab], 1);
    expect(Array.from(bytesToPcm16(backing.subarray(1, 5)))).toEqual([0x1234, 0xabcd - 0x10000]);
  });

  it('rejects an odd byte count with a typed error', () => {
    try {
      bytesToPcm16(new Uint8Array(3));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RxVoiceError);
      expect((err as RxVoiceError).code).toBe('bad_audio');
      expect((err as RxVoiceError).message).toContain('3');
    }
  });

  it('writes little-endian bytes that read back the same', () => {
    const pcm = Int16Array.from([0, 1, -2, 300, -32768, 32767]);
    const bytes = pcm16ToBytes(pcm);
    expect(bytes.readInt16LE(6)).toBe(300);
    expect(Array.from(bytesToPcm16(bytes))).toEqual(Array.from(pcm));
  });
});
