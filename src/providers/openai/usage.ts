import type { TokenUsage } from '../../events.js';

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
const partsOf = (parts: Partial<Record<keyof TokenUsage, number | undefined>>): Partial<TokenUsage> =>
  Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined && v > 0));

/**
 * Chat Completions `usage`: prompt_tokens, completion_tokens, prompt_tokens_details.cached_tokens /
 * audio_tokens, completion_tokens_details.audio_tokens (openai-node: resources/completions.ts CompletionUsage).
 */
export function chatUsage(wire: unknown): TokenUsage | undefined {
  if (typeof wire !== 'object' || wire === null) return undefined;
  const u = wire as {
    prompt_tokens?: unknown;
    completion_tokens?: unknown;
    prompt_tokens_details?: { cached_tokens?: unknown; audio_tokens?: unknown } | null;
    completion_tokens_details?: { audio_tokens?: unknown } | null;
  };
  return {
    inputTokens: count(u.prompt_tokens) ?? 0,
    outputTokens: count(u.completion_tokens) ?? 0,
    ...partsOf({
      cachedInputTokens: count(u.prompt_tokens_details?.cached_tokens),
      audioInputTokens: count(u.prompt_tokens_details?.audio_tokens),
      audioOutputTokens: count(u.completion_tokens_details?.audio_tokens),
    }),
  };
}

/**
 * Realtime `response.done` usage: input_tokens, output_tokens, input_token_details.{cached_tokens,
 * audio_tokens, cached_tokens_details.audio_tokens}, output_token_details.audio_tokens
 * (openai-node: resources/realtime/realtime.ts RealtimeResponseUsage).
 */
export function realtimeUsage(wire: unknown): TokenUsage | undefined {
  if (typeof wire !== 'object' || wire === null) return undefined;
  const u = wire as {
    input_tokens?: unknown;
    output_tokens?: unknown;
    input_token_details?: { cached_tokens?: unknown; audio_tokens?: unknown; cached_tokens_details?: { audio_tokens?: unknown } | null } | null;
    output_token_details?: { audio_tokens?: unknown } | null;
  };
  return {
    inputTokens: count(u.input_tokens) ?? 0,
    outputTokens: count(u.output_tokens) ?? 0,
    ...partsOf({
      cachedInputTokens: count(u.input_token_details?.cached_tokens),
      audioInputTokens: count(u.input_token_details?.audio_tokens),
      cachedAudioInputTokens: count(u.input_token_details?.cached_tokens_details?.audio_tokens),
      audioOutputTokens: count(u.output_token_details?.audio_tokens),
    }),
  };
}
