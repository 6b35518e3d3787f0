import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import prism from 'prism-media';
import { RxVoiceError } from '../errors.js';
import type { SampleRate } from './frame.js';
import { bytesToPcm16 } from './pcm.js';
import { readWavFile } from './wav.js';

export interface DecodedAudio {
  readonly samples: Int16Array;
  readonly sampleRate: number;
}

/**
 * Reads a caller recording of any format: WAV is parsed in process (ffmpeg takes the WAVs it refuses); anything else (mp3, ogg/Opus, m4a,
 * flac, webm) is transcoded by ffmpeg through prism-media to mono PCM16 at `sampleRate`.
 */
export async function readAudioFile(path: string, sampleRate: SampleRate = 16000): Promise<DecodedAudio> {
  if (extname(path).toLowerCase() !== '.wav') return decodeWithFfmpeg(path, sampleRate);
  try {
    return await readWavFile(path);
  } catch (wavError) {
    // WAVs the in-process reader refuses (24-bit, 32-bit float, ...) go to ffmpeg; when ffmpeg cannot
    // read it either, the reader's own reason is the clearer message.
    try {
      return await decodeWithFfmpeg(path, sampleRate);
    } catch {
      throw wavError;
    }
  }
}

async function decodeWithFfmpeg(path: string, sampleRate: SampleRate): Promise<DecodedAudio> {
  const ffmpeg = new prism.FFmpeg({
    args: ['-analyzeduration', '0', '-loglevel', '0', '-f', 's16le', '-ar', String(sampleRate), '-ac', '1'],
  });
  const chunks: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const input = createReadStream(path);
      input.on('error', reject);
      ffmpeg.on('error', reject);
      ffmpeg.on('data', (chunk: Buffer) => chunks.push(chunk));
      ffmpeg.on('end', () => resolve());
      input.pipe(ffmpeg);
    });
  } catch (err) {
    throw new RxVoiceError({
      code: 'bad_audio',
      stage: 'input',
      message: `${path}: could not decode with ffmpeg (${err instanceof Error ? err.message : String(err)}); is ffmpeg installed?`,
      cause: err,
    });
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.length < 2) {
    throw new RxVoiceError({ code: 'bad_audio', stage: 'input', message: `${path}: ffmpeg found no audio in the file` });
  }
  return { samples: bytesToPcm16(bytes.subarray(0, bytes.length - (bytes.length % 2))).slice(), sampleRate };
}
