import { describe, expect, it } from 'vitest';
import { SAMPLE_RATES } from '../../src/audio/frame.js';
import { createResampler, resample } from '../../src/audio/resample.js';
import { RxVoiceError } from '../../src/errors.js';
import { sine } from '../../src/testing/index.js';
import { db, goertzel, rms, zeroCrossingFrequency } from './helpers.js';

describe('resample', () => {
  for (const from of SAMPLE_RATES) {
    for (const to of SAMPLE_RATES) {
      if (from === to) continue;
      it(`keeps a 1 kHz sine at 1 kHz and its level, ${from} -> ${to}`, () => {
        const input = sine(1000, 500, from, 0.5);
        const out = resample(input, from, to);
        expect(out.length).toBe(Math.ceil((input.length * to) / from));
        expect(zeroCrossingFrequency(out, to)).toBeCloseTo(1000, 0);
        const mid = [Math.floor(out.length * 0.1), Math.floor(out.length * 0.9)] as const;
        expect(Math.abs(db(rms(out, ...mid) / rms(input)))).toBeLessThan(0.2);
      });
    }
  }

  it('removes a 6 kHz tone going 48k -> 8k (anti-aliasing), rather than folding it to 2 kHz', () => {
    const input = sine(6000, 500, 48000, 0.5);
    const out = resample(input, 48000, 8000);
    const body = out.subarray(200, out.length - 200);
    const attenuation = db(rms(body) / rms(input));
    expect(attenuation).toBeLessThan(-30);
    // Without the low-pass the tone would alias to 2 kHz at full level.
    const aliased = goertzel(body, 8000, 2000);
    const reference = goertzel(resample(sine(2000, 500, 48000, 0.5), 48000, 8000).subarray(200, out.length - 200), 8000, 2000);
    expect(db(Math.sqrt(aliased / reference))).toBeLessThan(-30);
  });

  it('streams in chunks of any size with exactly the output of the whole-buffer call', () => {
    const input = sine(440, 300, 44100, 0.4);
    for (const [from, to] of [
      [44100, 16000],
      [8000, 24000],
      [48000, 8000],
    ] as const) {
      const src = from === 44100 ? input : sine(440, 300, from, 0.4);
      const whole = resample(src, from, to);
      const r = createResampler(from, to);
      const parts: number[] = [];
      let at = 0;
      let size = 1;
      while (at < src.length) {
        parts.push(...r.push(src.subarray(at, at + size)));
        at += size;
        size = (size * 7 + 3) % 613; // ragged chunk sizes, including 0
      }
      parts.push(...r.flush());
      expect(parts).toEqual(Array.from(whole));
    }
  });

  it('is continuous across frame edges (no click): 20 ms frames give the same samples as one buffer', () => {
    const src = sine(1000, 400, 24000, 0.5);
    const r = createResampler(24000, 16000);
    const out: number[] = [];
    for (let i = 0; i < src.length; i += 480) out.push(...r.push(src.subarray(i, i + 480)));
    out.push(...r.flush());
    const maxStep = Math.max(...out.slice(1).map((v, i) => Math.abs(v - out[i]!)));
    // A 1 kHz sine at half scale moves at most 2π·1000/16000·16384 ≈ 6434 per sample.
    expect(maxStep).toBeLessThan(6600);
  });

  it('rejects unsupported rates with a typed error', () => {
    for (const [from, to] of [
      [11025, 16000],
      [16000, 12345],
    ]) {
      expect(() => createResampler(from!, to!)).toThrowError(RxVoiceError);
      try {
        resample(new Int16Array(10), from!, to!);
      } catch (err) {
        expect((err as RxVoiceError).code).toBe('unsupported_sample_rate');
      }
    }
  });

  it('returns a copy for equal rates and an empty output for empty input', () => {
    const src = Int16Array.from([1, 2, 3]);
    const same = resample(src, 16000, 16000);
    expect(Array.from(same)).toEqual([1, 2, 3]);
    expect(same).not.toBe(src);
    expect(resample(new Int16Array(0), 48000, 16000).length).toBe(0);
  });
});
