/** What the first bytes of an uploaded audio file say about it. */
export type SniffedAudio =
  | {
      readonly format: 'wav';
      readonly sampleRate: number;
      readonly channels: number;
      readonly bitsPerSample: number;
      /** Byte offset where sample data starts. */
      readonly dataOffset: number;
    }
  | { readonly format: 'mp3' | 'flac' | 'ogg' | 'webm' | 'mp4' }
  | { readonly format: 'unknown'; readonly reason: string };

/** Bytes of header we look at before giving up on finding a WAV `data` chunk. */
export const MAX_SNIFF_BYTES = 64 * 1024;

const WAV_ENCODINGS = new Set([1, 3, 6, 7, 0xfffe]); // PCM, float, A-law, mu-law, extensible

/**
 * Identifies an audio upload from its first bytes; `undefined` means "send more bytes". Tolerant of
 * streaming WAV headers whose RIFF/data sizes are 0 or 0xFFFFFFFF (written before the length is known).
 */
export function sniffAudio(head: Buffer, complete: boolean): SniffedAudio | undefined {
  if (head.length < 12) return complete ? { format: 'unknown', reason: 'file too short' } : undefined;
  const tag = head.toString('latin1', 0, 4);
  if (tag === 'RIFF' || tag === 'RIFX') {
    if (head.toString('latin1', 8, 12) !== 'WAVE') return { format: 'unknown', reason: 'RIFF file that is not WAVE' };
    return sniffWav(head, complete);
  }
  if (tag === 'fLaC') return { format: 'flac' };
  if (tag === 'OggS') return { format: 'ogg' };
  if (head.readUInt32BE(0) === 0x1a45dfa3) return { format: 'webm' };
  if (head.toString('latin1', 4, 8) === 'ftyp') return { format: 'mp4' };
  if (head.toString('latin1', 0, 3) === 'ID3' || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return { format: 'mp3' };
  return { format: 'unknown', reason: 'not a known audio container' };
}

function sniffWav(head: Buffer, complete: boolean): SniffedAudio | undefined {
  let offset = 12;
  let fmt: { encoding: number; channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  while (offset + 8 <= head.length) {
    const id = head.toString('latin1', offset, offset + 4);
    const size = head.readUInt32LE(offset + 4);
    if (id === 'data') {
      if (!fmt) return { format: 'unknown', reason: 'WAV data chunk before fmt chunk' };
      return { format: 'wav', sampleRate: fmt.sampleRate, channels: fmt.channels, bitsPerSample: fmt.bitsPerSample, dataOffset: offset + 8 };
    }
    if (id === 'fmt ') {
      if (offset + 8 + 16 > head.length) break;
      const encoding = head.readUInt16LE(offset + 8);
      const channels = head.readUInt16LE(offset + 10);
      const sampleRate = head.readUInt32LE(offset + 12);
      const bitsPerSample = head.readUInt16LE(offset + 22);
      if (!WAV_ENCODINGS.has(encoding) || channels < 1 || sampleRate < 1000 || bitsPerSample < 8) {
        return { format: 'unknown', reason: 'unsupported WAV encoding' };
      }
      fmt = { encoding, channels, sampleRate, bitsPerSample };
    }
    if (size === 0xffffffff) return { format: 'unknown', reason: `WAV chunk "${id}" with unknown size before data` };
    offset += 8 + size + (size % 2);
  }
  if (complete || head.length >= MAX_SNIFF_BYTES) return { format: 'unknown', reason: 'WAV header without a data chunk' };
  return undefined;
}

/** Audio duration in seconds from the sample bytes, when the format tells us (WAV); else undefined. */
export function audioDurationS(audio: SniffedAudio, audioBytes: number): number | undefined {
  if (audio.format !== 'wav') return undefined;
  return audioBytes / (audio.sampleRate * audio.channels * (audio.bitsPerSample / 8));
}
