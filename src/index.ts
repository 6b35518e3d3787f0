/**
 * rxvoice: real-time voice agents as RxJS operator chains.
 * Operators live in `rxvoice/operators`, the two chains in `rxvoice/pipelines`, test helpers in
 * `rxvoice/testing`, the provider sandbox in `rxvoice/sandbox`, the socket server in `rxvoice/server`.
 */
export * from './events.js';
export * from './errors.js';
export * from './audio/index.js';
export * from './vad/index.js';
export { PlaybackClock } from './playback.js';
export { DEFAULT_PRICES, withPrices, type ModelPrice, type PriceTable } from './cost/prices.js';
export { priceTurn, tokenCost, type CostOptions, type StageCosts, type TurnModels, type TurnUsage } from './cost/price.js';
export { Conversation, INTERRUPTED_TOOL_RESULT, type ConversationOptions, type ConversationEntry } from './conversation.js';
export { readAudioFile, type DecodedAudio } from './audio/decode.js';
export { defineTool, toToolSpec, type ToolDefinition, type ToolContext } from './tools.js';
export { speakableNormalizer, SPEAKABLE_LANGUAGES, en as speakableEn, fr as speakableFr, de as speakableDe, es as speakableEs, type TextNormalizer, type SpeakableRules, type Currency } from './text/speakable/index.js';
export type { BehaviourOptions } from './behaviours.js';
export type * from './providers/types.js';
export type * from './providers/realtime-types.js';
export { formatRate } from './providers/realtime-types.js';
export { resolveEndpoints, describeEndpoints, SANDBOX_API_KEY, type ProviderEndpoints, type OpenAIEndpoint, type ElevenLabsEndpoint } from './providers/env.js';
export { createOpenAITranscriber, type OpenAITranscriberOptions, type TranscriptionModel } from './providers/openai/transcriber.js';
export { createOpenAIChatModel, type OpenAIChatModelOptions } from './providers/openai/chat.js';
export { sharedDispatcher } from './providers/openai/http.js';
export { createOpenAISdkChatModel, type OpenAISdkChatModelOptions } from './providers/openai/chat-sdk.js';
export { openaiRealtime, type OpenAIRealtimeOptions } from './providers/openai-realtime/session.js';
export {
  createElevenLabsSynthesizer,
  DEFAULT_ELEVENLABS_MODEL,
  DEFAULT_ELEVENLABS_VOICE,
  type ElevenLabsSynthesizerOptions,
} from './providers/elevenlabs/index.js';
export { runCall, type RunCallOptions, type CallResult } from './runner/call.js';
export { buildTurnReports, summarize, type TurnReport, type TimedEvent } from './runner/report.js';
export { renderTimelineHtml, renderTimelineSvg } from './runner/timeline.js';
