import type { Alignment } from '../../providers/types.js';
import type { RestAlignment, WsAlignment } from '../../providers/elevenlabs/wire.js';

/** One synthesized text, encoded: bytes in the output format plus char timing relative to its start. */
export interface EncodedSpeech {
  readonly bytes: Buffer;
  readonly durationMs: number;
  readonly alignment: Alignment;
  /** A chunk boundary must fall on a multiple of this (2 for PCM16). */
  readonly frameBytes: number;
}

/** A piece of an `EncodedSpeech` as one HTTP chunk or one WebSocket audio message. */
export interface SpeechChunk {
  readonly bytes: Buffer;
  readonly startMs: number;
  readonly durationMs: number;
  /** The characters whose start falls in this chunk, times relative to the chunk's start. */
  readonly alignment: Alignment;
}

/** Audio per chunk: small enough that interruptions and faults land mid-reply. */
export const CHUNK_MS = 250;

export function splitIntoChunks(speech: EncodedSpeech, chunkMs = CHUNK_MS): SpeechChunk[] {
  const { bytes, durationMs, frameBytes } = speech;
  if (bytes.length === 0 || durationMs <= 0) return [];
  const count = Math.max(1, Math.ceil(durationMs / chunkMs - 1e-9));
  const byteAt = (ms: number): number =>
    ms >= durationMs ? bytes.length : Math.floor(((ms / durationMs) * bytes.length) / frameBytes) * frameBytes;
  const chunks: SpeechChunk[] = [];
  const { chars, charStartMs, charDurationMs } = speech.alignment;
  let nextChar = 0;
  for (let i = 0; i < count; i++) {
    const startMs = i * chunkMs;
    const endMs = Math.min(durationMs, startMs + chunkMs);
    const last = i === count - 1;
    const alignment: { chars: string[]; charStartMs: number[]; charDurationMs: number[] } = { chars: [], charStartMs: [], charDurationMs: [] };
    while (nextChar < chars.length && (last || (charStartMs[nextChar] ?? 0) < endMs)) {
      alignment.chars.push(chars[nextChar] ?? '');
      alignment.charStartMs.push(Math.max(0, Math.round((charStartMs[nextChar] ?? 0) - startMs)));
      alignment.charDurationMs.push(charDurationMs[nextChar] ?? 0);
      nextChar++;
    }
    chunks.push({ bytes: bytes.subarray(byteAt(startMs), byteAt(endMs)), startMs, durationMs: endMs - startMs, alignment });
  }
  return chunks;
}

/** WebSocket alignment of a chunk; null when no character starts in it (as ElevenLabs sends). */
export function toWsAlignment(alignment: Alignment): WsAlignment | null {
  if (alignment.chars.length === 0) return null;
  return {
    chars: [...alignment.chars],
    charStartTimesMs: [...alignment.charStartMs],
    charDurationsMs: [...alignment.charDurationMs],
  };
}

/** REST with-timestamps alignment: seconds from the start of the whole response's audio. */
export function toRestAlignment(alignment: Alignment, offsetMs: number): RestAlignment | null {
  if (alignment.chars.length === 0) return null;
  const seconds = (ms: number): number => Math.round(ms + offsetMs) / 1000;
  return {
    characters: [...alignment.chars],
    character_start_times_seconds: alignment.charStartMs.map(seconds),
    character_end_times_seconds: alignment.charStartMs.map((start, i) => seconds(start + (alignment.charDurationMs[i] ?? 0))),
  };
}

/** Shifts a whole-speech alignment (used when several generations are concatenated). */
export function shiftAlignment(alignment: Alignment, byMs: number): Alignment {
  return { chars: alignment.chars, charStartMs: alignment.charStartMs.map((t) => t + byMs), charDurationMs: alignment.charDurationMs };
}
