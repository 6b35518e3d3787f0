import { spawn, spawnSync } from 'node:child_process';
import type { SampleRate } from '../../audio/frame.js';
import { isSampleRate } from '../../audio/frame.js';
import { aLawEncode, muLawEncode } from '../../audio/g711.js';
import { pcm16ToBytes } from '../../audio/pcm.js';

/**
 * ElevenLabs `output_format` values (`codec_samplerate[_bitrate]`) the sandbox can produce: raw PCM16 LE
 * at the rates rxvoice supports, G.711 mu-law/A-law at 8 kHz, and mp3 when an `ffmpeg` binary is on the
 * PATH (the sandbox shells out to it; no mp3 encoder ships in the npm dependencies). Opus and PCM rates
 * rxvoice does not support (32 kHz) are refused with an ElevenLabs-shaped error.
 */
export interface OutputFormat {
  readonly name: string;
  readonly codec: 'pcm' | 'ulaw' | 'alaw' | 'mp3';
  /** The rate speech is synthesized at for this format. */
  readonly sampleRate: SampleRate;
  /** For mp3, in kbit/s. */
  readonly bitrate?: number;
  /** Byte granularity a chunk boundary must respect (a whole PCM16 sample). */
  readonly frameBytes: number;
  readonly contentType: string;
}

/** Every format string ElevenLabs documents (for the 422 on an unknown one). */
export const ELEVENLABS_FORMATS = [
  'mp3_22050_32', 'mp3_24000_48', 'mp3_44100_32', 'mp3_44100_64', 'mp3_44100_96', 'mp3_44100_128', 'mp3_44100_192',
  'pcm_8000', 'pcm_16000', 'pcm_22050', 'pcm_24000', 'pcm_32000', 'pcm_44100', 'pcm_48000',
  'ulaw_8000', 'alaw_8000',
  'opus_48000_32', 'opus_48000_64', 'opus_48000_96', 'opus_48000_128', 'opus_48000_192',
] as const;

/** REST default. The WebSocket default is `mp3_44100` (same codec, 128 kbit/s here). */
export const DEFAULT_REST_FORMAT = 'mp3_44100_128';
export const DEFAULT_WS_FORMAT = 'mp3_44100';

export type FormatResult =
  | { readonly ok: true; readonly format: OutputFormat }
  | { readonly ok: false; readonly reason: 'unknown' | 'unsupported'; readonly message: string };

export function parseOutputFormat(name: string): FormatResult {
  const match = /^(mp3|pcm|ulaw|alaw|opus)_(\d+)(?:_(\d+))?$/.exec(name);
  const known = (ELEVENLABS_FORMATS as readonly string[]).includes(name) || name === DEFAULT_WS_FORMAT;
  if (!match || !known) {
    return { ok: false, reason: 'unknown', message: `Input should be ${ELEVENLABS_FORMATS.map((f) => `'${f}'`).join(', ')}` };
  }
  const codec = match[1] as 'mp3' | 'pcm' | 'ulaw' | 'alaw' | 'opus';
  const rate = Number(match[2]);
  const unsupported = (why: string): FormatResult => ({
    ok: false,
    reason: 'unsupported',
    message: `The output format ${name} is not supported by the rxvoice sandbox (${why}). Use pcm_16000, pcm_22050, pcm_24000, pcm_44100 or ulaw_8000.`,
  });
  if (codec === 'opus') return unsupported('no opus encoder');
  if (!isSampleRate(rate)) return unsupported(`${rate} Hz is not a sample rate rxvoice handles`);
  if (codec === 'mp3' && !hasFfmpeg()) return unsupported('mp3 needs an ffmpeg binary on the PATH');
  const base = { name, sampleRate: rate };
  switch (codec) {
    case 'pcm':
      return { ok: true, format: { ...base, codec, frameBytes: 2, contentType: 'audio/pcm' } };
    case 'ulaw':
      return { ok: true, format: { ...base, codec, frameBytes: 1, contentType: 'audio/basic' } };
    case 'alaw':
      return { ok: true, format: { ...base, codec, frameBytes: 1, contentType: 'audio/x-alaw-basic' } };
    case 'mp3':
      return { ok: true, format: { ...base, codec, bitrate: Number(match[3] ?? 128), frameBytes: 1, contentType: 'audio/mpeg' } };
  }
}

/** Encodes PCM16 samples (at `format.sampleRate`) into the format's bytes. */
export async function encodeAudio(format: OutputFormat, samples: Int16Array): Promise<Buffer> {
  switch (format.codec) {
    case 'pcm':
      return pcm16ToBytes(samples);
    case 'ulaw':
      return Buffer.from(muLawEncode(samples));
    case 'alaw':
      return Buffer.from(aLawEncode(samples));
    case 'mp3':
      return samples.length === 0 ? Buffer.alloc(0) : mp3(samples, format.sampleRate, format.bitrate ?? 128);
  }
}

let ffmpegAvailable: boolean | undefined;
export function hasFfmpeg(): boolean {
  ffmpegAvailable ??= spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
  return ffmpegAvailable;
}

/** Raw mp3 frames (no ID3 tag, no Xing header) so that pieces can be concatenated into one stream. */
function mp3(samples: Int16Array, sampleRate: number, bitrate: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-f', 's16le', '-ar', String(sampleRate), '-ac', '1', '-i', 'pipe:0',
        '-c:a', 'libmp3lame', '-b:a', `${bitrate}k`, '-id3v2_version', '0', '-write_xing', '0', '-f', 'mp3', 'pipe:1'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`ffmpeg exited with ${code}: ${Buffer.concat(errors).toString('utf8').slice(0, 300)}`));
    });
    child.stdin.on('error', () => {}); // reported through 'close'
    child.stdin.end(pcm16ToBytes(samples));
  });
}
