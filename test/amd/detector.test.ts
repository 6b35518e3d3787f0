import { describe, expect, it } from 'vitest';
import { AnsweringMachineDetector, soundsLikeVoicemail } from '../../src/amd/index.js';
import { AMD_FIXTURES, calleeAudio } from '../../src/sandbox/index.js';

const feed = (detector: AnsweringMachineDetector, samples: Int16Array) => {
  for (let i = 0; i < samples.length; i += 160) detector.push(samples.subarray(i, i + 160), 8000);
  return detector.result;
};
const fixture = async (name: string) => calleeAudio(AMD_FIXTURES.find((f) => f.name === name)!.script);

describe('answering-machine detection (espeak-ng fixtures)', () => {
  it('a short "Hello?" then silence is a person, decided within two seconds of the answer', async () => {
    const decision = feed(new AnsweringMachineDetector(), await fixture('hello'));
    expect(decision).toMatchObject({ answeredBy: 'human', reason: 'short_greeting' });
    expect(decision!.atMs).toBeLessThan(2000);
  });

  it('a long greeting is a machine; pushing on finds the beep after it', async () => {
    const detector = new AnsweringMachineDetector();
    const audio = await fixture('default-beep');
    expect(feed(detector, audio)).toMatchObject({ answeredBy: 'machine', reason: 'long_greeting' });
    expect(detector.result!.atMs).toBeLessThan(3000);
    // The beep (500 ms of 1 kHz) is the last thing in the fixture: its end is where the message starts.
    expect(detector.beepAtMs).toBeGreaterThan(audio.length / 8 - 600);
    expect(detector.beepAtMs).toBeLessThanOrEqual(audio.length / 8);
  });

  it('a short greeting ending in a beep is a machine by the beep; speech alone never counts as one', async () => {
    expect(feed(new AnsweringMachineDetector(), await fixture('short-beep'))).toMatchObject({ answeredBy: 'machine', reason: 'beep' });
    const person = new AnsweringMachineDetector({ decisionTimeoutMs: Infinity, maxHumanGreetingMs: Infinity });
    feed(person, await fixture('office'));
    expect(person.beepAtMs).toBeUndefined();
  });

  it('wording: a voicemail phrase in the transcript decides at once; the carrier verdict wins; silence is unknown', () => {
    expect(soundsLikeVoicemail('Please leave a message after the tone')).toBe(true);
    expect(soundsLikeVoicemail('You’ve reached Sam')).toBe(true);
    expect(soundsLikeVoicemail("Hello, who's this?")).toBe(false);
    expect(new AnsweringMachineDetector().transcript('Sorry, leave a message')).toMatchObject({ answeredBy: 'machine', reason: 'wording' });
    const carrier = new AnsweringMachineDetector();
    carrier.transcript('Hello?');
    expect(carrier.carrier('machine_end_beep')).toMatchObject({ answeredBy: 'machine', reason: 'carrier' });
    expect(feed(new AnsweringMachineDetector(), new Int16Array(8000 * 6))).toMatchObject({ answeredBy: 'unknown', reason: 'silence', atMs: 5000 });
  });

  it('every fixture but the long human greeting is classified right from audio alone', async () => {
    const wrong: string[] = [];
    for (const f of AMD_FIXTURES) {
      const decision = feed(new AnsweringMachineDetector(), await calleeAudio(f.script));
      if (decision?.answeredBy !== f.expected) wrong.push(f.name);
    }
    // A person answering with a full sentence talks as long as a machine does: the known weak spot.
    expect(wrong).toEqual(['office']);
  });
});
