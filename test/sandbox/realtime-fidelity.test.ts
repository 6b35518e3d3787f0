import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRaw, startRealtimeSandbox, type RealtimeSandbox, type Received } from './realtime-harness.js';

/** Shapes the sandbox must share with the real realtime API (sources cited in src/sandbox/realtime/*). */
let sandbox: RealtimeSandbox;
beforeAll(async () => {
  sandbox = await startRealtimeSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const betaHeaders = { authorization: 'Bearer sk-sandbox-test-key', 'openai-beta': 'realtime=v1' };

async function textReply(url: string, headers?: Record<string, string>, output: 'audio' | 'text' = 'audio') {
  const raw = await openRaw(url, headers);
  await raw.log.waitFor('session.created');
  const modalities = headers?.['openai-beta'] ? { modalities: output === 'audio' ? ['text', 'audio'] : ['text'] } : { output_modalities: [output] };
  raw.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] } });
  raw.send({ type: 'response.create', response: modalities });
  await raw.log.waitFor('response.done');
  return raw;
}

const itemsOf = (events: readonly Received[]): Record<string, unknown>[] =>
  events.flatMap((e) => (typeof e.item === 'object' && e.item !== null ? [e.item as Record<string, unknown>] : []));

describe('GA shapes', () => {
  it('content parts are audio/text, items have no object field, transcript deltas carry obfuscation', async () => {
    const raw = await textReply(`${sandbox.wsURL}/v1/realtime?model=gpt-realtime`);
    const added = await raw.log.waitFor('response.content_part.added');
    const done = await raw.log.waitFor('response.content_part.done');
    expect((added.part as { type: string }).type).toBe('audio');
    expect((done.part as { type: string }).type).toBe('audio');
    const items = itemsOf(raw.log.events);
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item).not.toHaveProperty('object');
    // Item content keeps the GA names.
    const output = (raw.log.events.find((e) => e.type === 'response.done')?.response as { output: { content: { type: string }[] }[] }).output;
    expect(output[0]?.content[0]?.type).toBe('output_audio');
    const deltas = raw.log.events.filter((e) => e.type === 'response.output_audio_transcript.delta');
    expect(deltas.length).toBeGreaterThan(0);
    for (const delta of deltas) expect(typeof delta.obfuscation).toBe('string');
    raw.ws.close();
  });

  it('text replies name the content part text', async () => {
    const raw = await textReply(`${sandbox.wsURL}/v1/realtime?model=gpt-realtime`, undefined, 'text');
    const added = await raw.log.waitFor('response.content_part.added');
    expect(added.part).toEqual({ type: 'text', text: '' });
    raw.ws.close();
  });

  it('the session object carries truncation, and session.update changes it', async () => {
    const raw = await openRaw(`${sandbox.wsURL}/v1/realtime?model=gpt-realtime`);
    const created = await raw.log.waitFor('session.created');
    expect((created.session as { truncation: unknown }).truncation).toBe('auto');
    raw.send({ type: 'session.update', session: { type: 'realtime', truncation: { type: 'retention_ratio', retention_ratio: 0.5 } } });
    const updated = await raw.log.waitFor('session.updated');
    expect((updated.session as { truncation: unknown }).truncation).toEqual({ type: 'retention_ratio', retention_ratio: 0.5 });
    raw.send({ type: 'session.update', session: { type: 'realtime', truncation: 'sometimes' } });
    const error = await raw.log.waitFor('error');
    expect((error.error as { param: string }).param).toBe('session.truncation');
    raw.ws.close();
  });

  it('rate_limits.updated comes as the response starts, with requests and tokens', async () => {
    const raw = await textReply(`${sandbox.wsURL}/v1/realtime?model=gpt-realtime`);
    const types = raw.log.types();
    const limits = types.indexOf('rate_limits.updated');
    expect(limits).toBeGreaterThan(types.indexOf('response.created'));
    expect(limits).toBeLessThan(types.indexOf('response.output_item.added'));
    expect(types.filter((t) => t === 'rate_limits.updated')).toHaveLength(1);
    const event = raw.log.events[limits] as unknown as { rate_limits: { name: string; limit: number; remaining: number; reset_seconds: number }[] };
    expect(event.rate_limits.map((l) => l.name)).toEqual(['requests', 'tokens']);
    for (const limit of event.rate_limits) {
      expect(limit.remaining).toBeLessThan(limit.limit);
      expect(limit.reset_seconds).toBeGreaterThan(0);
    }
    expect((raw.log.events.find((e) => e.type === 'response.created')?.response as object)).not.toHaveProperty('temperature');
    raw.ws.close();
  });

  it('input transcription deltas carry obfuscation', async () => {
    const raw = await openRaw(`${sandbox.wsURL}/v1/realtime?intent=transcription`, { authorization: 'Bearer sk-abc-123456', 'x-rxvoice-call': 'fidelity-call' });
    await raw.log.waitFor('session.created');
    raw.send({ type: 'session.update', session: { type: 'transcription', audio: { input: { transcription: { model: 'gpt-4o-transcribe' }, turn_detection: null } } } });
    await raw.log.waitFor('session.updated');
    raw.send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(48 * 300).toString('base64') });
    raw.send({ type: 'input_audio_buffer.commit' });
    const delta = await raw.log.waitFor('conversation.item.input_audio_transcription.delta');
    expect(typeof delta.obfuscation).toBe('string');
    raw.ws.close();
  });
});

describe('beta shapes', () => {
  it('items carry object "realtime.item", response objects carry temperature, parts keep their names', async () => {
    const raw = await textReply(`${sandbox.wsURL}/v1/realtime?model=gpt-4o-realtime-preview`, betaHeaders);
    const items = itemsOf(raw.log.events);
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item.object).toBe('realtime.item');
    for (const type of ['response.created', 'response.done']) {
      const response = raw.log.events.find((e) => e.type === type)?.response as { temperature?: unknown; output: { object?: string }[] };
      expect(response.temperature).toBe(0.8);
      for (const item of response.output) expect(item.object).toBe('realtime.item');
    }
    const added = await raw.log.waitFor('response.content_part.added');
    expect((added.part as { type: string }).type).toBe('audio');
    raw.ws.close();
  });
});
