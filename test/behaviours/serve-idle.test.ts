import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWavFile } from '../../src/audio/wav.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { serve } from '../../src/server/index.js';
import { fixturesDir } from '../../src/testing/fixtures.js';
import { pcmBytes, sendAudio, TestClient } from '../server/support/client.js';
import { sandboxPipelineFactory } from '../server/support/real-pipelines.js';

/** rxvoice serve over a real socket: an idle caller is prompted, then the server hangs up politely. */
describe('rxvoice serve: the idle caller', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: { utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.', language: 'en' }], replies: [{ match: 'fox', reply: 'Foxes are quick.' }] },
    });
  });
  afterAll(async () => sandbox?.close());

  it('prompts after the silence, says goodbye, then ends the call (ended + 1000) on call.end', async () => {
    const factory = await sandboxPipelineFactory(sandbox.url, 'cascaded', () => ({ idle: { afterMs: 500, hangupAfterMs: 500 } }));
    const server = await serve({ pipelineFactory: factory, staticDir: false });
    const wav = await readWavFile(`${fixturesDir()}/one-sentence.wav`);
    const client = await TestClient.open(`${server.url.replace('http', 'ws')}/v1/stream`);
    client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'cascaded' });
    await client.waitFor((m) => m.type === 'started');
    await sendAudio(client, pcmBytes(wav.samples), 640, 10);
    // The caller keeps the line open and says nothing more, as a phone does.
    const silence = setInterval(() => client.ws.readyState === 1 && client.ws.send(Buffer.alloc(640)), 20);
    const ended = await client.waitFor((m) => m.type === 'ended');
    const closed = await client.closed;
    clearInterval(silence);
    await server.close(1000);

    expect(ended.reason).toBe('pipeline asked to end the call (idle)');
    expect(closed.code).toBe(1000);
    const types = client.received.json.map((m) => `${m.type}${m.turnId ? `:${m.turnId}` : ''}`);
    expect(types).toContain('idle.prompt:idle-1');
    expect(types).toContain('call.end:idle-2');
    expect(types.indexOf('idle.prompt:idle-1')).toBeGreaterThan(types.indexOf('assistant.done:turn-1'));
    expect(types.indexOf('call.end:idle-2')).toBeLessThan(types.indexOf('ended'));
    expect(client.received.json.filter((m) => m.type === 'error')).toEqual([]);
  });
});
