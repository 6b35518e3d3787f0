export * from './frame.js';
export * from './pcm.js';
export * from './resample.js';
export * from './g711.js';
export * from './wav.js';
export * from './reframe.js';
export * from './sources.js';
export * from './format.js';
