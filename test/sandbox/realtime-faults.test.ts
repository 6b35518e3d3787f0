import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LatencyProfile } from '../../src/sandbox/types.js';
import { openRaw, startRealtimeSandbox, upgradeRefusal, type RawSession, type RealtimeSandbox } from './realtime-harness.js';

let sandbox: RealtimeSandbox;
beforeAll(async () => {
  sandbox = await startRealtimeSandbox({ scenario: { defaultReply: 'One two three four five six seven eight nine ten eleven twelve.' } });
});
afterAll(async () => {
  await sandbox.close();
});

const url = (fault?: string, base = sandbox) => `${base.wsURL}/v1/realtime?model=gpt-realtime${fault ? `&fault=${encodeURIComponent(fault)}` : ''}`;

function textTurn(raw: RawSession): void {
  raw.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
  raw.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Count for me' }] } });
  raw.send({ type: 'response.create' });
}

const deltas = (raw: RawSession) => raw.log.events.filter((e) => e.type === 'response.output_text.delta').length;

describe('faults at the upgrade', () => {
  it('http_429 answers 429 with retry-after and the OpenAI rate-limit body', async () => {
    const refused = await upgradeRefusal(url('http_429;retryAfterS=3'), { authorization: 'Bearer sk-abc-123456' });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('3');
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
  });

  it.each([
    ['http_500', 500],
    ['http_503', 503],
  ])('%s answers HTTP %i with no socket', async (fault, status) => {
    const refused = await upgradeRefusal(url(fault), { authorization: 'Bearer sk-abc-123456' });
    expect(refused.status).toBe(status);
    expect(JSON.parse(refused.body)).toHaveProperty('error');
  });

  it('auth (OpenAI route) accepts the upgrade, then closes with 3000 and no event, as OpenAI does', async () => {
    const raw = await openRaw(url('auth'));
    const closed = await raw.closed;
    expect(closed.code).toBe(3000);
    expect(raw.log.types()).toEqual([]);
  });

  it('takes the fault from the x-rxvoice-fault header too', async () => {
    const refused = await upgradeRefusal(url(), { authorization: 'Bearer sk-abc-123456', 'x-rxvoice-fault': 'http_503' });
    expect(refused.status).toBe(503);
  });

  it('applies scenario fault rules to the n-th realtime connection', async () => {
    const ruled = await startRealtimeSandbox({ scenario: { faults: [{ surface: 'realtime', request: 2, fault: { kind: 'http_500' } }] } });
    try {
      const first = await openRaw(url(undefined, ruled));
      first.ws.close();
      const second = await upgradeRefusal(url(undefined, ruled), { authorization: 'Bearer sk-abc-123456' });
      expect(second.status).toBe(500);
      const third = await openRaw(url(undefined, ruled));
      await third.log.waitFor('session.created');
      third.ws.close();
    } finally {
      await ruled.close();
    }
  });
});

describe('faults mid-response', () => {
  it('ws_close closes with 1011 after exactly N deltas, before response.done', async () => {
    const raw = await openRaw(url('ws_close;afterChunks=3'));
    textTurn(raw);
    const closed = await raw.closed;
    expect(closed.code).toBe(1011);
    expect(deltas(raw)).toBe(3);
    expect(raw.log.types()).not.toContain('response.done');
  });

  it('realtime_error sends a server_error event, fails the response, and the session goes on', async () => {
    const raw = await openRaw(url('realtime_error;afterChunks=1'));
    textTurn(raw);
    const error = await raw.log.waitFor('error');
    expect(error.error).toMatchObject({ type: 'server_error', code: 'server_error' });
    const failed = await raw.log.waitFor('response.done');
    expect((failed.response as { status: string }).status).toBe('failed');
    expect(deltas(raw)).toBe(1);
    const mark = raw.log.events.length;
    raw.send({ type: 'response.create' });
    const next = await raw.log.waitFor('response.done', () => true, mark);
    expect((next.response as { status: string }).status).toBe('completed');
    raw.ws.close();
  });

  it('malformed puts one non-JSON text frame mid-response; the response still completes', async () => {
    const raw = await openRaw(url('malformed;afterChunks=2'));
    textTurn(raw);
    const done = await raw.log.waitFor('response.done');
    expect((done.response as { status: string }).status).toBe('completed');
    const bad = raw.log.raw.filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    });
    expect(bad).toHaveLength(1);
    const badIndex = raw.log.raw.indexOf(bad[0]!);
    const before = raw.log.raw.slice(0, badIndex).filter((t) => t.includes('"response.output_text.delta"')).length;
    expect(before).toBe(2);
    raw.ws.close();
  });

  it('stall pauses the deltas for stallMs', async () => {
    const raw = await openRaw(url('stall;stallMs=400;afterChunks=2'));
    const times: number[] = [];
    raw.ws.on('message', (data) => {
      if (String(data).includes('"response.output_text.delta"')) times.push(performance.now());
    });
    textTurn(raw);
    await raw.log.waitFor('response.done');
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[1]).toBeGreaterThanOrEqual(390); // between the 2nd and the 3rd delta
    raw.ws.close();
  });

  it('reset drops the connection without a close frame', async () => {
    const raw = await openRaw(url('reset;afterChunks=1'));
    textTurn(raw);
    const closed = await raw.closed;
    expect(closed.code).toBe(1006);
    expect(deltas(raw)).toBe(1);
  });
});

