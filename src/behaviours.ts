import type { AudioFormat } from './audio/format.js';
import { identity, pipe, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { backgroundAudio, type BackgroundAudioOptions } from '../operators/backgroundAudio.js';
import { heardOriginal } from '../operators/heardOriginal.js';
import { idlePrompt, type IdlePromptOptions } from '../operators/idlePrompt.js';
import { slowToolFiller, type SlowToolFillerOptions } from '../operators/slowToolFiller.js';
import { speakable, type SpeakableOptions } from '../operators/speakable.js';
import { turnLanguage } from '../operators/turnLanguage.js';
import { isSampleRate, type SampleRate } from './audio/frame.js';
import type { Conversation } from './conversation.js';
import type { PipelineEvent } from './events.js';
import type { PlaybackClock } from './playback.js';

/**
 * How the agent behaves around the turns, the same options on `cascaded()` and `realtimePipeline()`.
 * All are off by default (each one adds speech or sound the caller did not ask for); docs/behaviours.md.
 */
export interface BehaviourOptions {
  /** Ask "Are you still there?" after a silence, and optionally hang up politely. `true`: the defaults (8 s, no hang-up). */
  readonly idle?: boolean | Omit<IdlePromptOptions, 'playback' | 'scheduler'>;
  /** A short spoken filler when a tool is slow (default threshold 1 s). `true`: the defaults. Needs streamed speech. */
  readonly slowTools?: boolean | Omit<SlowToolFillerOptions, 'conversation' | 'scheduler'>;
  /**
   * Numbers, money, dates... rewritten into words before the text-to-speech: `true` the built-in rules
   * (en, fr, de, es), options to plug in a normaliser or fix the language, `'provider'` the synthesizer's
   * own normalisation (ElevenLabs `apply_text_normalization: on`). The history keeps the model's text.
   */
  readonly speakable?: boolean | 'provider' | SpeakableOptions;
  /** Ambience or hold sound under the reply audio (and in silence), a thinking sound while a tool is slow. */
  readonly background?: Omit<BackgroundAudioOptions, 'scheduler' | 'sampleRate'>;
  /**
   * Follow a caller who switches language mid-call: each turn's language is detected from its transcript,
   * the chat model is told to answer in it (cascaded: a note in the system prompt), and the TTS speaks the
   * reply with that language code and, from `voices`, that language's voice.
   */
  readonly followLanguage?: boolean | { readonly voices?: Readonly<Record<string, string>> };
}

export interface BehaviourContext {
  readonly playback: PlaybackClock;
  readonly scheduler: SchedulerLike;
  /** The history `llmStream` writes (cascaded); without it a filler never enters the history. */
  readonly conversation?: Conversation;
}

/** The operators that go right before `tts`: idle prompts, slow-tool fillers, speakable text. */
export function beforeSpeech(options: BehaviourOptions, context: BehaviourContext): MonoTypeOperatorFunction<PipelineEvent> {
  const { playback, scheduler, conversation } = context;
  const idle = options.idle === true ? {} : options.idle || undefined;
  const slow = options.slowTools === true ? {} : options.slowTools || undefined;
  const words = options.speakable === true ? {} : options.speakable === 'provider' ? undefined : options.speakable || undefined;
  return pipe(
    // The realtime chain's transcripts come from the session: detected here, where the TTS can use them.
    options.followLanguage && !conversation ? turnLanguage() : identity,
    idle ? idlePrompt({ ...idle, playback, scheduler }) : identity,
    slow ? slowToolFiller({ ...slow, ...(conversation ? { conversation } : {}), scheduler }) : identity,
    words ? speakable(words) : identity,
  );
}

/** Before `llmStream` (cascaded): each turn's language, and the note that makes the model answer in it. */
export function beforeReply(options: BehaviourOptions, conversation: Conversation): MonoTypeOperatorFunction<PipelineEvent> {
  return options.followLanguage ? turnLanguage({ conversation }) : identity;
}

/** Right after `tts`: what was heard, put back into the model's words (only when speakable text is on). */
export function afterSpeech(options: BehaviourOptions): MonoTypeOperatorFunction<PipelineEvent> {
  return options.speakable && options.speakable !== 'provider' ? heardOriginal() : identity;
}

/** The `tts` options the behaviours set: the provider's own normalisation, the per-turn language and voice. */
export function ttsBehaviour(options: BehaviourOptions): { normalizeText?: boolean; followLanguage?: boolean; voices?: Readonly<Record<string, string>> } {
  const voices = typeof options.followLanguage === 'object' ? options.followLanguage.voices : undefined;
  return {
    ...(options.speakable === 'provider' ? { normalizeText: true } : {}),
    ...(options.followLanguage ? { followLanguage: true } : {}),
    ...(voices ? { voices } : {}),
  };
}

/** Last in the chain: the background mixer, at the reply audio's sample rate. */
export function mixBackground(options: BehaviourOptions, scheduler: SchedulerLike, outputFormat: AudioFormat | undefined): MonoTypeOperatorFunction<PipelineEvent> {
  if (!options.background) return identity;
  const rate = outputFormat?.sampleRate ?? 16000;
  return backgroundAudio({ ...options.background, sampleRate: (isSampleRate(rate) ? rate : 16000) as SampleRate, scheduler });
}
