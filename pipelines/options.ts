import { identity, type MonoTypeOperatorFunction } from 'rxjs';
import type { BargeInPolicy } from '../operators/bargeIn.js';
import { costMeter } from '../operators/costMeter.js';
import type { SpokenFallbackOptions } from '../operators/spokenFallback.js';
import type { TtsOptions } from '../operators/tts.js';
import type { AudioFormat } from '../src/audio/format.js';
import type { CostOptions, TurnModels } from '../src/cost/price.js';
import { DEFAULT_PRICES } from '../src/cost/prices.js';
import type { PipelineEvent } from '../src/events.js';
import type { VoiceStyle } from '../src/providers/types.js';

/** The pipelines' full barge-in options. */
export interface BargeInSettings {
  /** Default `{}`: any caller speech during a reply cuts it. `false`: never. */
  readonly policy?: BargeInPolicy;
  /** Ignore caller utterances that start while the assistant speaks. */
  readonly halfDuplex?: boolean;
  /** Ignore caller utterances that start within this many ms after the reply's audio started (echo). */
  readonly echoGuardMs?: number;
  /** After a false interruption, speak the rest of the reply (cascaded only; the realtime chain ignores it). */
  readonly resume?: boolean;
}

/**
 * The pipelines' `bargeIn` option: `false` turns it off; a policy (`{ minSpeechMs, minWords }`) sets the
 * thresholds; `BargeInSettings` adds half duplex, an echo guard and resume. Omitted: defaults.
 */
export type BargeInChoice = BargeInPolicy | BargeInSettings;

/** Any form of the `bargeIn` option as settings; the one place both pipelines read it. */
export function bargeInSettings(choice: BargeInChoice | undefined): BargeInSettings {
  if (choice === undefined) return {};
  if (choice === false) return { policy: false };
  const isSettings = 'policy' in choice || 'halfDuplex' in choice || 'echoGuardMs' in choice || 'resume' in choice;
  return isSettings ? (choice as BargeInSettings) : { policy: choice as BargeInPolicy };
}

/** The pipelines' `fallbackSpeech` option as `spokenFallback` options. */
export function fallbackOptions(choice: true | string | SpokenFallbackOptions): SpokenFallbackOptions {
  if (choice === true) return {};
  return typeof choice === 'string' ? { text: choice } : choice;
}

export const DEFAULT_SYSTEM_PROMPT =
  'You are a helpful voice assistant on a phone call. Answer in one to three short spoken sentences, without lists or markdown.';

/**
 * The pause that starts a preemptive request: long enough to skip the gaps between words. Six of Silero's
 * 32 ms windows: the vad decides on window ends, so 200 meant seven windows (224 ms) in practice.
 */
export const DEFAULT_PAUSE_MS = 192;

/** How both pipelines speak a reply: the options they pass to `tts` unchanged. */
export interface VoiceOptions {
  /** The text-to-speech provider's voice id; default: the synthesizer's own default voice. */
  readonly voice?: string;
  readonly voiceStyle?: VoiceStyle;
  /** ISO-639-1 hint for the transcription and the voice; omitted: auto-detect. */
  readonly language?: string;
  /** Reply audio format; default PCM16 at 16 kHz (`{ encoding: 'mulaw', sampleRate: 8000 }` for telephony: frames are decoded PCM16 at 8 kHz). */
  readonly outputFormat?: AudioFormat;
  /** Frame length of reply audio; default 20 ms. */
  readonly frameMs?: number;
}

/** The `tts` options a pipeline's `VoiceOptions` set. */
export function voiceOf(options: VoiceOptions): Pick<TtsOptions, 'voiceId' | 'voiceStyle' | 'language' | 'outputFormat' | 'frameMs'> {
  return {
    ...(options.voice ? { voiceId: options.voice } : {}),
    ...(options.voiceStyle ? { voiceStyle: options.voiceStyle } : {}),
    ...(options.language ? { language: options.language } : {}),
    ...(options.outputFormat ? { outputFormat: options.outputFormat } : {}),
    ...(options.frameMs ? { frameMs: options.frameMs } : {}),
  };
}

/** The `cost` option as the chain's last stage: `costMeter` with the stages' models, or nothing (`false`). */
export function costStage(cost: CostOptions | false | undefined, models: TurnModels): MonoTypeOperatorFunction<PipelineEvent> {
  if (cost === false) return identity;
  return costMeter({ prices: cost?.prices ?? DEFAULT_PRICES, models: { ...models, ...cost?.models } });
}
