import type { SchedulerLike } from 'rxjs';
import type { AudioFormat } from '../audio/format.js';
import type { PlaybackClock } from '../playback.js';
import type { Synthesizer, VoiceStyle } from '../providers/types.js';

/** `whole`: speak the reply's full text at `assistant.done` (the seed). `streamed`: speak segments as they come. */
export type TtsMode = 'whole' | 'streamed';

export interface TtsOptions {
  /** The provider; its model is chosen where it is built, not here. */
  readonly synthesizer: Synthesizer;
  /** The provider's voice id; omitted: the synthesizer's default voice. */
  readonly voiceId?: string;
  /** Default PCM16 at 16 kHz (`{ encoding: 'mulaw', sampleRate: 8000 }` for telephony). */
  readonly outputFormat?: AudioFormat;
  readonly language?: string;
  readonly voiceStyle?: VoiceStyle;
  /** Default `streamed`. */
  readonly mode?: TtsMode;
  /**
   * Streamed mode: open the turn's synthesis at its final transcript, before the reply's first text exists,
   * so a stream-input socket's connect (TLS, upgrade) overlaps the model's first token. Default false.
   */
  readonly openEarly?: boolean;
  /**
   * Speak each reply in its caller turn's language (the final transcript's `language`), with that
   * language's voice from `voices` when there is one; replies of their own (idle prompts) take the last
   * turn's. Off by default: `language` and `voiceId` hold for the call.
   */
  readonly followLanguage?: boolean;
  /** Voice id per ISO-639-1 language, for `followLanguage`. */
  readonly voices?: Readonly<Record<string, string>>;
  /** Ask the synthesizer to read numbers, dates... out itself (`SynthesisRequest.normalizeText`); omitted: its default. */
  readonly normalizeText?: boolean;
  /** Output frame length in ms. Default 20. */
  readonly frameMs?: number;
  /** Where emitted reply audio is recorded; share it with `bargeIn` and the sink. */
  readonly playback?: PlaybackClock;
  readonly scheduler?: SchedulerLike;
}
