import { asyncScheduler, defer, identity, map, Subject, tap, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { costMeter } from '../operators/costMeter.js';
import { turnMetrics } from '../operators/metrics.js';
import { realtime, type RealtimeBargeIn, type RealtimeOptions, type RealtimeTool } from '../operators/realtime.js';
import { sentences, type SentencesOptions } from '../operators/sentences.js';
import { DEFAULT_TTS_MODEL, tts } from '../operators/tts.js';
import { vad, type VadOptions } from '../operators/vad.js';
import type { AudioFrame, SampleRate } from '../src/audio/frame.js';
import { createResampler, type StreamingResampler } from '../src/audio/resample.js';
import type { InterruptionEvent, PipelineEvent } from '../src/events.js';
import { PlaybackClock } from '../src/playback.js';
import { modelOfProvider, type CostOptions } from '../src/cost/price.js';
import { DEFAULT_PRICES } from '../src/cost/prices.js';
import { createElevenLabsSynthesizer } from '../src/providers/elevenlabs/index.js';
import { resolveEndpoints, type ProviderEndpoints } from '../src/providers/env.js';
import { openaiRealtime } from '../src/providers/openai-realtime/session.js';
import type { RealtimeDialect } from '../src/providers/openai-realtime/wire.js';
import type { RealtimeAudioFormat, RealtimeSession, RealtimeTurnDetection } from '../src/providers/realtime-types.js';
import type { Synthesizer, TtsOutputFormat, VoiceSettings } from '../src/providers/types.js';
import { DEFAULT_PAUSE_MS, DEFAULT_SYSTEM_PROMPT, DEFAULT_VOICE, fallbackOptions, type CascadedMode } from './cascaded.js';
import { spokenFallback, type SpokenFallbackOptions } from '../operators/spokenFallback.js';

/**
 * Who speaks the reply: `final` (ElevenLabs speaks the whole text once the model is done: the seed),
 * `streamed` (the text is cut into sentences and streamed to ElevenLabs as it is generated), or `model`
 * (the realtime model's own audio is played).
 */
export type RealtimeTtsChoice = 'final' | 'streamed' | 'model';

export interface RealtimeProviders {
  readonly realtime: RealtimeSession;
  readonly synthesizer: Synthesizer;
}

export interface RealtimeModels {
  /** Default `gpt-realtime`; on Azure the realtime deployment. */
  readonly realtime?: string;
  /** Input transcription model (default `gpt-4o-mini-transcribe`; an Azure deployment on Azure); `false`: none. */
  readonly transcribe?: string | false;
  /** ElevenLabs model, default `eleven_flash_v2_5`. */
  readonly tts?: string;
}

export interface RealtimeProviderOptions {
  readonly models?: RealtimeModels;
  /** Names the call for the sandbox (`x-rxvoice-call`), so its scenario advances per call. */
  readonly callId?: string;
  /** `beta`: the retired beta protocol (Azure: the preview URL with `api-version`). Default `ga`. */
  readonly protocol?: RealtimeDialect;
  /** Extra query parameters on the realtime URL (e.g. the sandbox's `fault`). */
  readonly query?: Readonly<Record<string, string>>;
}

export interface RealtimePipelineOptions extends RealtimeProviderOptions {
  /** Ready-made providers (or fakes); a missing one is built from `endpoints`. */
  readonly providers?: Partial<RealtimeProviders>;
  /** Default `resolveEndpoints(process.env, sandboxURL)` (real keys win, else the sandbox). */
  readonly endpoints?: ProviderEndpoints;
  readonly sandboxURL?: string;
  /** Who speaks the reply; default from `mode`: `streaming` -> `streamed`, `seed` -> `final`. */
  readonly tts?: RealtimeTtsChoice;
  /** Same word as `cascaded()`'s: `streaming` (default) or `seed`. `tts` wins when both are given. */
  readonly mode?: CascadedMode;
  /** ElevenLabs voice id. */
  readonly voice?: string;
  readonly voiceSettings?: VoiceSettings;
  /** The realtime model's voice when it speaks itself (`tts: 'model'`); default `marin`. */
  readonly modelVoice?: string;
  /** Sent as the session's instructions. */
  readonly systemPrompt?: string;
  readonly tools?: readonly RealtimeTool[];
  readonly language?: string;
  /** Reply audio format; default `pcm_16000` (`ulaw_8000` for telephony: frames are decoded PCM16 at 8 kHz). */
  readonly outputFormat?: TtsOutputFormat;
  /**
   * `local` (default): the project's `vad` decides turns (same turn ids, metrics and barge-in timing as the
   * cascaded chain); the operator commits and asks for the reply. `server_vad` / `semantic_vad` (or a full
   * `RealtimeTurnDetection`): the server decides and the local vad is not run.
   */
  readonly turnDetection?: 'local' | 'server_vad' | 'semantic_vad' | RealtimeTurnDetection;
  /** Audio format on the wire: `pcm16` (24 kHz, default) or G.711 for telephony. */
  readonly inputFormat?: RealtimeAudioFormat;
  /** Audio per append, 20-100 ms; default 40. */
  readonly batchMs?: number;
  /**
   * Barge-in, as `cascaded`'s option: `false` turns it off; `{ minSpeechMs, minWords }` sets thresholds;
   * `{ policy, halfDuplex, echoGuardMs }` adds half duplex and an echo guard; default: any speech cuts the reply.
   */
  readonly bargeIn?: RealtimeBargeIn | RealtimeBargeInOptions;
  readonly vad?: VadOptions;
  /**
   * Preemptive replies with local turns (default on): at a short pause (`pauseMs`, default 200) the
   * operator commits and asks for the reply, held until the turn ends; speech after the pause removes it
   * from the session. `false`: the reply is asked for at the end of the turn, as originally.
   */
  readonly preemptive?: boolean | { readonly pauseMs?: number };
  readonly sentences?: SentencesOptions;
  /** Where reply audio is recorded and the sink reports what was played; default one per subscription. */
  readonly playback?: PlaybackClock;
  /** Reconnect attempts after an unexpected close; default 3. */
  readonly maxReconnects?: number;
  /** Fresh session at the first quiet moment after this long (before the provider's cap); default the cap less 5 min, 0: never. */
  readonly renewAfterMs?: number;
  /** A due reply with no server event for this long is asked again on a fresh session; default 15 s, 0: never. */
  readonly stallTimeoutMs?: number;
  /** Frame length of ElevenLabs reply audio; default 20 ms. */
  readonly frameMs?: number;
  readonly scheduler?: SchedulerLike;
  /** As `cascaded`'s: say something when a turn fails before a reply (not with `tts: 'model'`, which has no TTS). */
  readonly fallbackSpeech?: boolean | string | SpokenFallbackOptions;
  /** A `cost` event per turn (usage and US dollars); default on with `DEFAULT_PRICES`; `false`: none. */
  readonly cost?: CostOptions | false;
}

/** The `cascaded` pipeline's full barge-in options (`resume` is accepted and ignored: no false-interruption resume here). */
export interface RealtimeBargeInOptions {
  readonly policy?: RealtimeBargeIn;
  readonly halfDuplex?: boolean;
  readonly echoGuardMs?: number;
  readonly resume?: boolean;
}

/** Builds the providers once (the CLI and server share them across calls). */
export function createRealtimeProviders(endpoints: ProviderEndpoints, options: RealtimeProviderOptions = {}): RealtimeProviders {
  return {
    realtime: openaiRealtime({
      endpoint: endpoints.openai,
      ...(options.models?.realtime ? { model: options.models.realtime } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
      ...(options.query ? { query: options.query } : {}),
      ...(options.callId ? { callId: options.callId } : {}),
    }),
    synthesizer: createElevenLabsSynthesizer({ endpoint: endpoints.elevenlabs }),
  };
}

/**
 * The realtime voice agent: caller audio frames in, pipeline events out. Swapping `cascaded(options)` for
 * `realtimePipeline(options)` keeps the same options, events, metrics and barge-in behaviour.
 *
 * ```
 * frames ─► vad* ─► realtime ─► sentences** ─► tts** ─► (interruptions back to realtime) ─► turnMetrics
 *   * turnDetection 'local' (default)   ** tts 'streamed': sentences + streamed tts; 'final': whole-text tts;
 *                                          'model': neither, the model's audio is resampled to outputFormat
 * ```
 */
export function realtimePipeline(options: RealtimePipelineOptions = {}): OperatorFunction<AudioFrame, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const choice: RealtimeTtsChoice = options.tts ?? (options.mode === 'seed' ? 'final' : 'streamed');
  const providers = resolveProviders(options, choice);
  const outputFormat = options.outputFormat ?? 'pcm_16000';
  const turnDetection = turnDetectionOf(options.turnDetection);
  const local = turnDetection.type === 'none';
  return (frames) =>
    defer(() => {
      const playback = options.playback ?? new PlaybackClock(scheduler);
      const interruptions = new Subject<InterruptionEvent>();
      const preemptive = options.preemptive ?? true;
      const pauseMs = preemptive === false ? 0 : ((preemptive === true ? undefined : preemptive.pauseMs) ?? DEFAULT_PAUSE_MS);
      const input = local ? vad({ pauseMs, ...options.vad }) : map((frame: AudioFrame): PipelineEvent => ({ type: 'audio.in', frame }));
      const speech: OperatorFunction<PipelineEvent, PipelineEvent> =
        choice === 'model'
          ? resampleReplyAudio(rateOf(outputFormat))
          : (source) =>
              source.pipe(
                choice === 'streamed' ? sentences(options.sentences) : identity,
                options.fallbackSpeech ? spokenFallback(fallbackOptions(options.fallbackSpeech)) : identity,
                tts({
                  synthesizer: providers.synthesizer,
                  voiceId: options.voice ?? DEFAULT_VOICE,
                  ...(options.models?.tts ? { modelId: options.models.tts } : {}),
                  outputFormat,
                  ...(options.language ? { language: options.language } : {}),
                  ...(options.voiceSettings ? { voiceSettings: options.voiceSettings } : {}),
                  mode: choice === 'streamed' ? 'streamed' : 'whole',
                  ...(options.frameMs ? { frameMs: options.frameMs } : {}),
                  playback,
                  scheduler,
                }),
              );
      return frames.pipe(
        input,
        realtime({
          session: providers.realtime,
          instructions: options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT,
          output: choice === 'model' ? 'audio' : 'text',
          inputFormat: options.inputFormat ?? 'pcm16',
          ...(choice === 'model' ? { voice: options.modelVoice ?? 'marin' } : {}),
          ...(options.models?.transcribe !== undefined ? { transcriptionModel: options.models.transcribe } : {}),
          ...(options.language ? { language: options.language } : {}),
          turnDetection,
          preemptive: preemptive !== false,
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
        speech,
        // What the caller heard of a reply spoken by the TTS goes back to the session's history.
        tap((event) => {
          if (event.type === 'interruption' && choice !== 'model') interruptions.next(event);
        }),
        turnMetrics({ scheduler }),
        options.cost === false
          ? identity
          : costMeter({
              prices: options.cost?.prices ?? DEFAULT_PRICES,
              models: {
                reply: modelOfProvider(providers.realtime.name),
                // The session's input transcription bills the caller's audio; the model's own voice is in its tokens.
                ...(options.models?.transcribe === false ? {} : { transcribe: options.models?.transcribe ?? 'gpt-4o-mini-transcribe' }),
                ...(choice === 'model' ? {} : { tts: options.models?.tts ?? DEFAULT_TTS_MODEL }),
                ...options.cost?.models,
              },
            }),
      );
    });
}

function bargeInOf(barge: RealtimePipelineOptions['bargeIn']): Pick<RealtimeOptions, 'bargeIn' | 'halfDuplex' | 'echoGuardMs'> {
  if (barge === undefined) return {};
  if (barge === false) return { bargeIn: false };
  if (!('policy' in barge || 'halfDuplex' in barge || 'echoGuardMs' in barge || 'resume' in barge)) return { bargeIn: barge as RealtimeBargeIn };
  const full = barge as RealtimeBargeInOptions;
  return {
    ...(full.policy !== undefined ? { bargeIn: full.policy } : {}),
    ...(full.halfDuplex !== undefined ? { halfDuplex: full.halfDuplex } : {}),
    ...(full.echoGuardMs !== undefined ? { echoGuardMs: full.echoGuardMs } : {}),
  };
}

function turnDetectionOf(option: RealtimePipelineOptions['turnDetection']): RealtimeTurnDetection {
  if (option === undefined || option === 'local') return { type: 'none' };
  if (option === 'server_vad' || option === 'semantic_vad') return { type: option };
  return option;
}

function rateOf(format: TtsOutputFormat): SampleRate {
  return format === 'ulaw_8000' ? 8000 : (Number(format.slice(4)) as SampleRate);
}

/** The model speaks at 24 kHz (8 kHz with G.711); the sink asked for `rate`. One resampler per turn. */
function resampleReplyAudio(rate: SampleRate): OperatorFunction<PipelineEvent, PipelineEvent> {
  return (source) =>
    defer(() => {
      const resamplers = new Map<string, { resampler: StreamingResampler; startMs: number; seq: number }>();
      return source.pipe(
        map((event): PipelineEvent => {
          if (event.type !== 'assistant.audio' || event.frame.sampleRate === rate) return event;
          let state = resamplers.get(event.turnId);
          if (!state) {
            state = { resampler: createResampler(event.frame.sampleRate, rate), startMs: event.frame.startMs, seq: 0 };
            resamplers.set(event.turnId, state);
            if (resamplers.size > 8) resamplers.delete(resamplers.keys().next().value as string);
          }
          const samples = state.resampler.push(event.frame.samples);
          const frame: AudioFrame = { samples, sampleRate: rate, startMs: event.frame.startMs, seq: state.seq++ };
          return { ...event, frame };
        }),
      );
    });
}

function resolveProviders(options: RealtimePipelineOptions, choice: RealtimeTtsChoice): RealtimeProviders {
  const given = options.providers ?? {};
  if (given.realtime && (given.synthesizer || choice === 'model')) {
    return { realtime: given.realtime, synthesizer: given.synthesizer ?? noSynthesizer };
  }
  const endpoints = options.endpoints ?? resolveEndpoints(process.env, options.sandboxURL);
  const built = createRealtimeProviders(endpoints, options);
  return { realtime: given.realtime ?? built.realtime, synthesizer: given.synthesizer ?? built.synthesizer };
}

/** Stands in when the model speaks itself: `tts` is not in that chain. */
const noSynthesizer: Synthesizer = {
  name: 'none',
  synthesize: () => {
    throw new Error('No synthesizer: the realtime model speaks itself');
  },
};
