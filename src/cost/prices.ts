/**
 * What a model costs, in US dollars. Token prices are per 1M tokens; a part of the usage with no price of
 * its own (cached input without `cachedInputPerMTok`) is billed at the full rate.
 */
export interface ModelPrice {
  readonly inputPerMTok?: number;
  readonly cachedInputPerMTok?: number;
  readonly outputPerMTok?: number;
  readonly audioInputPerMTok?: number;
  readonly cachedAudioInputPerMTok?: number;
  readonly audioOutputPerMTok?: number;
  /** Speech to text billed by the duration of the audio sent. */
  readonly audioPerMinute?: number;
  /** Text to speech billed by the characters sent. */
  readonly per1kCharacters?: number;
}

/** Model name (as the pipelines send it) -> price. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * List prices, pay-as-you-go, checked 2026-12 (OpenAI: the model pages at developers.openai.com/api/docs/models;
 * ElevenLabs: the API pricing page). Negotiated rates differ: pass your own table (`withPrices`) to override.
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o-mini': { inputPerMTok: 0.15, cachedInputPerMTok: 0.075, outputPerMTok: 0.6 },
  'gpt-4o': { inputPerMTok: 2.5, cachedInputPerMTok: 1.25, outputPerMTok: 10 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, cachedInputPerMTok: 0.1, outputPerMTok: 1.6 },
  // Transcription: OpenAI quotes per minute of audio for these.
  'gpt-4o-transcribe': { audioPerMinute: 0.006 },
  'gpt-4o-mini-transcribe': { audioPerMinute: 0.003 },
  'whisper-1': { audioPerMinute: 0.006 },
  'gpt-realtime': { inputPerMTok: 4, cachedInputPerMTok: 0.4, outputPerMTok: 16, audioInputPerMTok: 32, cachedAudioInputPerMTok: 0.4, audioOutputPerMTok: 64 },
  'gpt-realtime-mini': { inputPerMTok: 0.6, cachedInputPerMTok: 0.06, outputPerMTok: 2.4, audioInputPerMTok: 10, cachedAudioInputPerMTok: 0.3, audioOutputPerMTok: 20 },
  eleven_flash_v2_5: { per1kCharacters: 0.05 },
  eleven_turbo_v2_5: { per1kCharacters: 0.05 },
  eleven_multilingual_v2: { per1kCharacters: 0.1 },
  eleven_v3: { per1kCharacters: 0.1 },
};

/** The default table with some models added or repriced. */
export function withPrices(overrides: PriceTable, base: PriceTable = DEFAULT_PRICES): PriceTable {
  return { ...base, ...overrides };
}
