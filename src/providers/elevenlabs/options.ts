import { describeAudioFormat, type AudioFormat } from '../../audio/format.js';
import { RxVoiceError } from '../../errors.js';
import type { VoiceStyle } from '../types.js';

/** ElevenLabs' default model for rxvoice: the low-latency multilingual one. */
export const DEFAULT_ELEVENLABS_MODEL = 'eleven_flash_v2_5';

/** A premade ElevenLabs voice ("George"), used when no voice is named. */
export const DEFAULT_ELEVENLABS_VOICE = 'JBFqnCBsd6RMkjVDRZzb';

/**
 * ElevenLabs' `output_format` values rxvoice decodes to PCM16 (raw PCM16 LE, or G.711 mu-law). The list is
 * the SDK's `AllowedOutputFormats` (@elevenlabs/elevenlabs-js, dist/api/types/AllowedOutputFormats.d.ts)
 * minus the compressed ones (mp3, opus) and `alaw_8000`, which rxvoice does not decode.
 */
export type ElevenLabsOutputFormat = 'pcm_8000' | 'pcm_16000' | 'pcm_22050' | 'pcm_24000' | 'pcm_44100' | 'pcm_48000' | 'ulaw_8000';

const PCM_RATES: ReadonlySet<number> = new Set([8000, 16000, 22050, 24000, 44100, 48000]);

/** The neutral format as ElevenLabs names it; a format it cannot send is a non-retryable `tts` error. */
export function elevenLabsOutputFormat(format: AudioFormat): ElevenLabsOutputFormat {
  if (format.encoding === 'mulaw' && format.sampleRate === 8000) return 'ulaw_8000';
  if (format.encoding === 'pcm16' && PCM_RATES.has(format.sampleRate)) return `pcm_${format.sampleRate}` as ElevenLabsOutputFormat;
  throw new RxVoiceError({ code: 'internal', stage: 'tts', message: `ElevenLabs cannot send ${describeAudioFormat(format)} audio (pcm16 at 8/16/22.05/24/44.1/48 kHz, or mulaw at 8 kHz)` });
}

/** ElevenLabs `voice_settings` in the SDK's (camelCase) names; the WebSocket sends the snake_case ones. */
export interface ElevenLabsVoiceSettings {
  readonly stability?: number;
  readonly similarityBoost?: number;
  readonly style?: number;
  readonly useSpeakerBoost?: boolean;
  readonly speed?: number;
}

/**
 * The neutral style in ElevenLabs' terms (https://elevenlabs.io/docs/api-reference/text-to-speech/convert,
 * `voice_settings`): `similarity` is `similarity_boost`, `expressiveness` is `style`; `speakerBoost` is
 * ElevenLabs' own knob (a synthesizer option). Undefined when there is nothing to send.
 */
export function elevenLabsVoiceSettings(style: VoiceStyle | undefined, speakerBoost: boolean | undefined): ElevenLabsVoiceSettings | undefined {
  const settings: ElevenLabsVoiceSettings = {
    ...(style?.stability === undefined ? {} : { stability: style.stability }),
    ...(style?.similarity === undefined ? {} : { similarityBoost: style.similarity }),
    ...(style?.expressiveness === undefined ? {} : { style: style.expressiveness }),
    ...(speakerBoost === undefined ? {} : { useSpeakerBoost: speakerBoost }),
    ...(style?.speed === undefined ? {} : { speed: style.speed }),
  };
  return Object.keys(settings).length === 0 ? undefined : settings;
}

/** One synthesis as the ElevenLabs clients (REST and stream-input) send it: every choice resolved. */
export interface ElevenLabsRequest {
  readonly voiceId: string;
  readonly modelId: string;
  /** The neutral format (for decoding) and its ElevenLabs name (for the request). */
  readonly format: AudioFormat;
  readonly outputFormat: ElevenLabsOutputFormat;
  readonly language?: string;
  readonly voiceSettings?: ElevenLabsVoiceSettings;
  /** `apply_text_normalization` on/off; omitted: ElevenLabs' default (auto). */
  readonly normalizeText?: boolean;
}
