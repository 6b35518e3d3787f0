import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { serve } from '../../src/server/index.js';
import { callOutcome } from '../../src/server/metrics.js';
import type { RunningServer } from '../../src/server/types.js';
import { hangUpAfterReply, speakFixture, startCall, streamUrl } from './support/fixture-call.js';
import { sandboxPipelineFactory } from './support/real-pipelines.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
const TOKEN = 'metrics-test-secret-token-4821';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text exposition: `# TYPE` lines and `name{labels} value` samples. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP')) continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

async function scrape(server: RunningServer) {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('call outcome from the close code', () => {
  it('maps the server\'s close codes to a fixed set', () => {
    expect([1000, 1001, 4408, 1008, 1006, 1005].map(callOutcome)).toEqual(['completed', 'shutdown', 'idle_timeout', 'refused', 'dropped', 'dropped']);
  });
});

describe('/metrics', () => {
  let sandbox: Sandbox;
  let server: RunningServer;

  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: { utterances: [{ transcript: SENTENCE, language: 'en' }], replies: [{ match: 'fox', reply: 'Foxes are quick.' }] },
    });
    server = await serve({
      pipelineFactory: await sandboxPipelineFactory(sandbox.url, 'cascaded'),
      staticDir: false,
      auth: { bearerTokens: [TOKEN] },
      metrics: { providers: { transcribe: 'sandbox-openai', llm: 'sandbox-openai', tts: 'sandbox-elevenlabs' } },
    });
  });

  afterAll(async () => {
    await server?.close(1000);
    await sandbox?.close();
  });

  it('is unauthenticated and counts a real call: started, ended by outcome, first-audio latency, no ids in labels', async () => {
    const before = await scrape(server);
    expect(before.types.get('rxvoice_live_calls')).toBe('gauge');
    expect(before.types.get('rxvoice_calls_started_total')).toBe('counter');
    expect(before.types.get('rxvoice_turn_latency_seconds')).toBe('histogram');
    expect(before.types.get('nodejs_eventloop_lag_p99_seconds')).toBe('gauge');
    expect(value(before.samples, 'rxvoice_calls_started_total') ?? 0).toBe(0);

    const { client, started } = await startCall(streamUrl(server), { pipeline: 'cascaded', headers: { authorization: `Bearer ${TOKEN}` } });
    const sessionId = String(started.sessionId);
    const during = await scrape(server);
    expect(value(during.samples, 'rxvoice_live_calls')).toBe(1);

    await speakFixture(client);
    expect((await hangUpAfterReply(client, { lingerMs: 1000 })).code).toBe(1000);
    // The server's close handler runs once the close handshake ends on its side too.
    let after = await scrape(server);
    for (let i = 0; i < 20 && value(after.samples, 'rxvoice_calls_ended_total', { outcome: 'completed' }) === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await scrape(server);
    }

    expect(client.received.json.filter((m) => m.type === 'error')).toEqual([]);
    expect(value(after.samples, 'rxvoice_calls_started_total', { transport: 'rxvoice' })).toBe(1);
    expect(value(after.samples, 'rxvoice_calls_ended_total', { transport: 'rxvoice', outcome: 'completed' })).toBe(1);
    expect(value(after.samples, 'rxvoice_live_calls')).toBe(0);
    expect(value(after.samples, 'rxvoice_turn_latency_seconds_count', { metric: 'first_audio_out' })).toBeGreaterThanOrEqual(1);
    expect(value(after.samples, 'rxvoice_turn_latency_seconds_count', { metric: 'transcript_final' })).toBeGreaterThanOrEqual(1);
    const firstAudio = value(after.samples, 'rxvoice_turn_latency_seconds_sum', { metric: 'first_audio_out' }) ?? 0;
    expect(firstAudio).toBeGreaterThan(0);
    expect(value(after.samples, 'rxvoice_errors_total') ?? 0).toBe(0);
    // The end-of-turn wait (the 200 ms pause, then the turn detector reads the preview transcript as
    // complete: the instant sandbox answers at once) and the VAD's own batched runs.
    expect(value(after.samples, 'rxvoice_end_of_turn_wait_seconds_count')).toBe(1);
    expect(value(after.samples, 'rxvoice_end_of_turn_wait_seconds_sum')).toBeGreaterThan(0.15);
    expect(value(after.samples, 'rxvoice_vad_batch_seconds_count')).toBeGreaterThan(10);
    expect(value(after.samples, 'rxvoice_dropped_audio_bytes_total') ?? 0).toBe(0);

    const labelValues = after.samples.flatMap((s) => Object.values(s.labels));
    for (const v of labelValues) {
      expect(v).not.toContain(sessionId);
      expect(v).not.toContain(TOKEN);
      expect(v).not.toMatch(/turn-\d/);
    }
  });

  it('counts a retried 429 and a lost utterance by stage, provider and code', async () => {
    sandbox.setScenario({
      utterances: [{ transcript: SENTENCE, language: 'en' }],
      replies: [{ match: 'fox', reply: 'Foxes are quick.' }],
      faults: [{ surface: 'transcribe', request: 1, fault: { kind: 'http_429', retryAfterS: 0.1 } }],
    });
    const { client } = await startCall(streamUrl(server), { pipeline: 'cascaded', headers: { authorization: `Bearer ${TOKEN}` } });
    await speakFixture(client);
    await hangUpAfterReply(client);
    const after = await scrape(server);
    expect(value(after.samples, 'rxvoice_retries_total', { stage: 'transcribe', provider: 'sandbox-openai', code: 'rate_limited' })).toBe(1);
    expect(client.received.json.filter((m) => m.type === 'error')).toEqual([]);
  });
});
