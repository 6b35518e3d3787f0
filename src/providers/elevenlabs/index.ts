export { createElevenLabsSynthesizer, type ElevenLabsSynthesizerOptions } from './synthesizer.js';
export { AudioDecoder } from './audio.js';
export {
  DEFAULT_ELEVENLABS_MODEL,
  DEFAULT_ELEVENLABS_VOICE,
  elevenLabsOutputFormat,
  elevenLabsVoiceSettings,
  type ElevenLabsOutputFormat,
  type ElevenLabsVoiceSettings,
} from './options.js';
