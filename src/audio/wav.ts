import { open, readFile, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Observable, type OperatorFunction } from 'rxjs';
import { RxVoiceError } from '../errors.js';
import type { AudioFrame } from './frame.js';
import { aLawDecode, muLawDecode } from './g711.js';
import { pcm16ToBytes } from './pcm.js';

export interface WavAudio {
  readonly sampleRate: number;
  /** Channels in the file; `samples` is always mono (multi-channel files are averaged down). */
  readonly channels: number;
  readonly samples: Int16Array;
  /** How the file stored its samples. */
  readonly encoding: 'pcm16' | 'mulaw' | 'alaw';
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_ALAW = 6;
const WAVE_FORMAT_MULAW = 7;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function bad(name: string, reason: string): RxVoiceError {
  return new RxVoiceError({ code: 'bad_audio', stage: 'input', message: `${name}: ${reason}` });
}

/**
 * Parses a RIFF/WAVE file: walks the chunks (skipping unknown ones such as LIST), accepts 16-bit PCM
 * (plain or WAVE_FORMAT_EXTENSIBLE) and 8-bit G.711 mu-law/A-law, downmixes to mono by averaging.
 * Anything else (compressed, float, 8/24-bit PCM) is rejected with a `bad_audio` error naming the file.
 */
export function parseWav(buf: Uint8Array, name = 'wav'): WavAudio {
  if (buf.length === 0) throw bad(name, 'empty file');
  if (buf.length < 12) throw bad(name, `too short for a WAV header (${buf.length} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (at: number) => String.fromCharCode(buf[at]!, buf[at + 1]!, buf[at + 2]!, buf[at + 3]!);
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw bad(name, 'not a RIFF/WAVE file');

  let format: { code: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | undefined;
  let data: Uint8Array | undefined;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = tag(at);
    const declared = view.getUint32(at + 4, true);
    const bodyStart = at + 8;
    // Streaming writers leave sizes at 0 or 0xFFFFFFFF: take what the file holds.
    const size = Math.min(declared, buf.length - bodyStart);
    if (id === 'fmt ') {
      if (size < 16) throw bad(name, 'fmt chunk too short');
      let code = view.getUint16(bodyStart, true);
      if (code === WAVE_FORMAT_EXTENSIBLE && size >= 26) code = view.getUint16(bodyStart + 24, true);
      format = {
        code,
        channels: view.getUint16(bodyStart + 2, true),
        sampleRate: view.getUint32(bodyStart + 4, true),
        blockAlign: view.getUint16(bodyStart + 12, true),
        bits: view.getUint16(bodyStart + 14, true),
      };
    } else if (id === 'data') {
      const unknownSize = declared === 0 || declared === 0xffffffff;
      data = unknownSize ? buf.subarray(bodyStart) : buf.subarray(bodyStart, bodyStart + size);
      break;
    }
    at = bodyStart + size + (size % 2); // chunks are padded to even sizes
  }
  if (!format) throw bad(name, 'no fmt chunk');
  if (!data) throw bad(name, 'no data chunk');
  const { code, channels, sampleRate, bits } = format;
  if (channels < 1) throw bad(name, 'zero channels');

  let interleaved: Int16Array;
  let encoding: WavAudio['encoding'];
  if (code === WAVE_FORMAT_PCM) {
    if (bits !== 16) throw bad(name, `${bits}-bit PCM is not supported (16-bit only)`);
    const usable = data.length - (data.length % (2 * channels));
    interleaved = new Int16Array(usable / 2);
    for (let i = 0; i < interleaved.length; i++) interleaved[i] = data[2 * i]! | (data[2 * i + 1]! << 8);
    encoding = 'pcm16';
  } else if (code === WAVE_FORMAT_MULAW || code === WAVE_FORMAT_ALAW) {
    if (bits !== 8) throw bad(name, `G.711 with ${bits} bits per sample is not valid`);
    const usable = data.subarray(0, data.length - (data.length % channels));
    interleaved = code === WAVE_FORMAT_MULAW ? muLawDecode(usable) : aLawDecode(usable);
    encoding = code === WAVE_FORMAT_MULAW ? 'mulaw' : 'alaw';
  } else {
    throw bad(name, `unsupported WAV encoding (format tag 0x${code.toString(16)}); only PCM16, mu-law and A-law are read`);
  }
  return { sampleRate, channels, samples: downmix(interleaved, channels), encoding };
}

/** Averages interleaved channels into one (the documented choice for stereo input). */
export function downmix(interleaved: Int16Array, channels: number): Int16Array {
  if (channels === 1) return interleaved;
  const frames = Math.floor(interleaved.length / channels);
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c]!;
    out[i] = Math.round(sum / channels);
  }
  return out;
}

/** A 44-byte canonical PCM16 header. */
export function wavHeader(dataBytes: number, sampleRate: number, channels = 1): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Encodes PCM16 samples (interleaved when channels > 1) as a WAV file. */
export function encodeWav(samples: Int16Array, sampleRate: number, channels = 1): Buffer {
  return Buffer.concat([wavHeader(samples.length * 2, sampleRate, channels), pcm16ToBytes(samples)]);
}

/** Reads and parses a WAV file; errors name the file. */
export async function readWavFile(path: string): Promise<WavAudio> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new RxVoiceError({ code: 'bad_audio', stage: 'input', message: `${path}: cannot read (${(err as Error).message})`, cause: err });
  }
  return parseWav(buf, basename(path));
}

/**
 * Writes frames to a WAV file as they come: a header with zero sizes first, samples appended in order,
 * the sizes patched when `close()` is called. The sample rate is the first frame's; a frame at another
 * rate is refused (a WAV file has one rate).
 */
export class WavFileSink {
  private handle: Promise<FileHandle> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private sampleRate: number | undefined;
  private dataBytes = 0;
  private failure: unknown;

  constructor(readonly path: string) {}

  write(frame: AudioFrame): void {
    if (this.sampleRate === undefined) {
      this.sampleRate = frame.sampleRate;
      this.handle = open(this.path, 'w');
      this.enqueue(async (fh) => fh.write(wavHeader(0, frame.sampleRate), 0, 44, 0));
    } else if (frame.sampleRate !== this.sampleRate) {
      throw new RxVoiceError({
        code: 'unsupported_sample_rate',
        stage: 'audio',
        message: `${basename(this.path)}: frame at ${frame.sampleRate} Hz in a ${this.sampleRate} Hz WAV file`,
      });
    }
    const bytes = Buffer.from(pcm16ToBytes(frame.samples)); // copy: the write is asynchronous
    const position = 44 + this.dataBytes;
    this.dataBytes += bytes.length;
    this.enqueue(async (fh) => fh.write(bytes, 0, bytes.length, position));
  }

  private enqueue(step: (fh: FileHandle) => Promise<unknown>): void {
    const handle = this.handle!;
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await step(await handle);
      } catch (err) {
        this.failure = err;
      }
    });
  }

  /** Patches the header sizes and closes the file. Returns the duration written, in ms. */
  async close(): Promise<{ samples: number; durationMs: number }> {
    if (!this.handle) {
      // No frame came: still leave a valid (empty) file behind, at a neutral rate.
      this.sampleRate = 16000;
      this.handle = open(this.path, 'w');
      this.enqueue(async (fh) => fh.write(wavHeader(0, 16000), 0, 44, 0));
    }
    this.enqueue(async (fh) => fh.write(wavHeader(this.dataBytes, this.sampleRate!), 0, 44, 0));
    await this.chain;
    await (await this.handle).close().catch(() => undefined);
    if (this.failure) {
      throw new RxVoiceError({ code: 'internal', stage: 'audio', message: `${basename(this.path)}: write failed`, cause: this.failure });
    }
    const samples = this.dataBytes / 2;
    return { samples, durationMs: (samples * 1000) / this.sampleRate! };
  }
}

/**
 * Passes frames on unchanged while writing them to a WAV file; the file is complete (sizes patched)
 * before the output completes. Unsubscribing early still closes the file with what was written.
 */
export function toWavFile(path: string): OperatorFunction<AudioFrame, AudioFrame> {
  return (source) =>
    new Observable<AudioFrame>((subscriber) => {
      const sink = new WavFileSink(path);
      let closed = false;
      const close = () => {
        if (closed) return Promise.resolve(undefined);
        closed = true;
        return sink.close();
      };
      const sub = source.subscribe({
        next(frame) {
          if (subscriber.closed) return; // unsubscribed during a synchronous source: write no more
          try {
            sink.write(frame);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.next(frame);
        },
        error(err) {
          close().then(
            () => subscriber.error(err),
            () => subscriber.error(err),
          );
        },
        complete() {
          close().then(
            () => subscriber.complete(),
            (err: unknown) => subscriber.error(err),
          );
        },
      });
      return () => {
        sub.unsubscribe();
        void close().catch(() => undefined);
      };
    });
}

/** Writes a whole frame stream to a WAV file; resolves when the file is closed. */
export function writeWav(path: string, frames$: Observable<AudioFrame>): Promise<{ samples: number; durationMs: number }> {
  return new Promise((resolve, reject) => {
    const sink = new WavFileSink(path);
    frames$.subscribe({
      next(frame) {
        try {
          sink.write(frame);
        } catch (err) {
          reject(err);
        }
      },
      error: (err: unknown) => {
        sink.close().finally(() => reject(err));
      },
      complete: () => {
        sink.close().then(resolve, reject);
      },
    });
  });
}
