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
 * Published figures, rounded to the middle of their ranges (sources in docs/sandbox.md), as constants:
 * gpt-4o-transcribe answers ~300-500 ms after the upload ends; gpt-4o-mini ~400-600 ms to the first token
 * and ~80-100 tokens/s (Artificial Analysis); ElevenLabs Flash v2.5 ~75 ms model time, ~150-300 ms to the
 * first byte over the network; gpt-realtime ~500-800 ms from end of speech to first audio. This was
 * `typical` until the sandbox learnt to vary: kept so benchmarks can compare with earlier numbers and
 * measure overhead against exactly known injected latency.
 */
const typicalFixed: LatencyProfile = {
  name: 'typical-fixed',
  transcribe: { afterUploadMs: 400 },
  chat: { firstTokenMs: 500, tokensPerSecond: 90 },
  tts: { firstByteMs: 200, speedFactor: 4 },
  realtime: { responseStartMs: 650, tokensPerSecond: 60, silenceDurationMs: 500 },
};

/**
 * `typical-fixed`'s medians, varying per request the way real services do (sources in docs/sandbox.md):
 * - transcription: 300 ms + 50 ms per second of uploaded audio, so a ~2-2.5 s turn still takes ~400-425 ms.
 *   Public whisper-1 measurements put the slope at ~58-65 ms per audio second (10 s -> 1.37 s, 20 s -> 1.95 s
 *   in ufal/whisper_streaming#52; 29 s -> 2 s, 60 s -> 4 s in supershaneski/openai-whisper-api#1), upload of
 *   the file included; no such measurement was found for gpt-4o-transcribe, so its 50 ms is an assumption;
 * - each p90 from the published range (its low end taken as p10, its high end as p90): transcription
 *   300-500 ms -> 1.3x, chat first token 0.39-0.77 s -> 1.4x, text-to-speech first byte 150-300 ms ->
 *   1.4x, realtime response start 500-800 ms -> 1.25x; each p99 (no public figure found) an assumption:
 *   about 2x the median (a tail, as timeouts and retries on real networks make).
 * The realtime model's response start does not grow with the caller's audio (it has been listening).
 */
const typical: LatencyProfile = {
  ...typicalFixed,
  name: 'typical',
  transcribe: { afterUploadMs: 300, perAudioSecondMs: 50 },
  // The session's input transcript runs on a separate ASR model, asynchronously with the response ("this
  // event may come before or after the Response events": ConversationItemInputAudioTranscriptionCompletedEvent
  // in openai/openai-node src/resources/realtime/realtime.ts). No published delay was found: an assumption of
  // the REST model's ~400 ms for a ~2 s turn (no upload: the audio is already there), with a wider spread,
  // so about one turn in five hears the model's first audio before its transcript.
  realtime: { ...typicalFixed.realtime, transcriptMs: 400 },
  spread: {
    transcribe: { p90: 1.3, p99: 2 },
    chat: { p90: 1.4, p99: 2.2 },
    tts: { p90: 1.4, p99: 2 },
    realtime: { p90: 1.25, p99: 1.8 },
    realtimeTranscript: { p90: 1.8, p99: 3 },
  },
};

/** `tokensPerSecond: 0` and `speedFactor: 0` mean "no pacing": send as fast as possible. */
export const PROFILES = { instant, typical, 'typical-fixed': typicalFixed } as const satisfies Record<string, LatencyProfile>;

export type ProfileName = keyof typeof PROFILES;

export const PROFILE_NAMES = Object.keys(PROFILES) as readonly ProfileName[];

export function resolveProfile(profile: ProfileName | LatencyProfile | undefined): LatencyProfile {
  if (profile === undefined) return PROFILES.instant;
  if (typeof profile === 'string') {
    const found = (PROFILES as Record<string, LatencyProfile>)[profile];
    if (!found) throw new Error(`Unknown sandbox profile "${profile}" (known: ${Object.keys(PROFILES).join(', ')})`);
    return found;
  }
  return profile;
}
