import { asyncScheduler, connect, defer, endWith, identity, ignoreElements, merge, tap, takeUntil, type Observable, type MonoTypeOperatorFunction, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { bargeIn, type BargeInOptions, type BargeInPolicy } from '../operators/bargeIn.js';
import { chunk, type ChunkOptions } from '../operators/chunk.js';
import { costMeter } from '../operators/costMeter.js';
import { collectDigits, type CollectDigitsOptions } from '../operators/collectDigits.js';
import { llmStream } from '../operators/llmStream.js';
import { turnMetrics } from '../operators/metrics.js';
import { sentences, type SentencesOptions } from '../operators/sentences.js';
import { spokenFallback, type SpokenFallbackOptions } from '../operators/spokenFallback.js';
import { transcribe, type RetryOptions } from '../operators/transcribe.js';
import { DEFAULT_TTS_MODEL, tts } from '../operators/tts.js';
import { vad, type VadOptions } from '../operators/vad.js';
import type { AudioFrame } from '../src/audio/frame.js';
import { Conversation } from '../src/conversation.js';
import { modelOfProvider, type CostOptions } from '../src/cost/price.js';
import { DEFAULT_PRICES } from '../src/cost/prices.js';
import type { DtmfEvent, PipelineEvent } from '../src/events.js';
import { PlaybackClock } from '../src/playback.js';
import { resolveEndpoints, type ProviderEndpoints } from '../src/providers/env.js';
import { createElevenLabsSynthesizer } from '../src/providers/elevenlabs/index.js';
import { createOpenAIChatModel } from '../src/providers/openai/chat.js';
import { createOpenAITranscriber, type TranscriptionModel } from '../src/providers/openai/transcriber.js';
import type { ChatModel, Synthesizer, Transcriber, TtsOutputFormat, VoiceSettings } from '../src/providers/types.js';
import type { ToolDefinition } from '../src/tools.js';
import { afterSpeech, beforeReply, beforeSpeech, mixBackground, ttsBehaviour, type BehaviourOptions } from '../src/behaviours.js';

/**
 * `streaming` (default): nothing waits that could stream. The upload streams while the caller speaks,
 * the reply streams from the model, is cut into sentences (the first may end at a clause) and each goes
 * to the text-to-speech as soon as it is complete, over one stream-input socket per reply.
 * `seed`: the chain as first described: chunked upload, full transcript at the end, SSE chat, and the
 * WHOLE reply text to the text-to-speech after the model is done (tts `whole` mode).
 */
export type CascadedMode = 'streaming' | 'seed';

export interface CascadedProviders {
  readonly transcriber: Transcriber;
  readonly chatModel: ChatModel;
  readonly synthesizer: Synthesizer;
}

export interface CascadedModels {
  /** Default `gpt-4o-transcribe` (`gpt-4o-mini-transcribe`, `whisper-1`). On Azure the deployment decides. */
  readonly transcribe?: TranscriptionModel;
  /** Default `gpt-4o-mini`. On Azure the deployment decides. */
  readonly chat?: string;
  /** Default `eleven_flash_v2_5`. */
  readonly tts?: string;
}

export interface CascadedProviderOptions {
  readonly models?: CascadedModels;
  /** `streamed` (default): chunked upload while the caller speaks; `buffered`: one upload with a Content-Length at the end. */
  readonly upload?: 'streamed' | 'buffered';
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Names the call for the sandbox (`x-rxvoice-call`), so its scenario advances per call. */
  readonly callId?: string;
  /** A stream quiet this long is a `timeout` error (defaults: chat 20 s, transcription 30 s after the upload). */
  readonly stallTimeoutMs?: { readonly chat?: number; readonly transcribe?: number };
  /**
   * `streaming` (default) or `seed` (each reply spoken once its text is complete, over REST: the TTS client
   * is then loaded when the providers are built).
   */
  readonly mode?: CascadedMode;
}

export interface CascadedOptions extends CascadedProviderOptions, BehaviourOptions {
  /** Ready-made providers (e.g. from `createCascadedProviders`, or fakes); any missing one is built from `endpoints`. */
  readonly providers?: Partial<CascadedProviders>;
  /** Where providers live; default `resolveEndpoints(process.env, sandboxURL)` (real keys win, else the sandbox). */
  readonly endpoints?: ProviderEndpoints;
  readonly sandboxURL?: string;
  /** ElevenLabs voice id. */
  readonly voice?: string;
  readonly voiceSettings?: VoiceSettings;
  readonly systemPrompt?: string;
  readonly tools?: readonly ToolDefinition[];
  /** ISO-639-1 hint for the transcription and the voice; omitted: auto-detect. */
  readonly language?: string;
  /** Prompt for the transcription model (names, jargon). */
  readonly transcriptionPrompt?: string;
  /** Reply audio format; default `pcm_16000` (`ulaw_8000` for telephony: frames are decoded PCM16 at 8 kHz). */
  readonly outputFormat?: TtsOutputFormat;
  /** Barge-in: `false` turns it off; a policy object sets the thresholds; default: any speech during a reply cuts it. */
  readonly bargeIn?: BargeInPolicy | Omit<BargeInOptions, 'playback' | 'scheduler'>;
  readonly vad?: VadOptions;
  /**
   * Preemptive transcription (default on): at a short pause (`pauseMs`, default 200) the upload ends, so
   * the transcript is ready about when the turn ends; speech after the pause drops that request and sends
   * the whole utterance again. `false`: the transcription waits for the end of the turn, as originally.
   */
  readonly preemptive?: boolean | { readonly pauseMs?: number };
  readonly chunk?: ChunkOptions;
  readonly sentences?: SentencesOptions;
  /** The history; default a new one per subscription with `systemPrompt`. Interruptions cut it to what was heard. */
  readonly conversation?: Conversation;
  /** Where reply audio is recorded and the sink reports what was played; default one per subscription. */
  readonly playback?: PlaybackClock;
  /** Retries for transcription and chat requests (429/5xx/resets). */
  readonly retry?: RetryOptions | false;
  /** Frame length of reply audio; default 20 ms. */
  readonly frameMs?: number;
  readonly scheduler?: SchedulerLike;
  /**
   * Say something when a turn fails before the assistant spoke (transcription lost, model failed after its
   * retries): `true` says "Sorry, could you say that again?", a string or options say what you choose.
   * Off by default: the `error` event alone reports the failure.
   */
  readonly fallbackSpeech?: boolean | string | SpokenFallbackOptions;
  /** A `cost` event per turn (usage and US dollars); default on with `DEFAULT_PRICES`; `false`: none. */
  readonly cost?: CostOptions | false;
  /**
   * Keypad input on phone calls: the caller's key presses (the server's `choice.dtmf`), collected into
   * entries by `collectDigits` and handed to the model as user messages (or to `onEntry`).
   */
  readonly keypad?: CollectDigitsOptions & { readonly dtmf: Observable<DtmfEvent> };
}

/** Merges the key presses into the chain (until the chain itself ends) and collects them into entries. */
function withKeypad(keypad: NonNullable<CascadedOptions['keypad']>, scheduler: SchedulerLike): MonoTypeOperatorFunction<PipelineEvent> {
  const { dtmf, ...collect } = keypad;
  return (events) =>
    events.pipe(
      connect((shared) => merge(shared, dtmf.pipe(takeUntil(shared.pipe(ignoreElements(), endWith(true)))))),
      collectDigits({ scheduler, ...collect }),
    );
}

/** The `fallbackSpeech` option as `spokenFallback` options. */
export function fallbackOptions(choice: true | string | SpokenFallbackOptions): SpokenFallbackOptions {
  if (choice === true) return {};
  return typeof choice === 'string' ? { text: choice } : choice;
}

export const DEFAULT_VOICE = 'JBFqnCBsd6RMkjVDRZzb';
export const DEFAULT_SYSTEM_PROMPT =
  'You are a helpful voice assistant on a phone call. Answer in one to three short spoken sentences, without lists or markdown.';

/** Builds the three providers once (the CLI and server share them across calls). */
export function createCascadedProviders(endpoints: ProviderEndpoints, options: CascadedProviderOptions = {}): CascadedProviders {
  const headers = options.callId ? { 'x-rxvoice-call': options.callId } : undefined;
  return {
    transcriber: createOpenAITranscriber({
      endpoint: endpoints.openai,
      ...(options.models?.transcribe ? { model: options.models.transcribe } : {}),
      upload: options.upload ?? 'streamed',
      ...(headers ? { headers } : {}),
      ...(options.stallTimeoutMs?.transcribe === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs.transcribe }),
    }),
    chatModel: createOpenAIChatModel({
      endpoint: endpoints.openai,
      ...(options.models?.chat ? { model: options.models.chat } : {}),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
      ...(headers ? { headers } : {}),
      ...(options.stallTimeoutMs?.chat === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs.chat }),
    }),
    synthesizer: createElevenLabsSynthesizer({ endpoint: endpoints.elevenlabs, preloadRest: options.mode === 'seed' }),
  };
}

