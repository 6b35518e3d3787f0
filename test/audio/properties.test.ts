import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAMPLE_RATES } from '../../src/audio/frame.js';
import { pcm16ToBytes } from '../../src/audio/pcm.js';
import { createReframer } from '../../src/audio/reframe.js';
import { createResampler, resample } from '../../src/audio/resample.js';

const rate = fc.constantFrom(...SAMPLE_RATES);
const samples = fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 3000 }).map((a) => Int16Array.from(a));
const cuts = fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 20 });

function split<T extends { length: number; subarray(a: number, b: number): T }>(data: T, sizes: number[]): T[] {
  const parts: T[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    parts.push(data.subarray(at, at + n));
    at += n;
    if (sizes.every((s) => s === 0)) break;
  }
  if (at < data.length) parts.push(data.subarray(at, data.length));
  return parts;
}

describe('audio properties (fast-check)', () => {
  it('streaming resampling equals whole-buffer resampling for any chunking and any rate pair', () => {
    fc.assert(
      fc.property(samples, rate, rate, cuts, (input, from, to, sizes) => {
        const r = createResampler(from, to);
        const out: number[] = [];
        for (const part of split(input, sizes)) out.push(...r.push(part));
        out.push(...r.flush());
        expect(out).toEqual(Array.from(resample(input, from, to)));
      }),
      { numRuns: 60 },
    );
  });

  it('the reframer returns every sample, in order, in fixed frames, for any byte chunking', () => {
    fc.assert(
      fc.property(samples, rate, fc.constantFrom(10, 20, 32), cuts, (input, sampleRate, frameMs, sizes) => {
        const r = createReframer({ sampleRate, frameMs });
        const frames = split(pcm16ToBytes(input), sizes).flatMap((part) => r.push(part));
        frames.push(...r.flush());
        expect(frames.flatMap((f) => Array.from(f.samples))).toEqual(Array.from(input));
        frames.forEach((f, i) => {
          expect(f.seq).toBe(i);
          if (i < frames.length - 1) expect(f.samples.length).toBe(Math.round((sampleRate * frameMs) / 1000));
        });
      }),
      { numRuns: 100 },
    );
  });
});
