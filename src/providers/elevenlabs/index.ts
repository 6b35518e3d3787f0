export { createElevenLabsSynthesizer, type ElevenLabsSynthesizerOptions } from './synthesizer.js';
export { AudioDecoder, OUTPUT_FORMATS, sampleRateOfFormat } from './audio.js';
