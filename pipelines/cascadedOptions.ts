import type { BehaviourOptions } from '../src/behaviours.js';
import type { TurnDetectionOption } from '../src/turn/option.js';
import type { Observable, SchedulerLike } from 'rxjs';
import type { ChunkOptions } from '../operators/chunk.js';
import type { CollectDigitsOptions } from '../operators/collectDigits.js';
import type { SentencesOptions } from '../operators/sentences.js';
import type { SpokenFallbackOptions } from '../operators/spokenFallback.js';
import type { RetryOptions } from '../operators/transcribe.js';
import type { VadOptions } from '../operators/vad.js';
import type { Conversation } from '../src/conversation.js';
import type { CostOptions } from '../src/cost/price.js';
import type { DtmfEvent } from '../src/events.js';
import type { PlaybackClock } from '../src/playback.js';
import type { CascadedProviderOptions, CascadedProviders, EndpointChoice } from '../src/providers/defaults.js';
import type { ToolDefinition } from '../src/tools.js';
import type { BargeInChoice, VoiceOptions } from './options.js';

export interface CascadedOptions extends CascadedProviderOptions, EndpointChoice, VoiceOptions, BehaviourOptions {
  /** Ready-made providers (e.g. from `createCascadedProviders`, or fakes); any missing one is built from `endpoints`. */
  readonly providers?: Partial<CascadedProviders>;
  readonly systemPrompt?: string;
  readonly tools?: readonly ToolDefinition[];
  /** Prompt for the transcription model (names, jargon). */
  readonly transcriptionPrompt?: string;
  /** Barge-in: `false` turns it off; a policy object sets the thresholds; default: any speech during a reply cuts it. */
  readonly bargeIn?: BargeInChoice;
  readonly vad?: VadOptions;
  /**
   * Preemptive transcription (default on): at a short pause (`pauseMs`, default 200) the upload ends, so
   * the transcript is ready about when the turn ends; speech after the pause drops that request and sends
   * the whole utterance again. `false`: the transcription waits for the end of the turn, as originally.
   */
  readonly preemptive?: boolean | { readonly pauseMs?: number };
  /**
   * End of turn that reads the words (default on with preemptive transcription): at a pause, the
   * transcript so far goes to a `TurnDetector` (default `textTurnDetector()`); a turn that reads complete
   * ends at once, one that trails off ("and", "um", digits being read out) waits up to `holdSilenceMs`
   * (1200 ms). `false`: the vad's `silenceMs` ends every turn.
   */
  readonly turnDetection?: TurnDetectionOption;
  readonly chunk?: ChunkOptions;
  readonly sentences?: SentencesOptions;
  /** The history; default a new one per subscription with `systemPrompt`. Interruptions cut it to what was heard. */
  readonly conversation?: Conversation;
  /** Where reply audio is recorded and the sink reports what was played; default one per subscription. */
  readonly playback?: PlaybackClock;
  /** Retries for transcription and chat requests (429/5xx/resets). */
  readonly retry?: RetryOptions | false;
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
