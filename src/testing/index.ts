/**
 * rxvoice/testing: what users (and this project's own tests) write marble tests with: event builders,
 * frame generators, a scripted vad, fixture loaders and a deep-equal TestScheduler.
 */
export * from './events.js';
export * from './frames.js';
export * from './vad.js';
export * from './fixtures.js';
export * from './marbles.js';
// Fake providers (added by the transcribe/llm, realtime and tts work).
export * from './fakes/openai.js';
export * from './fakes/realtime.js';
export * from './fakes/tts.js';
