import OpenAI, { toFile } from 'openai';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, parseScenario, startSandbox } from '../../src/sandbox/index.js';

const DEMO = new URL('../../examples/scenarios/demo.json', import.meta.url);

describe('examples/scenarios/demo.json', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: DEMO.pathname });
  });
  afterAll(() => sandbox.close());

  it('is a valid scenario whose transcripts are the demo call fixture sentences', () => {
    const scenario = parseScenario(JSON.parse(readFileSync(DEMO, 'utf8')));
    const manifest = JSON.parse(readFileSync(new URL('../../fixtures/manifest.json', import.meta.url), 'utf8')) as {
      files: Array<{ name: string; utterances: Array<{ text: string }> }>;
    };
    const call = manifest.files.find((f) => f.name === 'call-3turns');
    expect(scenario.utterances?.map((u) => u.transcript)).toEqual(call?.utterances.map((u) => u.text));
  });

  it('plays the whole demo call over the OpenAI surface, loaded from its path', async () => {
    const client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    const audio = readFileSync(new URL('../../fixtures/one-sentence.wav', import.meta.url));
    const replies: string[] = [];
    for (let turn = 0; turn < 3; turn += 1) {
      const heard = await client.audio.transcriptions.create({ file: await toFile(audio, 'turn.wav'), model: 'gpt-4o-transcribe' });
      const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: heard.text }] });
      replies.push(reply.choices[0]?.message.content ?? '');
    }
    expect(replies[0]).toMatch(/^It's sunny in Paris/); // no tools offered: the rule's reply stands in
    expect(replies[1]).toMatch(/booked a table for two/);
    expect(replies[2]).toMatch(/goodbye/);
  });
});
