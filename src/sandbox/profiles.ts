import type { LatencyProfile } from './types.js';

/** Tests: no injected latency, tokens as fast as the event loop sends them. */
const instant: LatencyProfile = {
  name: 'instant',
  transcribe: { afterUploadMs: 0 },
  chat: { firstTokenMs: 0, tokensPerSecond: 0 },
  tts: { firstByteMs: 0, speedFactor: 0 },
  realtime: { responseStartMs: 0, tokensPerSecond: 0, silenceDurationMs: 200 },
};

/**
 * Published figures, rounded to the middle of their ranges (sources in docs/sandbox.md):
 * gpt-4o-transcribe answers ~300-500 ms after the upload ends; gpt-4o-mini ~400-600 ms to the first token
 * and ~80-100 tokens/s (Artificial Analysis); ElevenLabs Flash v2.5 ~75 ms model time, ~150-300 ms to the
 * first byte over the network; gpt-realtime ~500-800 ms from end of speech to first audio.
 */
const typical: LatencyProfile = {
  name: 'typical',
  transcribe: { afterUploadMs: 400 },
  chat: { firstTokenMs: 500, tokensPerSecond: 90 },
  tts: { firstByteMs: 200, speedFactor: 4 },
  realtime: { responseStartMs: 650, tokensPerSecond: 60, silenceDurationMs: 500 },
};

/** `tokensPerSecond: 0` and `speedFactor: 0` mean "no pacing": send as fast as possible. */
export const PROFILES = { instant, typical } as const satisfies Record<string, LatencyProfile>;

export type ProfileName = keyof typeof PROFILES;

export function resolveProfile(profile: ProfileName | LatencyProfile | undefined): LatencyProfile {
  if (profile === undefined) return PROFILES.instant;
  if (typeof profile === 'string') {
    const found = (PROFILES as Record<string, LatencyProfile>)[profile];
    if (!found) throw new Error(`Unknown sandbox profile "${profile}" (known: ${Object.keys(PROFILES).join(', ')})`);
    return found;
  }
  return profile;
}
