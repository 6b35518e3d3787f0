export * from './state-machine.js';
export * from './silero.js';
export * from './detector.js';
