import { describe, expect, it } from 'vitest';
import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from '../../src/audio/g711.js';

describe('G.711 mu-law', () => {
  it('decodes to the standard table values', () => {
    const table: [number, number][] = [
      [0x00, -32124],
      [0x0f, -16764],
      [0x10, -15996],
      [0x7e, -8],
      [0x7f, 0],
      [0x80, 32124],
      [0x8f, 16764],
      [0xf0, 120],
      [0xfe, 8],
      [0xff, 0],
    ];
    const decoded = muLawDecode(Uint8Array.from(table.map(([code]) => code)));
    expect(Array.from(decoded)).toEqual(table.map(([, v]) => v));
  });

  it('encodes the extremes and zero as the standard does', () => {
    expect(Array.from(muLawEncode(Int16Array.from([0, 32767, -32768, 8, -8])))).toEqual([0xff, 0x80, 0x00, 0xfe, 0x7e]);
  });

  it('round-trips every code except negative zero', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const back = muLawEncode(muLawDecode(codes));
    for (let i = 0; i < 256; i++) expect(back[i]).toBe(i === 0x7f ? 0xff : i);
  });

  it('quantizes with a bounded relative error', () => {
    const pcm = Int16Array.from({ length: 2000 }, (_, i) => Math.round(Math.sin(i) * 30000 * (i / 2000)));
    const back = muLawDecode(muLawEncode(pcm));
    for (let i = 0; i < pcm.length; i++) expect(Math.abs(back[i]! - pcm[i]!)).toBeLessThanOrEqual(Math.max(8, Math.abs(pcm[i]!) * 0.07));
  });
});

describe('G.711 A-law', () => {
  it('decodes to the standard table values', () => {
    const table: [number, number][] = [
      [0xd5, 8],
      [0x55, -8],
      [0xaa, 32256],
      [0x2a, -32256],
      [0x80, 5504],
      [0x00, -5504],
      [0xd4, 24],
    ];
    const decoded = aLawDecode(Uint8Array.from(table.map(([code]) => code)));
    expect(Array.from(decoded)).toEqual(table.map(([, v]) => v));
  });

  it('encodes zero and the extremes as the standard does', () => {
    expect(Array.from(aLawEncode(Int16Array.from([0, 32767, -32768])))).toEqual([0xd5, 0xaa, 0x2a]);
  });

  it('round-trips every code', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(aLawEncode(aLawDecode(codes)))).toEqual(Array.from(codes));
  });
});