/**
 * The cascaded voice agent: caller audio frames in, pipeline events out (reply audio among them).
 *
 * ```
 * frames ─► vad ─► chunk ─► transcribe ─► bargeIn ─► llmStream ─► sentences* ─► tts ─► (cut history) ─► turnMetrics
 *                                                              * streaming mode only; seed mode: tts speaks the whole text
 * ```
 * Each subscription is one call with its own conversation and playback clock (unless given). Barge-in:
 * caller speech during a reply emits `reply.cancel`, which aborts the chat request and the synthesis; the
 * `interruption` that `tts` reports cuts the conversation to what the caller heard.
 */
export function cascaded(options: CascadedOptions = {}): OperatorFunction<AudioFrame, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const mode = options.mode ?? 'streaming';
  const providers = resolveProviders(options);
  return (frames) =>
    defer(() => {
      const conversation = options.conversation ?? new Conversation({ systemPrompt: options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT });
      const playback = options.playback ?? new PlaybackClock(scheduler);
      const bargeOptions = bargeInOptions(options.bargeIn, playback, scheduler);
      const policy = bargeOptions.policy;
      const wantsPartials = policy !== undefined && policy !== false && (policy.minWords ?? 0) > 0;
      const preemptive = options.preemptive ?? true;
      const pauseMs = preemptive === false ? 0 : ((preemptive === true ? undefined : preemptive.pauseMs) ?? DEFAULT_PAUSE_MS);
      return frames.pipe(
        vad({ pauseMs, ...options.vad }),
        chunk(options.chunk),
        transcribe({
          transcriber: providers.transcriber,
          preemptive: preemptive !== false,
          ...(options.language ? { language: options.language } : {}),
          ...(options.transcriptionPrompt ? { prompt: options.transcriptionPrompt } : {}),
          // Partial transcripts only help when barge-in counts words.
          ...(wantsPartials ? { stream: true } : {}),
          ...(options.retry === undefined ? {} : { retry: options.retry }),
          scheduler,
        }),
        bargeIn(bargeOptions),
        options.keypad ? withKeypad(options.keypad, scheduler) : identity,
        beforeReply(options, conversation),
        llmStream({
          chatModel: providers.chatModel,
          conversation,
          ...(options.tools ? { tools: options.tools } : {}),
          ...(options.retry === undefined ? {} : { retry: options.retry }),
          scheduler,
        }),
        mode === 'streaming' ? sentences(options.sentences) : identity,
      ).pipe(
        options.fallbackSpeech ? spokenFallback(fallbackOptions(options.fallbackSpeech)) : identity,
        beforeSpeech(options, { playback, scheduler, conversation }),
        tts({
          ...ttsBehaviour(options),
          synthesizer: providers.synthesizer,
          voiceId: options.voice ?? DEFAULT_VOICE,
          ...(options.models?.tts ? { modelId: options.models.tts } : {}),
          outputFormat: options.outputFormat ?? 'pcm_16000',
          ...(options.language ? { language: options.language } : {}),
          ...(options.voiceSettings ? { voiceSettings: options.voiceSettings } : {}),
          mode: mode === 'streaming' ? 'streamed' : 'whole',
          ...(options.frameMs ? { frameMs: options.frameMs } : {}),
          playback,
          scheduler,
        }),
        afterSpeech(options),
        tap((event) => {
          if (event.type === 'interruption') conversation.truncateAssistant(event.turnId, event.heardText);
        }),
        turnMetrics({ scheduler }),
        options.cost === false
          ? identity
          : costMeter({
              prices: options.cost?.prices ?? DEFAULT_PRICES,
              models: {
                transcribe: modelOfProvider(providers.transcriber.name),
                reply: modelOfProvider(providers.chatModel.name),
                tts: options.models?.tts ?? DEFAULT_TTS_MODEL,
                ...options.cost?.models,
              },
            }),
        mixBackground(options, scheduler, options.outputFormat ?? 'pcm_16000'),
      );
    });
}

