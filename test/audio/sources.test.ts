import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { lastValueFrom, map, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { fromPcm, fromReadable, fromWav } from '../../src/audio/sources.js';
import { loadFixture, marbles, sine } from '../../src/testing/index.js';

describe('fromPcm', () => {
  it('paces frames at real time on the scheduler: each frame when it has been recorded', () => {
    marbles(({ expectObservable, scheduler }) => {
      const samples = new Int16Array(16 * 50); // 50 ms at 16 kHz
      const seqs = fromPcm(samples, 16000, { realtime: true, scheduler, frameMs: 20 }).pipe(map((f) => `${f.seq}@${f.startMs}:${f.samples.length}`));
      expectObservable(seqs).toBe('20ms a 19ms b 9ms (c|)', { a: '0@0:320', b: '1@20:320', c: '2@40:160' });
    });
  });

  it('emits everything at once without realtime', () => {
    marbles(({ expectObservable }) => {
      const n = fromPcm(new Int16Array(800), 8000, { frameMs: 20 }).pipe(toArray(), map((fs) => fs.length));
      expectObservable(n).toBe('(a|)', { a: 5 });
    });
  });

  it('errors with unsupported_sample_rate for a rate the library does not support', async () => {
    await expect(lastValueFrom(fromPcm(new Int16Array(10), 11025))).rejects.toMatchObject({ code: 'unsupported_sample_rate' });
  });
});

describe('fromWav', () => {
  it('reads every fixture sample into 20 ms frames, timestamps without gaps', async () => {
    const fixture = await loadFixture('call-3turns');
    const frames = await lastValueFrom(fromWav(fixture.file).pipe(toArray()));
    const wav = await fixture.read();
    expect(frames.reduce((n, f) => n + f.samples.length, 0)).toBe(wav.samples.length);
    frames.forEach((f, i) => {
      expect(f.seq).toBe(i);
      expect(f.startMs).toBe(i * 20);
    });
  });

  it('reads the stereo 48 kHz fixture as mono frames', async () => {
    const frames = await lastValueFrom((await loadFixture('stereo-48k')).frames({ frameMs: 10 }).pipe(toArray()));
    expect(frames[0]).toMatchObject({ sampleRate: 48000 });
    expect(frames[0]!.samples.length).toBe(480);
  });

  it('errors with the file name for a missing file and for an unsupported rate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxvoice-src-'));
    await expect(lastValueFrom(fromWav(join(dir, 'nope.wav')))).rejects.toMatchObject({ code: 'bad_audio', message: expect.stringContaining('nope.wav') });
    await writeFile(join(dir, 'odd-rate.wav'), encodeWav(new Int16Array(100), 11025));
    await expect(lastValueFrom(fromWav(join(dir, 'odd-rate.wav')))).rejects.toMatchObject({
      code: 'unsupported_sample_rate',
      message: expect.stringContaining('odd-rate.wav'),
    });
  });
});

describe('fromReadable', () => {
  it('reframes a byte stream written in odd-sized pieces', async () => {
    const stream = new PassThrough();
    const done = lastValueFrom(fromReadable(stream, { sampleRate: 16000, frameMs: 20 }).pipe(toArray()));
    const bytes = Buffer.from(sine(200, 45, 16000).buffer);
    for (let at = 0; at < bytes.length; at += 333) stream.write(bytes.subarray(at, at + 333));
    stream.end();
    const frames = await done;
    expect(frames.map((f) => f.samples.length)).toEqual([320, 320, 80]);
    expect(frames.map((f) => f.startMs)).toEqual([0, 20, 40]);
  });

  it('errors with bad_audio when the stream ends on an odd byte', async () => {
    const stream = new PassThrough();
    const done = lastValueFrom(fromReadable(stream, { sampleRate: 8000 }));
    stream.end(Buffer.alloc(321));
    await expect(done).rejects.toMatchObject({ code: 'bad_audio' });
  });

  it('turns a stream error into a typed connection error and detaches on unsubscribe', async () => {
    const stream = new PassThrough();
    const done = lastValueFrom(fromReadable(stream, { sampleRate: 8000, encoding: 'mulaw' }));
    stream.destroy(new Error('pipe broke'));
    await expect(done).rejects.toMatchObject({ code: 'connection', message: expect.stringContaining('pipe broke') });
    const other = new PassThrough();
    const sub = fromReadable(other, { sampleRate: 8000 }).subscribe();
    expect(other.listenerCount('data')).toBe(1);
    sub.unsubscribe();
    expect(other.listenerCount('data')).toBe(0);
  });
});
