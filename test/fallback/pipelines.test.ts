import { describe, expect, it } from 'vitest';
import type { FaultRule, Scenario } from '../../src/sandbox/types.js';
import { cascadedOnSandbox, demoCallOnSandbox, digest, ofType, replyAudioMs } from '../faults/support/call.js';

/** The optional spoken fallback through the real cascaded chain: a lost turn is answered, not silent. */
const BASE: Scenario = {
  utterances: [{ transcript: "What's the weather like in Paris today?" }, { transcript: 'Can you book me a table for two at eight?' }],
  replies: [
    { match: 'weather', reply: 'It is sunny in Paris.' },
    { match: 'table', reply: 'Done, booked at eight.' },
  ],
};

const demo = demoCallOnSandbox(BASE, 2);

const run = (faults: FaultRule[], fallbackSpeech: boolean | string, callId: string) => cascadedOnSandbox(demo, BASE, faults, { callId, retry: false, fallbackSpeech });

describe('fallbackSpeech', () => {
  it('speaks the apology for a turn whose transcription failed, and the next turn is answered as usual', async () => {
    const events = await run([{ surface: 'transcribe', request: 1, fault: { kind: 'http_500' } }], 'Sorry, could you say that again?', 'fallback-1');
    const summary = digest(events);
    expect(ofType(events, 'error').map((e) => [e.turnId, e.stage]), summary).toEqual([['turn-1', 'transcribe']]);
    expect(ofType(events, 'assistant.done').map((e) => [e.turnId, e.text]), summary).toEqual([
      ['turn-1', 'Sorry, could you say that again?'],
      ['turn-2', 'It is sunny in Paris.'], // the refused request did not consume the scenario's first sentence
    ]);
    expect(replyAudioMs(events, 'turn-1'), summary).toBeGreaterThan(500);
    expect(replyAudioMs(events, 'turn-2'), summary).toBeGreaterThan(500);
  });

  it('is off by default: the failed turn gets its error event and no speech', async () => {
    const events = await run([{ surface: 'chat', request: 1, fault: { kind: 'http_500' } }], false, 'fallback-2');
    const summary = digest(events);
    expect(ofType(events, 'error').map((e) => [e.turnId, e.stage]), summary).toEqual([['turn-1', 'llm']]);
    expect(replyAudioMs(events, 'turn-1'), summary).toBe(0);
    expect(replyAudioMs(events, 'turn-2'), summary).toBeGreaterThan(500);
  });
});