describe('client mistakes get error events and the session stays open', () => {
  it('invalid JSON, a missing type, an unknown type, a bad append, a bad item', async () => {
    const raw = await openRaw(url());
    await raw.log.waitFor('session.created');
    raw.send('{not json');
    raw.send({ event_id: 'evt_1' });
    raw.send({ type: 'response.explode', event_id: 'evt_2' });
    raw.send({ type: 'input_audio_buffer.append', audio: '***' });
    raw.send({ type: 'conversation.item.create', item: { type: 'message', role: 'robot', content: [] } });
    raw.send({ type: 'conversation.item.create', previous_item_id: 'item_nope', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] } });
    raw.send({ type: 'conversation.item.truncate', item_id: 'item_nope', content_index: 0, audio_end_ms: 0 });
    raw.send({ type: 'session.update', session: { type: 'realtime', instructions: 'still here' } });
    const updated = await raw.log.waitFor('session.updated');
    expect((updated.session as { instructions: string }).instructions).toBe('still here');
    const errors = raw.log.events.filter((e) => e.type === 'error').map((e) => e.error as { code: string; event_id: string | null; param: string | null });
    expect(errors.map((e) => e.code)).toEqual(['invalid_event', 'invalid_event', 'invalid_event', 'invalid_value', 'invalid_value', 'invalid_value', 'invalid_value']);
    expect(errors[1]?.event_id).toBe('evt_1');
    expect(errors[2]?.event_id).toBe('evt_2');
    expect(errors[5]?.param).toBe('previous_item_id');
    raw.ws.close();
  });

  it('conversation.item.create honours previous_item_id ("root" and an existing id)', async () => {
    const raw = await openRaw(url());
    const item = (id: string, text: string, previous?: string) => ({
      type: 'conversation.item.create',
      ...(previous === undefined ? {} : { previous_item_id: previous }),
      item: { id, type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    raw.send(item('item_a', 'a'));
    raw.send(item('item_b', 'b'));
    raw.send(item('item_first', 'first', 'root'));
    raw.send(item('item_mid', 'mid', 'item_a'));
    raw.send(item('item_a', 'duplicate'));
    await raw.log.waitFor('error');
    const added = raw.log.events.filter((e) => e.type === 'conversation.item.added');
    expect(added.map((e) => [(e.item as { id: string }).id, e.previous_item_id])).toEqual([
      ['item_a', null],
      ['item_b', 'item_a'],
      ['item_first', null],
      ['item_mid', 'item_a'],
    ]);
    raw.ws.close();
  });
});

describe('session limits and shutdown', () => {
  it('ends a session at maxSessionMs with session_expired and close 1001', async () => {
    const short = await startRealtimeSandbox({ maxSessionMs: 300 });
    try {
      const raw = await openRaw(url(undefined, short));
      const closed = await raw.closed;
      expect(closed.code).toBe(1001);
      const error = raw.log.events.find((e) => e.type === 'error');
      expect(error?.error).toMatchObject({ type: 'invalid_request_error', code: 'session_expired' });
      expect(closed.reason).toContain('maximum duration');
    } finally {
      await short.close();
    }
  });

  it('close() closes every open session', async () => {
    const own = await startRealtimeSandbox();
    const a = await openRaw(url(undefined, own));
    const b = await openRaw(url(undefined, own));
    await own.close();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
  });
});

const paced: LatencyProfile = {
  name: 'paced',
  transcribe: { afterUploadMs: 0 },
  chat: { firstTokenMs: 0, tokensPerSecond: 0 },
  tts: { firstByteMs: 0, speedFactor: 0 },
  realtime: { responseStartMs: 250, tokensPerSecond: 50, silenceDurationMs: 500 },
};

describe('pacing', () => {
  it('waits responseStartMs before the first delta', async () => {
    const slow = await startRealtimeSandbox({ profile: paced });
    try {
      const raw = await openRaw(url(undefined, slow));
      let createdAt = 0;
      let firstDeltaAt = 0;
      raw.ws.on('message', (data) => {
        const text = String(data);
        if (text.includes('"response.created"')) createdAt = performance.now();
        if (!firstDeltaAt && text.includes('"response.output_text.delta"')) firstDeltaAt = performance.now();
      });
      textTurn(raw);
      await raw.log.waitFor('response.done');
      expect(firstDeltaAt - createdAt).toBeGreaterThanOrEqual(240);
      raw.ws.close();
    } finally {
      await slow.close();
    }
  });
});
