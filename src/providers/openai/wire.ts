/**
 * OpenAI's (and Azure OpenAI's) HTTP wire shapes, the one copy the client (this folder) and the sandbox
 * (src/sandbox/http, src/sandbox/errors.ts) share. Names and fields follow openai-node:
 * resources/chat/completions/completions.ts (ChatCompletionChunk), resources/completions.ts
 * (CompletionUsage), resources/audio/transcriptions.ts (TranscriptionTextDeltaEvent /
 * TranscriptionTextDoneEvent), core/error.ts (the `{"error": {...}}` body); Azure's extra fields follow
 * learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter (prompt_filter_results,
 * content_filter_results).
 */

/** OpenAI's error body. */
export interface OpenAIErrorBody {
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
}

/** Azure's error body (`code` a string, often the status). */
export interface AzureErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** Azure's per-category verdict (hate, self_harm, sexual, violence; jailbreak / protected material say `detected`). */
export type ContentFilterResults = Readonly<Record<string, { readonly filtered: boolean; readonly severity?: string; readonly detected?: boolean }>>;

export interface ToolCallDeltaWire {
  readonly index?: number;
  readonly id?: string;
  readonly type?: 'function';
  readonly function?: { readonly name?: string; readonly arguments?: string };
}

export interface ChatDeltaWire {
  readonly role?: 'assistant';
  readonly content?: string | null;
  readonly refusal?: string | null;
  readonly tool_calls?: readonly ToolCallDeltaWire[];
}

export interface ChatChunkChoiceWire {
  readonly index?: number;
  /** Absent on Azure's content-filter annotation. */
  readonly delta?: ChatDeltaWire;
  readonly logprobs?: null;
  readonly finish_reason?: string | null;
  /** Azure only. */
  readonly content_filter_results?: ContentFilterResults;
  /** Azure only, on the annotation after the completion: which characters the verdict covers. */
  readonly content_filter_offsets?: { readonly check_offset: number; readonly start_offset: number; readonly end_offset: number };
}

/** Chat Completions usage (CompletionUsage). */
export interface ChatUsageWire {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number; readonly audio_tokens?: number } | null;
  readonly completion_tokens_details?: {
    readonly reasoning_tokens?: number;
    readonly audio_tokens?: number;
    readonly accepted_prediction_tokens?: number;
    readonly rejected_prediction_tokens?: number;
  } | null;
}

/**
 * One `data:` event of a streaming Chat Completion. Azure adds chunks with empty `choices` (its prompt
 * filter verdict first, the usage chunk last) and a content-filter annotation after `finish_reason`;
 * `error` arrives mid-stream when the provider fails after the 200.
 */
export interface ChatCompletionChunkWire {
  readonly id?: string;
  readonly object?: 'chat.completion.chunk' | '';
  readonly created?: number;
  readonly model?: string;
  readonly system_fingerprint?: string;
  readonly service_tier?: string;
  readonly choices?: readonly ChatChunkChoiceWire[];
  readonly usage?: ChatUsageWire | null;
  /** Azure only. */
  readonly prompt_filter_results?: ReadonlyArray<{ readonly prompt_index: number; readonly content_filter_results: ContentFilterResults }>;
  readonly error?: { readonly message?: string; readonly code?: string | number };
}

export interface TranscriptLogprobWire {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: readonly number[];
}

/**
 * The transcription SSE stream (`stream=true`): deltas, then one done event with the whole text; the
 * stream then ends (no `[DONE]` line).
 */
export type TranscriptionStreamEventWire =
  | { readonly type: 'transcript.text.delta'; readonly delta: string; readonly logprobs?: readonly TranscriptLogprobWire[] }
  | {
      readonly type: 'transcript.text.done';
      readonly text: string;
      readonly logprobs?: readonly TranscriptLogprobWire[];
      readonly usage?: unknown;
      /** Not in the OpenAI reference; some deployments report the language, and the client reads it when there. */
      readonly language?: string;
      readonly languages?: ReadonlyArray<{ readonly code?: string }>;
    }
  /** An error after the 200: the stream then ends. */
  | { readonly type?: 'error'; readonly error: { readonly message?: string } };
