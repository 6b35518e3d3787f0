import type { BehaviourOptions } from '../src/behaviours.js';
import type { SchedulerLike } from 'rxjs';
import type { RealtimeTool } from '../operators/realtime.js';
import type { SentencesOptions } from '../operators/sentences.js';
import type { SpokenFallbackOptions } from '../operators/spokenFallback.js';
import type { VadOptions } from '../operators/vad.js';
import type { CostOptions } from '../src/cost/price.js';
import type { PlaybackClock } from '../src/playback.js';
import type { CascadedMode, EndpointChoice, RealtimeProviderOptions, RealtimeProviders } from '../src/providers/defaults.js';
import type { RealtimeAudioFormat, RealtimeTurnDetection } from '../src/providers/realtime-types.js';
import type { TurnDetectionOption } from '../src/turn/option.js';
import type { BargeInChoice, BargeInSettings, VoiceOptions } from './options.js';

/**
 * Who speaks the reply: `final` (the text-to-speech speaks the whole text once the model is done: the seed),
 * `streamed` (the text is cut into sentences and streamed to the text-to-speech as it is generated), or `model`
 * (the realtime model's own audio is played).
 */
export type RealtimeTtsChoice = 'final' | 'streamed' | 'model';

/** Behaviours (docs/behaviours.md): `idle`, `slowTools` and `speakable` need the TTS (not `tts: 'model'`). */
export interface RealtimePipelineOptions extends RealtimeProviderOptions, EndpointChoice, VoiceOptions, BehaviourOptions {
  /** Ready-made providers (or fakes); a missing one is built from `endpoints`. */
  readonly providers?: Partial<RealtimeProviders>;
  /** Who speaks the reply; default from `mode`: `streaming` -> `streamed`, `seed` -> `final`. */
  readonly tts?: RealtimeTtsChoice;
  /** Same word as `cascaded()`'s: `streaming` (default) or `seed`. `tts` wins when both are given. */
  readonly mode?: CascadedMode;
  /** The realtime model's voice when it speaks itself (`tts: 'model'`); default: the default provider's (`DEFAULT_MODEL_VOICE`). */
  readonly modelVoice?: string;
  /** Sent as the session's instructions. */
  readonly systemPrompt?: string;
  readonly tools?: readonly RealtimeTool[];
  /**
   * `local` (default): the project's `vad` decides turns (same turn ids, metrics and barge-in timing as the
   * cascaded chain); the operator commits and asks for the reply. With preemptive replies, a turn detector
   * reads the session's input transcript of the pause's commit (docs/turn-taking.md): the same shape as
   * `cascaded()`'s option (`true`/`'local'`: `textTurnDetector()`; a detector, or `{ detector, doneSilenceMs,
   * holdSilenceMs }`; `false`: local turns, the vad's `silenceMs` ends every turn). `server_vad` /
   * `semantic_vad` (or a full `RealtimeTurnDetection`): the server decides and the local vad is not run.
   */
  readonly turnDetection?: 'local' | 'server_vad' | 'semantic_vad' | RealtimeTurnDetection | TurnDetectionOption;
  /** Audio format on the wire: `pcm16` (24 kHz, default) or G.711 for telephony. */
  readonly inputFormat?: RealtimeAudioFormat;
  /** Audio per append, 20-100 ms; default 40. */
  readonly batchMs?: number;
  /**
   * Barge-in, as `cascaded`'s option: `false` turns it off; `{ minSpeechMs, minWords }` sets thresholds;
   * `{ policy, halfDuplex, echoGuardMs }` adds half duplex and an echo guard; default: any speech cuts the reply.
   */
  readonly bargeIn?: BargeInChoice;
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
  /** Fresh session at the first quiet moment after this long (before the 60-minute limit); default 55 min, 0: never. */
  readonly renewAfterMs?: number;
  /** A due reply with no server event for this long is asked again on a fresh session; default 15 s, 0: never. */
  readonly stallTimeoutMs?: number;
  readonly scheduler?: SchedulerLike;
  /** As `cascaded`'s: say something when a turn fails before a reply (not with `tts: 'model'`, which has no TTS). */
  readonly fallbackSpeech?: boolean | string | SpokenFallbackOptions;
  /** A `cost` event per turn (usage and US dollars); default on with `DEFAULT_PRICES`; `false`: none. */
  readonly cost?: CostOptions | false;
}

/** The `cascaded` pipeline's full barge-in options (`resume` is accepted and ignored: no false-interruption resume here). */
export type RealtimeBargeInOptions = BargeInSettings;
