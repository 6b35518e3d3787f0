import { describe, expect, it } from 'vitest';
import { chatUsage, realtimeUsage } from '../../src/providers/openai/usage.js';

describe('OpenAI usage readers', () => {
  it('read Chat Completions usage, leaving out parts that are zero or absent', () => {
    expect(
      chatUsage({
        prompt_tokens: 120,
        completion_tokens: 30,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 64, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 12 },
      }),
    ).toEqual({ inputTokens: 120, outputTokens: 30, cachedInputTokens: 64, audioOutputTokens: 12 });
    expect(chatUsage({ prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: null })).toEqual({ inputTokens: 5, outputTokens: 2 });
  });

  it('read realtime response.done usage, the cached audio part included', () => {
    expect(
      realtimeUsage({
        total_tokens: 300,
        input_tokens: 200,
        output_tokens: 100,
        input_token_details: { cached_tokens: 50, text_tokens: 40, audio_tokens: 160, cached_tokens_details: { text_tokens: 10, audio_tokens: 40 } },
        output_token_details: { text_tokens: 20, audio_tokens: 80 },
      }),
    ).toEqual({ inputTokens: 200, outputTokens: 100, cachedInputTokens: 50, audioInputTokens: 160, cachedAudioInputTokens: 40, audioOutputTokens: 80 });
  });

  it('refuse what is not a count: negative, NaN, strings; and non-objects', () => {
    expect(realtimeUsage({ input_tokens: -1, output_tokens: 'many', input_token_details: { audio_tokens: Number.NaN } })).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(chatUsage(null)).toBeUndefined();
    expect(realtimeUsage('usage')).toBeUndefined();
  });
});
