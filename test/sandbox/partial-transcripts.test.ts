import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { CALL_HEADER, TURN_HEADER, parseScenario, type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { transcriptForAudio } from '../../src/sandbox/state.js';
import { loadTurnAudio, loadTurnManifest, turnUtterance } from '../../bench/turn-fixtures.js';

describe('scenario partials', () => {
  it('picks the partial of the shortest cut the audio stays under, else the whole utterance', () => {
    const utterance = {
      transcript: 'my card number is 4 5 7 2',
      language: 'en',
      partials: [
        { untilMs: 3000, transcript: 'my card number is 4 5' },
        { untilMs: 1500, transcript: 'my card' },
      ],
    };
    expect(transcriptForAudio(utterance, 1000)).toBe('my card');
    expect(transcriptForAudio(utterance, 2000)).toBe('my card number is 4 5');
    expect(transcriptForAudio(utterance, 3000)).toBe('my card number is 4 5 7 2');
    expect(transcriptForAudio(utterance, undefined)).toBe('my card number is 4 5 7 2');
    expect(transcriptForAudio({ transcript: 'whole', language: 'en' }, 10)).toBe('whole');
  });

  it('checks partials when a scenario is loaded', () => {
    expect(() => parseScenario({ utterances: [{ transcript: 'a', partials: [{ untilMs: 100, transcript: 'b' }] }] })).not.toThrow();
    expect(() => parseScenario({ utterances: [{ transcript: 'a', partials: {} }] })).toThrow(/partials must be an array/);
    expect(() => parseScenario({ utterances: [{ transcript: 'a', partials: [{ untilMs: 'soon', transcript: 'b' }] }] })).toThrow(/partials\[0\]/);
  });
});

describe('a preemptive request hears only the audio it carried (real fixture audio)', () => {
  const turns = loadTurnManifest();
  const paused = turns.find((t) => t.name === 'paused-02')!;
  const complete = turns.find((t) => t.name === 'complete-01')!;
  let sandbox: Sandbox;
  let client: OpenAI;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', warmUp: false, scenario: { utterances: [turnUtterance(paused), turnUtterance(complete)] } });
    client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
  });
  afterAll(() => sandbox.close());

  /** Uploads the fixture's audio from the chain's upload start (speech - 300 ms) to `untilMs`, as one caller turn. */
  async function upload(name: string, untilMs: number, turn: string): Promise<string> {
    const fixture = turns.find((t) => t.name === name)!;
    const audio = await loadTurnAudio(fixture);
    const at = (ms: number): number => Math.round((ms * audio.sampleRate) / 1000);
    const wav = encodeWav(audio.samples.subarray(at(fixture.speechStartMs - 300), at(untilMs)), audio.sampleRate);
    const result = await client.audio.transcriptions.create(
      { file: await toFile(wav, 'turn.wav'), model: 'gpt-4o-transcribe' },
      { headers: { [CALL_HEADER]: 'fixture-call', [TURN_HEADER]: turn } },
    );
    return result.text;
  }

  it('the upload cut 200 ms into the pause reads the words before it; the whole turn reads them all', async () => {
    const pause = paused.pause!;
    expect(await upload('paused-02', pause.startMs + 200, 'turn-1')).toBe('My card number is 4 5');
    // The caller went on: the next attempt of the same turn covers the whole utterance.
    expect(await upload('paused-02', paused.speechEndMs + 500, 'turn-1')).toBe('My card number is 4 5 7 2.');
    // The turn used one scripted utterance: the next turn gets the next one.
    expect(await upload('complete-01', complete.speechEndMs + 500, 'turn-2')).toBe('What time do you open tomorrow?');
  });
});
