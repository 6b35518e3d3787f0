/** The operators: each a plain `OperatorFunction` over the `PipelineEvent` stream (`vad` takes raw frames). */
export { vad, createSpeechDetector, type VadOptions, type SpeechDetector, type SpeechDetectorOptions, type SpeechProbabilityModel, type VadConfig, type VadTransition } from './vad.js';
export { chunk, type ChunkOptions } from './chunk.js';
export { transcribe, type TranscribeOptions, type RetryOptions } from './transcribe.js';
export { turnDetector, textTurnDetector, DEFAULT_HOLD_SILENCE_MS, type TurnDetectorOptions, type TurnDetector, type TurnDetectorInput, type TurnVerdict, type EndOfTurnRequest, type TextTurnDetectorOptions } from './turnDetector.js';
export { bargeIn, type BargeInOptions, type BargeInPolicy } from './bargeIn.js';
export { llmStream, type LlmStreamOptions } from './llmStream.js';
export { realtime, type RealtimeOptions, type RealtimeTool, type RealtimeBargeIn } from './realtime.js';
export { sentences, type SentencesOptions } from './sentences.js';
export { tts, type TtsOptions, type TtsMode } from './tts.js';
export { resampleAssistantAudio } from './resampleAssistantAudio.js';
export { turnMetrics, type TurnMetricsOptions } from './metrics.js';
export { costMeter, type CostMeterOptions } from './costMeter.js';
export { turnLog, type TurnLogOptions, type TurnLogRecord } from './turnLog.js';
export { spokenFallback, DEFAULT_FALLBACK_TEXT, type SpokenFallbackOptions } from './spokenFallback.js';
export { collectDigits, MAX_DIGITS, type CollectDigitsOptions, type DigitsEntry, type DigitsEndReason } from './collectDigits.js';
