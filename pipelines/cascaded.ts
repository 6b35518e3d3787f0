import { asyncScheduler, connect, defer, endWith, identity, ignoreElements, merge, Subject, tap, takeUntil, type MonoTypeOperatorFunction, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { bargeIn } from '../operators/bargeIn.js';
import { chunk } from '../operators/chunk.js';
import { collectDigits } from '../operators/collectDigits.js';
import { llmStream } from '../operators/llmStream.js';
import { turnMetrics } from '../operators/metrics.js';
import { sentences } from '../operators/sentences.js';
import { spokenFallback } from '../operators/spokenFallback.js';
import { transcribe } from '../operators/transcribe.js';
import { tts } from '../operators/tts.js';
import { turnDetector } from '../operators/turnDetector.js';
import { vad } from '../operators/vad.js';
import type { AudioFrame } from '../src/audio/frame.js';
import { Conversation } from '../src/conversation.js';
import { modelOfProvider } from '../src/cost/price.js';
import type { PipelineEvent } from '../src/events.js';
import { PlaybackClock } from '../src/playback.js';
import { afterSpeech, beforeReply, beforeSpeech, mixBackground, ttsBehaviour } from '../src/behaviours.js';
import { turnDetection } from '../src/turn/option.js';
import type { EndOfTurnRequest } from '../src/turn/types.js';
import { cascadedProviders } from '../src/providers/defaults.js';
import type { CascadedOptions } from './cascadedOptions.js';
import { bargeInSettings, costStage, DEFAULT_PAUSE_MS, DEFAULT_SYSTEM_PROMPT, fallbackOptions, voiceOf } from './options.js';

export type { CascadedOptions } from './cascadedOptions.js';
export type { CascadedMode, CascadedModels, CascadedProviderOptions, CascadedProviders } from '../src/providers/defaults.js';
export { DEFAULT_PAUSE_MS, DEFAULT_SYSTEM_PROMPT } from './options.js';

/** Merges the key presses into the chain (until the chain itself ends) and collects them into entries. */
function withKeypad(keypad: NonNullable<CascadedOptions['keypad']>, scheduler: SchedulerLike): MonoTypeOperatorFunction<PipelineEvent> {
  const { dtmf, ...collect } = keypad;
  return (events) =>
    events.pipe(
      connect((shared) => merge(shared, dtmf.pipe(takeUntil(shared.pipe(ignoreElements(), endWith(true)))))),
      collectDigits({ scheduler, ...collect }),
    );
}

/**
 * The cascaded voice agent: caller audio frames in, pipeline events out (reply audio among them).
 *
 * ```
 * frames ─► vad ─► chunk ─► transcribe ─► turnDetector ─► bargeIn ─► llmStream ─► sentences* ─► tts ─► (cut history) ─► turnMetrics
 *                                                              * streaming mode only; seed mode: tts speaks the whole text
 * ```
 * Each subscription is one call with its own conversation and playback clock (unless given). Barge-in:
 * caller speech during a reply emits `reply.cancel`, which aborts the chat request and the synthesis; the
 * `interruption` that `tts` reports cuts the conversation to what the caller heard.
 */
export function cascaded(options: CascadedOptions = {}): OperatorFunction<AudioFrame, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const mode = options.mode ?? 'streaming';
  const providers = cascadedProviders(options.providers, options);
  return (frames) =>
    defer(() => {
      const conversation = options.conversation ?? new Conversation({ systemPrompt: options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT });
      const playback = options.playback ?? new PlaybackClock(scheduler);
      const barge = bargeInSettings(options.bargeIn);
      const policy = barge.policy;
      const wantsPartials = policy !== undefined && policy !== false && (policy.minWords ?? 0) > 0;
      const preemptive = options.preemptive ?? true;
      const pauseMs = preemptive === false ? 0 : ((preemptive === true ? undefined : preemptive.pauseMs) ?? DEFAULT_PAUSE_MS);
      const detection = preemptive === false ? undefined : turnDetection(options.turnDetection);
      const endOfTurn = new Subject<EndOfTurnRequest>();
      return frames.pipe(
        vad({ pauseMs, ...options.vad, ...(detection ? { endOfTurn } : {}) }),
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
        detection ? turnDetector({ ...detection, requests: endOfTurn, scheduler }) : identity,
        bargeIn({ ...barge, playback, scheduler }),
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
          ...voiceOf(options),
          mode: mode === 'streaming' ? 'streamed' : 'whole',
          // Connect the stream-input socket while the model thinks.
          ...(mode === 'streaming' ? { openEarly: true } : {}),
          playback,
          scheduler,
        }),
        afterSpeech(options),
        tap((event) => {
          if (event.type === 'interruption') conversation.truncateAssistant(event.turnId, event.heardText);
        }),
        turnMetrics({ scheduler }),
        costStage(options.cost, {
          transcribe: modelOfProvider(providers.transcriber.name),
          reply: modelOfProvider(providers.chatModel.name),
          tts: modelOfProvider(providers.synthesizer.name),
        }),
        mixBackground(options, scheduler, options.outputFormat),
      );
    });
}
