import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { muLawEncode } from '../../src/audio/g711.js';
import { encodeWav, parseWav, readWavFile, toWavFile, wavHeader, writeWav } from '../../src/audio/wav.js';
import { RxVoiceError } from '../../src/errors.js';
import { loadFixture, sine, sineFrames } from '../../src/testing/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxvoice-wav-'));
});

function chunk(id: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function fmt(code: number, channels: number, rate: number, bits: number, extra?: Buffer): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return extra ? Buffer.concat([b, extra]) : b;
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function expectBadAudio(fn: () => unknown, ...parts: string[]): void {
  try {
    fn();
    expect.unreachable('should have thrown');
  } catch (err) {
    expect(err).toBeInstanceOf(RxVoiceError);
    expect((err as RxVoiceError).code).toBe('bad_audio');
    for (const p of parts) expect((err as RxVoiceError).message).toContain(p);
  }
}

describe('parseWav / encodeWav', () => {
  it('round-trips PCM16 mono', () => {
    const samples = sine(440, 100, 16000);
    const wav = parseWav(encodeWav(samples, 16000));
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 1, encoding: 'pcm16' });
    expect(Array.from(wav.samples)).toEqual(Array.from(samples));
  });

  it('walks past unknown chunks, odd-sized ones included', () => {
    const pcm = Int16Array.from([1, -2, 3]);
    const buf = riff(chunk('LIST', Buffer.from('abc')), chunk('fmt ', fmt(1, 1, 8000, 16)), chunk('junk', Buffer.alloc(5)), chunk('data', Buffer.from(pcm.buffer)));
    expect(Array.from(parseWav(buf).samples)).toEqual([1, -2, 3]);
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with a PCM sub-format', () => {
    const ext = Buffer.alloc(24);
    ext.writeUInt16LE(22, 0); // cbSize
    ext.writeUInt16LE(16, 2);
    ext.writeUInt16LE(1, 8); // sub-format GUID starts with the format code
    const buf = riff(chunk('fmt ', fmt(0xfffe, 1, 24000, 16, ext)), chunk('data', Buffer.from(Int16Array.from([5, 6]).buffer)));
    expect(parseWav(buf)).toMatchObject({ sampleRate: 24000, encoding: 'pcm16' });
  });

  it('decodes mu-law WAV (format 7)', () => {
    const pcm = Int16Array.from([0, 1000, -1000, 30000]);
    const buf = riff(chunk('fmt ', fmt(7, 1, 8000, 8)), chunk('data', muLawEncode(pcm)));
    const wav = parseWav(buf);
    expect(wav.encoding).toBe('mulaw');
    expect(Array.from(wav.samples).map((v, i) => Math.abs(v - pcm[i]!) <= Math.max(8, Math.abs(pcm[i]!) * 0.07))).toEqual([true, true, true, true]);
  });

  it('downmixes stereo by averaging the channels', () => {
    const interleaved = Int16Array.from([100, 300, -200, 0, 32767, 32767]);
    const wav = parseWav(encodeWav(interleaved, 48000, 2));
    expect(wav.channels).toBe(2);
    expect(Array.from(wav.samples)).toEqual([200, -100, 32767]);
  });

  it('takes what is there when a streaming writer left the data size at 0', () => {
    const buf = Buffer.concat([wavHeader(0, 16000), Buffer.from(Int16Array.from([7, 8, 9]).buffer)]);
    expect(Array.from(parseWav(buf).samples)).toEqual([7, 8, 9]);
  });

  it('rejects non-PCM and malformed files with the file name and the reason', () => {
    expectBadAudio(() => parseWav(riff(chunk('fmt ', fmt(3, 1, 16000, 32)), chunk('data', Buffer.alloc(8))), 'float.wav'), 'float.wav', 'format tag 0x3');
    expectBadAudio(() => parseWav(riff(chunk('fmt ', fmt(0x55, 1, 16000, 16)), chunk('data', Buffer.alloc(8))), 'song.wav'), 'song.wav', 'unsupported WAV encoding');
    expectBadAudio(() => parseWav(riff(chunk('fmt ', fmt(1, 1, 16000, 24)), chunk('data', Buffer.alloc(6))), 'deep.wav'), '24-bit');
    expectBadAudio(() => parseWav(new Uint8Array(0), 'empty.wav'), 'empty.wav', 'empty file');
    expectBadAudio(() => parseWav(Buffer.from('ID3\u0003 this is an mp3 really'), 'x.mp3'), 'x.mp3', 'not a RIFF/WAVE');
    expectBadAudio(() => parseWav(riff(chunk('data', Buffer.alloc(4))), 'nofmt.wav'), 'no fmt chunk');
    expectBadAudio(() => parseWav(riff(chunk('fmt ', fmt(1, 1, 16000, 16))), 'nodata.wav'), 'no data chunk');
  });

  it('reads the fixtures: mu-law telephony and 48 kHz stereo', async () => {
    const tel = await (await loadFixture('telephony-mulaw')).read();
    expect(tel).toMatchObject({ sampleRate: 8000, channels: 1, encoding: 'mulaw' });
    expect(tel.samples.length).toBeGreaterThan(8000 * 3);
    const stereo = await (await loadFixture('stereo-48k')).read();
    expect(stereo).toMatchObject({ sampleRate: 48000, channels: 2 });
    const expectedMs = (await loadFixture('stereo-48k')).durationMs;
    expect(Math.abs((stereo.samples.length * 1000) / 48000 - expectedMs)).toBeLessThan(1);
  });

  it('readWavFile rejects a missing or empty file with a typed error naming it', async () => {
    await expect(readWavFile(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'bad_audio', message: expect.stringContaining('missing.wav') });
    await writeFile(join(dir, 'empty.wav'), Buffer.alloc(0));
    await expect(readWavFile(join(dir, 'empty.wav'))).rejects.toMatchObject({ code: 'bad_audio', message: expect.stringContaining('empty.wav: empty file') });
  });
});

