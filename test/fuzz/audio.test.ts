import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAMPLE_RATES } from '../../src/audio/frame.js';
import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from '../../src/audio/g711.js';
import { createReframer } from '../../src/audio/reframe.js';
import { createResampler, resample } from '../../src/audio/resample.js';
import { fromPcm } from '../../src/audio/sources.js';
import { encodeWav, parseWav, wavHeader } from '../../src/audio/wav.js';
import { RxVoiceError } from '../../src/errors.js';

/**
 * Bad input to the audio primitives: whatever the bytes, each call either returns well-formed audio or
 * throws an RxVoiceError with a code and a message. Nothing else escapes (no RangeError from a DataView,
 * no TypeError, no hang).
 */

/** Runs `fn`; a throw must be an RxVoiceError with a readable message. */
function cleanly<T>(fn: () => T): T | RxVoiceError {
  try {
    return fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RxVoiceError);
    const e = err as RxVoiceError;
    expect(['bad_audio', 'unsupported_sample_rate']).toContain(e.code);
    expect(e.message.length).toBeGreaterThan(5);
    return e;
  }
}

const RUNS = { numRuns: 300 };
const int16s = fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 2000 }).map((a) => Int16Array.from(a));
const WAV_TAGS = [1, 3, 6, 7, 0x55, 0xfffe, 0];

describe('parseWav on hostile bytes', () => {
  it('random bytes: a bad_audio error or audio, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const out = cleanly(() => parseWav(bytes, 'random.wav'));
        if (out instanceof RxVoiceError) expect(out.message).toContain('random.wav');
      }),
      RUNS,
    );
  });

  it('a valid file truncated anywhere: a clear error or the samples that survived', () => {
    const samples = Int16Array.from({ length: 400 }, (_, i) => (i * 97) % 30000);
    const file = encodeWav(samples, 16000);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: file.length }), (cut) => {
        const out = cleanly(() => parseWav(file.subarray(0, cut), 'cut.wav'));
        if (out instanceof RxVoiceError) return;
        // What survived is a prefix of the original samples, never garbage.
        expect(out.samples.length).toBeLessThanOrEqual(samples.length);
        expect(Array.from(out.samples)).toEqual(Array.from(samples.subarray(0, out.samples.length)));
      }),
      RUNS,
    );
  });

  it('random header fields (format tag, channels, rate, bits, sizes) over random data', () => {
    const header = fc.record({
      tag: fc.constantFrom(...WAV_TAGS),
      channels: fc.integer({ min: 0, max: 65535 }),
      rate: fc.oneof(fc.constantFrom(0, 1, 8000, 16000, 96000, 0xffffffff), fc.nat()),
      bits: fc.constantFrom(0, 1, 8, 16, 24, 32, 65535),
      fmtSize: fc.constantFrom(0, 8, 15, 16, 18, 40, 0xffffffff),
      dataSize: fc.constantFrom(0, 1, 7, 100, 0xffffffff),
      data: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(header, (h) => {
        const fmt = Buffer.alloc(16);
        fmt.writeUInt16LE(h.tag, 0);
        fmt.writeUInt16LE(h.channels, 2);
        fmt.writeUInt32LE(h.rate >>> 0, 4);
        fmt.writeUInt16LE(h.bits, 14);
        const head = Buffer.alloc(20);
        head.write('RIFF', 0, 'latin1');
        head.writeUInt32LE(0xffffffff, 4);
        head.write('WAVE', 8, 'latin1');
        head.write('fmt ', 12, 'latin1');
        head.writeUInt32LE(h.fmtSize >>> 0, 16);
        const dataHead = Buffer.alloc(8);
        dataHead.write('data', 0, 'latin1');
        dataHead.writeUInt32LE(h.dataSize >>> 0, 4);
        const out = cleanly(() => parseWav(Buffer.concat([head, fmt, dataHead, h.data]), 'fields.wav'));
        if (out instanceof RxVoiceError) return;
        expect(out.channels).toBeGreaterThanOrEqual(1);
        expect(out.samples).toBeInstanceOf(Int16Array);
        // An absurd rate is reported as the file says; the sources refuse it (next test).
        expect(out.sampleRate).toBe(h.rate >>> 0);
      }),
      RUNS,
    );
  });

  it('absurd sample rates are refused by fromPcm with unsupported_sample_rate', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(NaN, Infinity, -8000, 0, 7999, 96000)), (rate) => {
        fc.pre(!(SAMPLE_RATES as readonly number[]).includes(rate));
        let caught: unknown;
        fromPcm(new Int16Array(320), rate).subscribe({ error: (err: unknown) => (caught = err) });
        expect(caught).toBeInstanceOf(RxVoiceError);
        expect((caught as RxVoiceError).code).toBe('unsupported_sample_rate');
      }),
      RUNS,
    );
  });

  it('a streaming header (sizes 0xFFFFFFFF) reads what the file holds', () => {
    fc.assert(
      fc.property(int16s, (samples) => {
        const header = wavHeader(0, 16000);
        header.writeUInt32LE(0xffffffff, 4);
        header.writeUInt32LE(0xffffffff, 40);
        const body = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
        const out = parseWav(Buffer.concat([header, body]), 'stream.wav');
        expect(Array.from(out.samples)).toEqual(Array.from(samples));
      }),
      { numRuns: 100 },
    );
  });
});

