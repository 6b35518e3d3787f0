import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { serve } from '../../src/server/index.js';
import type { PipelineName, RunningServer } from '../../src/server/types.js';
import { bytesToSamples } from '../../src/server/codec.js';
import { fixtureCall } from './support/fixture-call.js';
import { sandboxPipelineFactory } from './support/real-pipelines.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog.';

describe('rxvoice protocol with the real pipelines against the sandbox', () => {
  let sandbox: Sandbox;
  const servers: Partial<Record<PipelineName, RunningServer>> = {};

  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: { utterances: [{ transcript: SENTENCE, language: 'en' }], replies: [{ match: 'fox', reply: 'Foxes are quick. Dogs are lazy.' }] },
    });
  });

  afterAll(async () => {
    for (const server of Object.values(servers)) await server.close(1000);
    await sandbox?.close();
  });

  for (const pipeline of ['cascaded', 'realtime'] as const satisfies readonly PipelineName[]) {
    it(`${pipeline}: a fixture call gives the transcript, the reply text and reply audio, in order`, async () => {
      const server = await serve({ pipelineFactory: await sandboxPipelineFactory(sandbox.url, pipeline), staticDir: false });
      servers[pipeline] = server;
      // Twice real time, in 20 ms messages; the reply audio streams out before the hang-up.
      const client = await fixtureCall(server, pipeline);
      const closed = await client.closed;

      const errors = client.received.json.filter((m) => m.type === 'error');
      expect(errors).toEqual([]);
      expect(closed.code).toBe(1000);
      const transcript = client.received.json.find((m) => m.type === 'transcript' && m.final === true);
      expect(transcript).toMatchObject({ turnId: 'turn-1', text: SENTENCE });
      const text = client.received.json
        .filter((m) => m.type === 'assistant.text' && m.turnId === 'turn-1')
        .map((m) => String(m.delta))
        .join('');
      expect(text.replace(/\s+/g, ' ').trim()).toBe('Foxes are quick. Dogs are lazy.');

      // A preview (the turn so far, at a pause) is a partial transcript: the order is about the final one.
      const order = client.received.all.map((m) =>
        'json' in m ? (m.json.type === 'transcript' && m.json.final !== true ? 'transcript.partial' : String(m.json.type)) : 'audio',
      );
      const at = (type: string) => order.indexOf(type);
      expect(at('speech.started')).toBeGreaterThan(at('started'));
      expect(at('speech.ended')).toBeGreaterThan(at('speech.started'));
      expect(at('transcript')).toBeGreaterThan(at('speech.ended'));
      expect(at('assistant.text')).toBeGreaterThan(at('transcript'));
      expect(at('audio.start')).toBeGreaterThan(at('transcript'));
      expect(at('audio')).toBeGreaterThan(at('audio.start'));
      expect(at('ended')).toBeGreaterThan(order.lastIndexOf('audio'));

      // Real synthesized speech (espeak in the sandbox), at the client's 16 kHz: a second or more, not silence.
      const samples = bytesToSamples(Buffer.concat(client.received.audio));
      expect(samples.length / 16).toBeGreaterThan(1000);
      const rms = Math.sqrt(samples.reduce((s, x) => s + x * x, 0) / samples.length);
      expect(rms).toBeGreaterThan(300);
      expect(client.received.json.some((m) => m.type === 'metric' && m.name === 'first_audio_out' && m.turnId === 'turn-1')).toBe(true);
    });
  }
});
