import type { TokenUsage } from '../../events.js';

/** Where each part of `TokenUsage` sits in one of OpenAI's usage objects (a key path). */
type UsageShape = Readonly<Record<keyof TokenUsage, readonly string[] | undefined>>;

/**
 * Chat Completions `usage` (openai-node: resources/completions.ts CompletionUsage): prompt_tokens,
 * completion_tokens, prompt_tokens_details.{cached_tokens, audio_tokens}, completion_tokens_details.audio_tokens.
 */
const CHAT: UsageShape = {
  inputTokens: ['prompt_tokens'],
  outputTokens: ['completion_tokens'],
  cachedInputTokens: ['prompt_tokens_details', 'cached_tokens'],
  audioInputTokens: ['prompt_tokens_details', 'audio_tokens'],
  cachedAudioInputTokens: undefined,
  audioOutputTokens: ['completion_tokens_details', 'audio_tokens'],
};

/**
 * Realtime `response.done` usage (openai-node: resources/realtime/realtime.ts RealtimeResponseUsage):
 * input_tokens, output_tokens, input_token_details.{cached_tokens, audio_tokens,
 * cached_tokens_details.audio_tokens}, output_token_details.audio_tokens.
 */
const REALTIME: UsageShape = {
  inputTokens: ['input_tokens'],
  outputTokens: ['output_tokens'],
  cachedInputTokens: ['input_token_details', 'cached_tokens'],
  audioInputTokens: ['input_token_details', 'audio_tokens'],
  cachedAudioInputTokens: ['input_token_details', 'cached_tokens_details', 'audio_tokens'],
  audioOutputTokens: ['output_token_details', 'audio_tokens'],
};

/** A non-negative finite count at `path`, else undefined (missing, null, or not a number). */
function countAt(wire: unknown, path: readonly string[]): number | undefined {
  let v: unknown = wire;
  for (const key of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** Reads a usage object by its shape: totals always (0 when absent), the optional parts only when above 0. */
function readUsage(wire: unknown, shape: UsageShape): TokenUsage | undefined {
  if (typeof wire !== 'object' || wire === null) return undefined;
  const parts: Partial<Record<keyof TokenUsage, number>> = {};
  for (const [name, path] of Object.entries(shape) as [keyof TokenUsage, readonly string[] | undefined][]) {
    if (name === 'inputTokens' || name === 'outputTokens' || path === undefined) continue;
    const n = countAt(wire, path);
    if (n !== undefined && n > 0) parts[name] = n;
  }
  return { inputTokens: countAt(wire, shape.inputTokens ?? []) ?? 0, outputTokens: countAt(wire, shape.outputTokens ?? []) ?? 0, ...parts };
}

export function chatUsage(wire: unknown): TokenUsage | undefined {
  return readUsage(wire, CHAT);
}

export function realtimeUsage(wire: unknown): TokenUsage | undefined {
  return readUsage(wire, REALTIME);
}
