import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWavFile } from '../../src/audio/wav.js';
import { fixturesDir } from '../../src/testing/fixtures.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { serve } from '../../src/server/index.js';
import { fixtureCall, speakFixture, startCall, streamUrl } from './support/fixture-call.js';
import { sandboxPipelineFactory } from './support/real-pipelines.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
const REPLY = 'Foxes are quick. Dogs are lazy.';

describe('cost per call', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: { utterances: [{ transcript: SENTENCE, language: 'en' }], replies: [{ match: 'fox', reply: REPLY }] } });
  });
  afterAll(async () => sandbox?.close());

  it('each turn reports its usage and price to the client, the turn log and /metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-cost-'));
    const server = await serve({ pipelineFactory: await sandboxPipelineFactory(sandbox.url, 'cascaded'), staticDir: false, recording: { dir } });
    const client = await fixtureCall(server, 'cascaded');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    await server.close(1000);

    const cost = client.received.json.find((m) => m.type === 'cost') as Record<string, any> | undefined;
    expect(cost).toMatchObject({ turnId: 'turn-1' });
    const wav = await readWavFile(`${fixturesDir()}/one-sentence.wav`);
    // The audio uploaded is the utterance (speech plus padding), at most the whole fixture.
    expect(cost!.usage.transcribeAudioSeconds).toBeGreaterThan(1);
    expect(cost!.usage.transcribeAudioSeconds).toBeLessThanOrEqual(wav.samples.length / wav.sampleRate + 0.5);
    expect(cost!.usage.reply.inputTokens).toBeGreaterThan(0);
    expect(cost!.usage.reply.outputTokens).toBeGreaterThan(0);
    expect(cost!.usage.ttsCharacters).toBe(REPLY.length);
    expect(cost!.byStage.transcribe).toBeCloseTo((cost!.usage.transcribeAudioSeconds / 60) * 0.006, 10);
    expect(cost!.byStage.tts).toBeCloseTo((REPLY.length / 1000) * 0.05, 10);
    expect(cost!.usd).toBeGreaterThan(0);
    expect(cost!.callUsd).toBeCloseTo(cost!.usd, 12);

    const reply = /rxvoice_cost_usd_total\{stage="reply"\} ([\d.e-]+)/.exec(metrics);
    expect(Number(reply?.[1])).toBeCloseTo(cost!.byStage.reply, 9);
    // The call's total is observed when its pipeline ends, after this scrape; the series exists already.
    expect(metrics).toContain('rxvoice_call_cost_usd_bucket');

    const log = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
    const lines = readFileSync(join(dir, log), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.role === 'cost')).toMatchObject({ turnId: 'turn-1', usd: cost!.usd, callUsd: cost!.callUsd });
  });

  it('a call over its budget hears its reply out, then ends politely (ended + 1000)', async () => {
    const server = await serve({ pipelineFactory: await sandboxPipelineFactory(sandbox.url, 'cascaded'), staticDir: false, limits: { maxCallUsd: 0.000001 } });
    const { client } = await startCall(streamUrl(server), { pipeline: 'cascaded' });
    await speakFixture(client);
    // The caller keeps the line open (silence), as a phone does: the server is the one that ends it.
    const silence = setInterval(() => client.ws.readyState === 1 && client.ws.send(Buffer.alloc(640)), 20);
    const ended = await client.waitFor((m) => m.type === 'ended');
    const closed = await client.closed;
    clearInterval(silence);
    await server.close(1000);

    expect(ended.reason).toBe('call budget exceeded');
    expect(closed.code).toBe(1000);
    const types = client.received.json.map((m) => m.type);
    expect(types.indexOf('assistant.done')).toBeGreaterThan(-1);
    expect(types.indexOf('cost')).toBeLessThan(types.indexOf('ended'));
    expect(client.received.json.filter((m) => m.type === 'error')).toEqual([]);
    // The whole reply was spoken before the hang-up: espeak says it in well over a second at 16 kHz.
    expect(client.received.audioBytes / 32).toBeGreaterThan(1000);
  });
});