describe('WAV sinks', () => {
  it('toWavFile passes frames on and leaves a complete file when the stream completes', async () => {
    const frames = sineFrames(1000, { frequency: 300, sampleRate: 24000 });
    const path = join(dir, 'out.wav');
    const passed = await lastValueFrom(from(frames).pipe(toWavFile(path), toArray()));
    expect(passed).toEqual(frames);
    const buf = await readFile(path);
    expect(buf.readUInt32LE(40)).toBe(24000 * 2); // sizes patched
    expect(buf.readUInt32LE(4)).toBe(36 + 24000 * 2);
    const wav = parseWav(buf);
    expect(wav.sampleRate).toBe(24000);
    expect(Array.from(wav.samples.subarray(480, 960))).toEqual(Array.from(frames[1]!.samples));
    expect(wav.samples.length).toBe(24000);
  });

  it('toWavFile refuses a frame at another rate with a typed error', async () => {
    const frames = [...sineFrames(40, { sampleRate: 16000 }), ...sineFrames(20, { sampleRate: 8000 })];
    await expect(lastValueFrom(from(frames).pipe(toWavFile(join(dir, 'mixed.wav'))))).rejects.toMatchObject({ code: 'unsupported_sample_rate' });
  });

  it('writeWav resolves with the duration written', async () => {
    const path = join(dir, 'w.wav');
    const result = await writeWav(path, from(sineFrames(500, { sampleRate: 8000 })));
    expect(result).toEqual({ samples: 4000, durationMs: 500 });
    expect((await readWavFile(path)).samples.length).toBe(4000);
  });

  it('closes the file with what was written when unsubscribed early', async () => {
    const path = join(dir, 'early.wav');
    await firstValueFrom(from(sineFrames(200, { sampleRate: 16000 })).pipe(toWavFile(path)));
    await new Promise((r) => setTimeout(r, 50));
    const wav = parseWav(await readFile(path));
    expect(wav.samples.length).toBe(320);
  });
});
