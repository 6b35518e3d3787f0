import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAudioFile } from '../../src/audio/decode.js';
import { readWavFile } from '../../src/audio/wav.js';
import { RxVoiceError } from '../../src/errors.js';

const rms = (s: Int16Array): number => Math.sqrt(s.reduce((a, x) => a + x * x, 0) / Math.max(1, s.length));

describe('readAudioFile', () => {
  it('transcodes a compressed recording (ogg/Opus) through ffmpeg to mono PCM16 at the asked rate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-decode-'));
    const ogg = join(dir, 'one-sentence.ogg');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-i', 'fixtures/one-sentence.wav', '-c:a', 'libopus', '-b:a', '24k', ogg]);
    const original = await readWavFile('fixtures/one-sentence.wav');
    const decoded = await readAudioFile(ogg, 16000);
    expect(decoded.sampleRate).toBe(16000);
    // Same duration within an Opus frame or two, and speech where the original has it.
    expect(Math.abs(decoded.samples.length - original.samples.length)).toBeLessThan(16000 * 0.1);
    const speech = decoded.samples.subarray(16000 * 1, 16000 * 3);
    const silence = decoded.samples.subarray(0, 16000 * 0.3);
    expect(rms(speech)).toBeGreaterThan(20 * Math.max(1, rms(silence)));
  });

  it('reads a WAV in process, and rejects a file that is not audio with a typed error', async () => {
    const wav = await readAudioFile('fixtures/one-sentence.wav');
    expect(wav.sampleRate).toBe(16000);
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-decode-'));
    const junk = join(dir, 'junk.mp3');
    writeFileSync(junk, 'this is not audio at all');
    const err = await readAudioFile(junk).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RxVoiceError);
    expect((err as RxVoiceError).code).toBe('bad_audio');
    expect((err as RxVoiceError).message).toContain('junk.mp3');
  });
});
