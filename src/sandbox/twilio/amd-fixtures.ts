import type { CalleeScript } from './callee.js';

/** A callee for answering-machine tests and the bench: who answers, what they say, what the answer is. */
export interface AmdFixture {
  readonly name: string;
  readonly expected: 'human' | 'machine';
  readonly script: CalleeScript;
  /** What a transcription of the greeting reads (for the wording cue). */
  readonly text: string;
}

const person = (name: string, says: string): AmdFixture => ({ name, expected: 'human', script: { kind: 'person', says: [says], gapMs: 3000 }, text: says });
const machine = (name: string, greeting: string, beepMs?: number): AmdFixture => ({
  name,
  expected: 'machine',
  script: beepMs === 0 ? { kind: 'person', says: [greeting], gapMs: 3000 } : { kind: 'voicemail', greeting, ...(beepMs ? { beepMs } : {}) },
  text: greeting,
});

/**
 * People answering and voicemail greetings (with and without a beep), spoken by espeak-ng at 8 kHz: the
 * sandbox's callees and the answering-machine bench's fixtures.
 */
export const AMD_FIXTURES: readonly AmdFixture[] = [
  person('hello', 'Hello?'),
  person('yeah', 'Yeah?'),
  person('hello-who', "Hello, who's this?"),
  person('name', 'Hi, this is Maria.'),
  person('speaking', 'John speaking.'),
  person('office', "Good morning, Doctor Patel's office, how can I help you?"),
  machine('default-beep', "Hi, you've reached Sam. I can't take your call right now. Please leave a message after the tone."),
  machine('carrier-beep', 'The person you are calling is not available. At the tone, please record your message.'),
  machine('number-beep', "You've reached five five five, zero one two three. Leave a message.", 400),
  machine('short-beep', 'Leave a message.', 600),
  machine('away-no-beep', "Hi, it's Tom. I'm away from the phone right now, so leave me a message and I'll call you back.", 0),
  machine('busy-no-beep', 'Sorry, we are not available to take your call. Please try again later.', 0),
];