describe('G.711 codecs', () => {
  it('decode takes any byte, encode any sample; decode(encode(decode(b))) is stable', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (bytes) => {
        for (const [enc, dec] of [
          [muLawEncode, muLawDecode],
          [aLawEncode, aLawDecode],
        ] as const) {
          const pcm = dec(bytes);
          expect(pcm.length).toBe(bytes.length);
          expect(Array.from(dec(enc(pcm)))).toEqual(Array.from(pcm));
        }
      }),
      RUNS,
    );
  });

  it('encoding any PCM16 keeps every sample within the codec step of the original', () => {
    fc.assert(
      fc.property(int16s, (samples) => {
        for (const [enc, dec] of [
          [muLawEncode, muLawDecode],
          [aLawEncode, aLawDecode],
        ] as const) {
          const back = dec(enc(samples));
          expect(back.length).toBe(samples.length);
          for (let i = 0; i < samples.length; i++) {
            // G.711 keeps ~13-14 bits: the error grows with the amplitude (at most 1/16 of it, plus a floor).
            expect(Math.abs(back[i]! - samples[i]!)).toBeLessThanOrEqual(Math.abs(samples[i]!) / 16 + 140);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('resampler', () => {
  it('absurd rates: unsupported_sample_rate, never a crash', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.constantFrom(NaN, Infinity, 0, -1, 1, 192000)), fc.constantFrom(...SAMPLE_RATES), (bad, good) => {
        fc.pre(!(SAMPLE_RATES as readonly number[]).includes(bad));
        for (const pair of [
          [bad, good],
          [good, bad],
        ] as const) {
          const out = cleanly(() => createResampler(pair[0], pair[1]));
          expect(out).toBeInstanceOf(RxVoiceError);
          expect((out as RxVoiceError).code).toBe('unsupported_sample_rate');
        }
      }),
      RUNS,
    );
  });

  it('chunks of any (odd, empty) length: same total length as one pass, within one sample, no NaN', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLE_RATES),
        fc.constantFrom(...SAMPLE_RATES),
        int16s,
        fc.array(fc.integer({ min: 0, max: 333 }), { maxLength: 20 }),
        (from, to, samples, cuts) => {
          const r = createResampler(from, to);
          const parts: Int16Array[] = [];
          let at = 0;
          for (const n of cuts) {
            parts.push(r.push(samples.subarray(at, Math.min(samples.length, at + n))));
            at = Math.min(samples.length, at + n);
          }
          parts.push(r.push(samples.subarray(at)), r.flush());
          const total = parts.reduce((n, p) => n + p.length, 0);
          const whole = resample(samples, from, to);
          expect(Math.abs(total - whole.length)).toBeLessThanOrEqual(1);
          for (const p of parts) expect(p).toBeInstanceOf(Int16Array);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('reframer', () => {
  it('bytes pushed in any pieces: every sample comes out once, in order, in fixed frames; an odd end is bad_audio', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLE_RATES),
        fc.constantFrom(10, 20, 32),
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.integer({ min: 0, max: 701 }), { maxLength: 30 }),
        (rate, frameMs, bytes, cuts) => {
          const reframer = createReframer({ sampleRate: rate, frameMs });
          const frames = [];
          let at = 0;
          for (const n of cuts) {
            frames.push(...reframer.push(bytes.subarray(at, Math.min(bytes.length, at + n))));
            at = Math.min(bytes.length, at + n);
          }
          frames.push(...reframer.push(bytes.subarray(at)));
          const flushed = cleanly(() => reframer.flush());
          if (bytes.length % 2 === 1) {
            expect(flushed).toBeInstanceOf(RxVoiceError);
            expect((flushed as RxVoiceError).code).toBe('bad_audio');
          } else {
            expect(flushed).not.toBeInstanceOf(RxVoiceError);
            frames.push(...(flushed as typeof frames));
          }
          const samples = frames.flatMap((f) => Array.from(f.samples));
          const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          const le = Array.from({ length: bytes.length >> 1 }, (_, i) => view.getInt16(2 * i, true));
          // After an odd end the partial last frame is dropped with the error: full frames are a prefix.
          if (bytes.length % 2 === 1) expect(samples).toEqual(le.slice(0, samples.length));
          else expect(samples).toEqual(le);
          frames.forEach((f, i) => expect(f.seq).toBe(i));
          const size = Math.round((rate * frameMs) / 1000);
          frames.slice(0, -1).forEach((f) => expect(f.samples.length).toBe(size));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('absurd rates are refused when the reframer is made', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.constantFrom(NaN, 0, 44099)), (rate) => {
        fc.pre(!(SAMPLE_RATES as readonly number[]).includes(rate));
        const out = cleanly(() => createReframer({ sampleRate: rate }));
        expect(out).toBeInstanceOf(RxVoiceError);
      }),
      RUNS,
    );
  });
});

describe('paced sources over long calls', () => {
  it('a 2-minute call paced in virtual time completes (no stack overflow from nested actions)', async () => {
    const { TestScheduler } = await import('rxjs/testing');
    const ts = new TestScheduler(() => undefined);
    let frames = 0;
    let completed = false;
    ts.run(() => {
      fromPcm(new Int16Array(16000 * 120), 16000, { realtime: true, scheduler: ts }).subscribe({ next: () => frames++, complete: () => (completed = true) });
    });
    expect(frames).toBe(6000);
    expect(completed).toBe(true);
  });
});
