import { asyncScheduler, defer, identity, map, Subject, tap, type OperatorFunction } from 'rxjs';
import { turnMetrics } from '../operators/metrics.js';
import { realtime, type RealtimeOptions } from '../operators/realtime.js';
import { resampleAssistantAudio } from '../operators/resampleAssistantAudio.js';
import { sentences } from '../operators/sentences.js';
import { spokenFallback } from '../operators/spokenFallback.js';
import { tts } from '../operators/tts.js';
import { turnDetector } from '../operators/turnDetector.js';
import { vad } from '../operators/vad.js';
import { PCM16_16K } from '../src/audio/format.js';
import type { AudioFrame } from '../src/audio/frame.js';
import { modelOfProvider } from '../src/cost/price.js';
import type { InterruptionEvent, PipelineEvent } from '../src/events.js';
import { PlaybackClock } from '../src/playback.js';
import { DEFAULT_MODEL_VOICE, DEFAULT_REALTIME_TRANSCRIPTION_MODEL, realtimeProviders } from '../src/providers/defaults.js';
import type { RealtimeTurnDetection } from '../src/providers/realtime-types.js';
import { turnDetection as turnDetectionSettings, type TurnDetectionOption } from '../src/turn/option.js';
import type { EndOfTurnRequest } from '../src/turn/types.js';
import { afterSpeech, beforeSpeech, mixBackground, ttsBehaviour } from '../src/behaviours.js';
import { bargeInSettings, costStage, DEFAULT_PAUSE_MS, DEFAULT_SYSTEM_PROMPT, fallbackOptions, voiceOf } from './options.js';
import type { RealtimePipelineOptions, RealtimeTtsChoice } from './realtimeOptions.js';

export type { RealtimeBargeInOptions, RealtimePipelineOptions, RealtimeTtsChoice } from './realtimeOptions.js';
export type { RealtimeModels, RealtimeProviderOptions, RealtimeProviders } from '../src/providers/defaults.js';

/**
 * The realtime voice agent: caller audio frames in, pipeline events out. Swapping `cascaded(options)` for
 * `realtimePipeline(options)` keeps the same options, events, metrics and barge-in behaviour.
 *
 * ```
 * frames ─► vad* ─► realtime ─► turnDetector*** ─► sentences** ─► tts** ─► (interruptions back to realtime) ─► turnMetrics
 *   * turnDetection 'local' (default)   ** tts 'streamed': sentences + streamed tts; 'final': whole-text tts;
 *                                          'model': neither, the model's audio is resampled to outputFormat
 *   *** local turns with preemptive replies (default): reads the pause's commit transcript, its verdict goes to the vad
 * ```
 */
