import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { muLawEncode } from '../../src/audio/g711.js';
import { pcm16ToBytes } from '../../src/audio/pcm.js';
import { createReframer, reframe } from '../../src/audio/reframe.js';
import { RxVoiceError } from '../../src/errors.js';
import { sine, sineFrames } from '../../src/testing/index.js';

describe('createReframer', () => {
  it('turns ragged byte chunks (odd lengths included) into 20 ms frames with timestamps', () => {
    const samples = sine(500, 110, 16000);
    const bytes = pcm16ToBytes(samples);
    const r = createReframer({ sampleRate: 16000, frameMs: 20 });
    const frames = [];
    for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 5 + 7) % 331) frames.push(...r.push(bytes.subarray(at, at + size)));
    frames.push(...r.flush());
    expect(frames.map((f) => [f.seq, f.startMs, f.samples.length])).toEqual([
      [0, 0, 320],
      [1, 20, 320],
      [2, 40, 320],
      [3, 60, 320],
      [4, 80, 320],
      [5, 100, 160],
    ]);
    const joined = new Int16Array(frames.reduce((n, f) => n + f.samples.length, 0));
    frames.reduce((at, f) => (joined.set(f.samples, at), at + f.samples.length), 0);
    expect(Array.from(joined)).toEqual(Array.from(samples));
  });

  it('keeps fractional timestamps exact at 22.05 kHz', () => {
    const r = createReframer({ sampleRate: 22050, frameMs: 10, startMs: 1000 });
    const frames = r.push(new Uint8Array(2 * 221 * 20));
    expect(frames.length).toBe(20);
    expect(frames[1]!.startMs).toBeCloseTo(1000 + (221 * 1000) / 22050, 9);
    expect(frames[19]!.startMs).toBeCloseTo(1000 + (19 * 221 * 1000) / 22050, 9);
  });

  it('decodes mu-law bytes', () => {
    const pcm = sine(300, 40, 8000);
    const r = createReframer({ sampleRate: 8000, encoding: 'mulaw' });
    const frames = r.push(muLawEncode(pcm));
    expect(frames.length).toBe(2);
    expect(frames[0]!.samples.length).toBe(160);
  });

  it('reports a stream that ends on an odd byte as bad audio', () => {
    const r = createReframer({ sampleRate: 16000 });
    r.push(new Uint8Array(641));
    expect(() => r.flush()).toThrowError(RxVoiceError);
  });

  it('rejects an unsupported rate', () => {
    expect(() => createReframer({ sampleRate: 11025 })).toThrowError(/Unsupported sample rate 11025/);
  });
});

describe('reframe operator', () => {
  it('re-cuts 30 ms frames into 20 ms frames, then a short last one', async () => {
    const input = sineFrames(90, { frameMs: 30 });
    const out = await lastValueFrom(from(input).pipe(reframe(20), toArray()));
    expect(out.map((f) => [f.seq, f.startMs, f.samples.length])).toEqual([
      [0, 0, 320],
      [1, 20, 320],
      [2, 40, 320],
      [3, 60, 320],
      [4, 80, 160],
    ]);
    const whole = sineFrames(90, { frameMs: 90 })[0]!.samples;
    expect(Array.from(out[1]!.samples)).toEqual(Array.from(whole.subarray(320, 640)));
  });

  it('starts a new run when the rate changes', async () => {
    const input = [...sineFrames(30, { frameMs: 30, sampleRate: 16000 }), ...sineFrames(40, { frameMs: 20, sampleRate: 8000, startMs: 30 })];
    const out = await lastValueFrom(from(input).pipe(reframe(20), toArray()));
    expect(out.map((f) => [f.sampleRate, f.startMs, f.samples.length])).toEqual([
      [16000, 0, 320],
      [16000, 20, 160],
      [8000, 30, 160],
      [8000, 50, 160],
    ]);
  });
});
