import type { SampleRate } from './frame.js';

/**
 * An audio encoding as bytes on a wire: PCM16 little-endian mono at a sample rate, or G.711 mu-law (8 kHz
 * on every service rxvoice talks to). Vendor-neutral: each provider maps it to its own format name and
 * refuses, with a clear error, a format it cannot produce.
 */
export interface AudioFormat {
  readonly encoding: 'pcm16' | 'mulaw';
  readonly sampleRate: SampleRate;
}

/** The default reply format: PCM16 at 16 kHz. */
export const PCM16_16K: AudioFormat = { encoding: 'pcm16', sampleRate: 16000 };

/** Telephony: G.711 mu-law at 8 kHz (decoded to PCM16 frames at 8 kHz; transports re-encode). */
export const MULAW_8K: AudioFormat = { encoding: 'mulaw', sampleRate: 8000 };

/** `pcm16@16000`, `mulaw@8000`: for logs and errors. */
export function describeAudioFormat(format: AudioFormat): string {
  return `${format.encoding}@${format.sampleRate}`;
}

/**
 * The reply format to ask a text-to-speech for when the client's socket wants `wire`: mu-law stays mu-law
 * (no transcoding on phone calls); PCM is asked at 16 or 24 kHz, which every provider sends (48 kHz is a
 * paid tier at some), and the server resamples to the wire rate.
 */
export function replyFormatFor(wire: AudioFormat): AudioFormat {
  if (wire.encoding === 'mulaw') return MULAW_8K;
  return { encoding: 'pcm16', sampleRate: wire.sampleRate >= 24000 ? 24000 : 16000 };
}