export function realtimePipeline(options: RealtimePipelineOptions = {}): OperatorFunction<AudioFrame, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const choice: RealtimeTtsChoice = options.tts ?? (options.mode === 'seed' ? 'final' : 'streamed');
  const providers = realtimeProviders(options.providers, { ...options, needsSynthesizer: choice !== 'model' });
  const turns = turnsOf(options.turnDetection);
  const turnDetection = turns.server;
  const local = turnDetection.type === 'none';
  const preemptive = options.preemptive ?? true;
  const detection = local && preemptive !== false ? turnDetectionSettings(turns.local) : undefined;
  return (frames) =>
    defer(() => {
      const playback = options.playback ?? new PlaybackClock(scheduler);
      const interruptions = new Subject<InterruptionEvent>();
      const pauseMs = preemptive === false ? 0 : ((preemptive === true ? undefined : preemptive.pauseMs) ?? DEFAULT_PAUSE_MS);
      const endOfTurn = new Subject<EndOfTurnRequest>();
      const input = local
        ? vad({ pauseMs, ...options.vad, ...(detection ? { endOfTurn } : {}) })
        : map((frame: AudioFrame): PipelineEvent => ({ type: 'audio.in', frame }));
      // The session transcribes asynchronously with the reply, so the text may come after the reply is
      // ready: from then on, without a verdict, the vad's own silence ends the turn (at once if it has passed).
      const replyReady = new Subject<string>();
      const detect = detection ? turnDetector({ ...detection, requests: endOfTurn, replyReady, scheduler }) : identity;
      const speech: OperatorFunction<PipelineEvent, PipelineEvent> =
        choice === 'model'
          ? resampleAssistantAudio((options.outputFormat ?? PCM16_16K).sampleRate)
          : (source) =>
              source.pipe(
                choice === 'streamed' ? sentences(options.sentences) : identity,
                options.fallbackSpeech ? spokenFallback(fallbackOptions(options.fallbackSpeech)) : identity,
                beforeSpeech(options, { playback, scheduler }),
                tts({
                  ...ttsBehaviour(options),
                  synthesizer: providers.synthesizer,
                  ...voiceOf(options),
                  mode: choice === 'streamed' ? 'streamed' : 'whole',
                  playback,
                  scheduler,
                }),
                afterSpeech(options),
              );
      return frames.pipe(
        input,
        realtime({
          session: providers.realtime,
          instructions: options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT,
          output: choice === 'model' ? 'audio' : 'text',
          inputFormat: options.inputFormat ?? 'pcm16',
          ...(choice === 'model' ? { voice: options.modelVoice ?? DEFAULT_MODEL_VOICE } : {}),
          ...(options.models?.transcribe !== undefined ? { transcriptionModel: options.models.transcribe } : {}),
          ...(options.language ? { language: options.language } : {}),
          turnDetection,
          preemptive: preemptive !== false,
          previewTranscripts: detection !== undefined,
          ...(detection ? { onReplyHeld: (turnId: string) => replyReady.next(turnId) } : {}),
          ...(options.tools ? { tools: options.tools } : {}),
          ...(options.batchMs ? { batchMs: options.batchMs } : {}),
          ...bargeInOf(options.bargeIn),
          ...(options.maxReconnects !== undefined ? { maxReconnects: options.maxReconnects } : {}),
          ...(options.renewAfterMs !== undefined ? { renewAfterMs: options.renewAfterMs } : {}),
          ...(options.stallTimeoutMs !== undefined ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
          ...(options.vad?.prePaddingMs !== undefined ? { prePaddingMs: options.vad.prePaddingMs } : {}),
          playback,
          interruptions,
          scheduler,
        }),
        detect,
        speech,
        // What the caller heard of a reply spoken by the TTS goes back to the session's history.
        tap((event) => {
          if (event.type === 'interruption' && choice !== 'model') interruptions.next(event);
        }),
        turnMetrics({ scheduler }),
        costStage(options.cost, {
          reply: modelOfProvider(providers.realtime.name),
          // The session's input transcription bills the caller's audio; the model's own voice is in its tokens.
          ...(options.models?.transcribe === false ? {} : { transcribe: options.models?.transcribe ?? DEFAULT_REALTIME_TRANSCRIPTION_MODEL }),
          ...(choice === 'model' ? {} : { tts: modelOfProvider(providers.synthesizer.name) }),
        }),
        mixBackground(options, scheduler, options.outputFormat),
      );
    });
}

function bargeInOf(choice: RealtimePipelineOptions['bargeIn']): Pick<RealtimeOptions, 'bargeIn' | 'halfDuplex' | 'echoGuardMs'> {
  const barge = bargeInSettings(choice);
  return {
    ...(barge.policy !== undefined ? { bargeIn: barge.policy } : {}),
    ...(barge.halfDuplex !== undefined ? { halfDuplex: barge.halfDuplex } : {}),
    ...(barge.echoGuardMs !== undefined ? { echoGuardMs: barge.echoGuardMs } : {}),
  };
}

type TurnDetectionChoice = RealtimePipelineOptions['turnDetection'];

function isServerTurns(option: TurnDetectionChoice): option is RealtimeTurnDetection {
  return typeof option === 'object' && 'type' in option;
}

/** The session's turn detection (`none` when the local vad decides turns) and the local detector's option. */
function turnsOf(option: TurnDetectionChoice): { server: RealtimeTurnDetection; local?: TurnDetectionOption } {
  if (option === 'server_vad' || option === 'semantic_vad') return { server: { type: option } };
  if (isServerTurns(option)) return { server: option };
  // Local turns: the turn detector's option, in `cascaded()`'s shape ('local' and undefined: its defaults).
  return option === undefined || option === 'local' ? { server: { type: 'none' } } : { server: { type: 'none' }, local: option };
}
