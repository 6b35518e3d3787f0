/** The operators: each a plain `OperatorFunction` over the `PipelineEvent` stream (`vad` takes raw frames). */
export { vad, createSpeechDetector, type VadOptions, type SpeechDetector, type SpeechDetectorOptions, type SpeechProbabilityModel, type VadConfig, type VadTransition } from './vad.js';
export { chunk, type ChunkOptions } from './chunk.js';
export { transcribe, type TranscribeOptions, type RetryOptions } from './transcribe.js';
export { bargeIn, type BargeInOptions, type BargeInPolicy } from './bargeIn.js';
export { llmStream, type LlmStreamOptions } from './llmStream.js';
export { realtime, type RealtimeOptions, type RealtimeTool, type RealtimeBargeIn } from './realtime.js';
export { sentences, type SentencesOptions } from './sentences.js';
export { tts, DEFAULT_TTS_MODEL, type TtsOptions, type TtsMode } from './tts.js';
export { turnMetrics, type TurnMetricsOptions } from './metrics.js';
export { costMeter, type CostMeterOptions } from './costMeter.js';
export { turnLog, type TurnLogOptions, type TurnLogRecord } from '../src/turnlog.js';
export { spokenFallback, DEFAULT_FALLBACK_TEXT, type SpokenFallbackOptions } from './spokenFallback.js';
export { collectDigits, MAX_DIGITS, type CollectDigitsOptions, type DigitsEntry, type DigitsEndReason } from './collectDigits.js';
export { idlePrompt, DEFAULT_IDLE_PROMPT, DEFAULT_IDLE_HANGUP, type IdlePromptOptions } from './idlePrompt.js';
export { slowToolFiller, DEFAULT_FILLER_TEXT, DEFAULT_SLOW_TOOL_MS, type SlowToolFillerOptions } from './slowToolFiller.js';
export { speakable, type SpeakableOptions } from './speakable.js';
export { heardOriginal } from './heardOriginal.js';
export { backgroundAudio, BACKGROUND_TURN_ID, MAX_LOOP_SECONDS, type BackgroundAudioOptions, type LoopSound } from './backgroundAudio.js';