/** The pause that starts a preemptive request: long enough to skip the gaps between words. */
export const DEFAULT_PAUSE_MS = 200;

function bargeInOptions(
  barge: CascadedOptions['bargeIn'],
  playback: PlaybackClock,
  scheduler: SchedulerLike,
): BargeInOptions {
  if (barge === undefined) return { playback, scheduler };
  if (barge === false) return { playback, scheduler, policy: false };
  const isFullOptions = 'policy' in barge || 'halfDuplex' in barge || 'echoGuardMs' in barge || 'resume' in barge;
  return isFullOptions
    ? { ...(barge as Omit<BargeInOptions, 'playback' | 'scheduler'>), playback, scheduler }
    : { playback, scheduler, policy: barge as BargeInPolicy };
}

function resolveProviders(options: CascadedOptions): CascadedProviders {
  const given = options.providers ?? {};
  if (given.transcriber && given.chatModel && given.synthesizer) return given as CascadedProviders;
  const endpoints = options.endpoints ?? resolveEndpoints(process.env, options.sandboxURL);
  const built = createCascadedProviders(endpoints, options);
  return {
    transcriber: given.transcriber ?? built.transcriber,
    chatModel: given.chatModel ?? built.chatModel,
    synthesizer: given.synthesizer ?? built.synthesizer,
  };
}
