import { asyncScheduler, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { PipelineEvent } from '../src/events.js';
import type { PlaybackClock } from '../src/playback.js';
import type { Synthesizer, TtsOutputFormat, VoiceSettings } from '../src/providers/types.js';

/** `whole`: speak the reply's full text at `assistant.done` (the seed). `streamed`: speak segments as they come. */
export type TtsMode = 'whole' | 'streamed';

export interface TtsOptions {
  readonly synthesizer: Synthesizer;
  readonly voiceId: string;
  /** Default `eleven_flash_v2_5`. */
  readonly modelId?: string;
  /** Default `pcm_16000`. */
  readonly outputFormat?: TtsOutputFormat;
  readonly language?: string;
  readonly voiceSettings?: VoiceSettings;
  /** Default `streamed`. */
  readonly mode?: TtsMode;
  /** Output frame length in ms. Default 20. */
  readonly frameMs?: number;
  /** Where emitted reply audio is recorded; share it with `bargeIn` and the sink. */
  readonly playback?: PlaybackClock;
  readonly scheduler?: SchedulerLike;
}

/** Text to speech. Implementation lands in the next commit. */
export function tts(options: TtsOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  void (options.scheduler ?? asyncScheduler);
  return (source) => source;
}
