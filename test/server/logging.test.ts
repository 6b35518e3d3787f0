import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { serve } from '../../src/server/index.js';
import type { ServeOptions } from '../../src/server/types.js';
import { fixtureCall } from './support/fixture-call.js';
import { sandboxPipelineFactory } from './support/real-pipelines.js';
import { TestClient } from './support/client.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
type Line = Record<string, unknown> & { level: number; msg: string };

/** A pino logger writing JSON lines into memory, as a log shipper would read them from stderr. */
function memoryLogger(level = 'debug'): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

describe('structured server logs', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: { utterances: [{ transcript: SENTENCE, language: 'en' }], replies: [{ match: 'fox', reply: 'Foxes are quick.' }] },
    });
  });
  afterAll(async () => sandbox?.close());

  const callWith = async (extra: Partial<ServeOptions>) => {
    const { logger, lines } = memoryLogger();
    const server = await serve({ pipelineFactory: await sandboxPipelineFactory(sandbox.url, 'cascaded'), staticDir: false, logger, ...extra });
    const client = await fixtureCall(server, 'cascaded');
    await server.close(1000);
    const callId = String(client.received.json.find((m) => m.type === 'started')?.sessionId);
    return { lines, callId };
  };

  it('tags every line about the call with its id and every line about a turn with the turn id; no words by default', async () => {
    const { lines, callId } = await callWith({});
    const mine = lines.filter((l) => l.callId === callId);
    const messages = mine.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['connected', 'caller started speaking', 'caller stopped speaking', 'transcript', 'reply generated', 'first reply audio', 'closed']));
    // Levels are pino's numbers: the speech start is debug (20), the milestones info (30).
    expect(mine.find((l) => l.msg === 'caller started speaking')?.level).toBe(20);
    expect(mine.find((l) => l.msg === 'transcript')?.level).toBe(30);
    for (const msg of ['caller started speaking', 'caller stopped speaking', 'transcript', 'reply generated', 'first reply audio']) {
      expect(mine.find((l) => l.msg === msg), msg).toMatchObject({ turnId: 'turn-1' });
    }
    expect(mine.find((l) => l.msg === 'transcript')).toMatchObject({ chars: SENTENCE.length });
    expect(mine.find((l) => l.msg === 'closed')).toMatchObject({ closeCode: 1000 });
    // Every line that names a turn also names its call.
    expect(lines.filter((l) => l.turnId !== undefined && l.callId !== callId)).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain('quick brown fox');
  });

  it('puts what was said in the log only when asked to', async () => {
    const { lines } = await callWith({ logCalls: { includeText: true } });
    expect(lines.find((l) => l.msg === 'transcript')).toMatchObject({ text: SENTENCE, turnId: 'turn-1' });
    expect(lines.find((l) => l.msg === 'reply generated')).toMatchObject({ text: expect.stringContaining('Foxes are quick') });
  });

  it('redacts secrets from messages and fields before the logger sees them', async () => {
    const { logger, lines } = memoryLogger();
    const secret = 'sk-proj-ABCDEF1234567890abcdef';
    const server = await serve({
      staticDir: false,
      logger,
      pipelineFactory: () => {
        throw new Error(`provider rejected key ${secret}`);
      },
    });
    const client = await TestClient.open(`${server.url.replace('http', 'ws')}/v1/stream`);
    client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'cascaded' });
    await client.waitFor((m) => m.type === 'error');
    await server.close(500);
    const text = JSON.stringify(lines);
    expect(text).toContain('pipeline failed: provider rejected key [redacted]');
    expect(text).not.toContain(secret);
    expect(lines.find((l) => l.msg.startsWith('pipeline failed'))?.callId).toBeTypeOf('string');
  });
});
