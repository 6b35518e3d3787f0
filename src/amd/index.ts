export { AnsweringMachineDetector, MACHINE_PHRASES, soundsLikeVoicemail, type AmdDecision, type AmdOptions, type AmdReason, type AnsweredBy } from './detector.js';
