import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { registerSecret } from '../../src/errors.js';
import type { PipelineEvent } from '../../src/events.js';
import { turnLog, type TurnLogRecord } from '../../operators/turnLog.js';

const FRAME = { samples: new Int16Array(320), sampleRate: 16000 as const, startMs: 0, seq: 0 };
const dir = mkdtempSync(join(tmpdir(), 'rxvoice-turnlog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const lines = (path: string): TurnLogRecord[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as TurnLogRecord);

function play(script: (at: (ms: number, e: PipelineEvent) => void) => void, endAt: number) {
  const path = join(dir, `log-${++files}.jsonl`);
  const ts = new TestScheduler(() => undefined);
  const events = new Subject<PipelineEvent>();
  const passed: PipelineEvent[] = [];
  const written: { at: number; count: number }[] = [];
  ts.run(() => {
    events.pipe(turnLog(path, { scheduler: ts, settleMs: 1000, now: () => 1_700_000_000_000 + ts.now() })).subscribe((e) => passed.push(e));
    script((ms, e) => void ts.schedule(() => events.next(e), ms));
    // Check what is on disk as the call goes.
    for (let t = 0; t <= endAt; t += 250) ts.schedule(() => written.push({ at: t, count: lines(path).length }), t);
    ts.schedule(() => events.complete(), endAt);
  });
  return { path, passed, written, records: lines(path) };
}

describe('turnLog (JSON Lines, virtual time)', () => {
  it('writes one line per turn when it settles or the next turn starts, and passes every event on', () => {
    const run = play((at) => {
      at(0, { type: 'speech.started', turnId: 'turn-1', audioMs: 0 });
      at(100, { type: 'transcript', turnId: 'turn-1', text: 'What is the weather?', final: true });
      at(150, { type: 'tool.result', turnId: 'turn-1', callId: 'c1', name: 'get_weather', output: '{}', isError: false });
      at(200, { type: 'assistant.done', turnId: 'turn-1', text: 'Sunny.' });
      at(250, { type: 'assistant.audio', turnId: 'turn-1', frame: FRAME });
      at(300, { type: 'metric', turnId: 'turn-1', name: 'first_audio_out', valueMs: 412.4, atMs: 300 });
      at(2000, { type: 'speech.started', turnId: 'turn-2', audioMs: 2000 });
      at(2100, { type: 'error', turnId: 'turn-2', code: 'rate_limited', stage: 'transcribe', message: 'Rate limit', retryable: true, utteranceLost: true });
      at(2200, { type: 'speech.started', turnId: 'turn-3', audioMs: 2200 });
      at(2300, { type: 'transcript', turnId: 'turn-3', text: 'Stop.', final: true });
      at(2350, { type: 'assistant.done', turnId: 'turn-3', text: 'OK, stopping now.' });
      at(2360, { type: 'assistant.audio', turnId: 'turn-3', frame: FRAME });
      at(2400, { type: 'interruption', turnId: 'turn-3', byTurnId: 'turn-4', playedMs: 300, heardText: 'OK,' });
    }, 5000);
    expect(run.passed).toHaveLength(13);
    expect(run.records).toEqual([
      { time: new Date(1_700_000_000_000 + 1300).toISOString(), turnId: 'turn-1', transcript: 'What is the weather?', reply: 'Sunny.', tools: [{ name: 'get_weather', isError: false }], errors: [], metrics: { first_audio_out: 412 } },
      { time: expect.any(String), turnId: 'turn-2', errors: [{ code: 'rate_limited', stage: 'transcribe', message: 'Rate limit', utteranceLost: true }], metrics: {} },
      { time: expect.any(String), turnId: 'turn-3', transcript: 'Stop.', reply: 'OK, stopping now.', interruption: { byTurnId: 'turn-4', playedMs: 300, heardText: 'OK,' }, errors: [], metrics: {} },
    ]);
    // Turn 1 was on disk 1 s after its last event (a metric moved the settle), long before the call ended.
    expect(run.written.find((w) => w.at === 1250)!.count).toBe(0);
    expect(run.written.find((w) => w.at === 1500)!.count).toBe(1);
    // Turn 2 (lost utterance) was written as soon as turn 3 started.
    expect(run.written.find((w) => w.at === 2250)!.count).toBe(2);
    expect(run.written.find((w) => w.at === 3500)!.count).toBe(3);
  });

  it('a reply whose speech starts late is waited for, so its audio metrics land on its line', () => {
    const run = play((at) => {
      at(0, { type: 'speech.started', turnId: 'turn-1', audioMs: 0 });
      at(100, { type: 'transcript', turnId: 'turn-1', text: 'Hello?', final: true });
      at(200, { type: 'assistant.done', turnId: 'turn-1', text: 'Hi there.' });
      // The text-to-speech takes 3 s to its first byte.
      at(3200, { type: 'assistant.audio', turnId: 'turn-1', frame: FRAME });
      at(3200, { type: 'metric', turnId: 'turn-1', name: 'first_audio_out', valueMs: 3100, atMs: 3200 });
    }, 6000);
    expect(run.records).toHaveLength(1);
    expect(run.records[0]!.metrics).toEqual({ first_audio_out: 3100 });
    expect(run.written.find((w) => w.at === 3000)!.count).toBe(0);
    expect(run.written.find((w) => w.at === 4250)!.count).toBe(1);
  });

  it('a late interruption for a written turn adds an update line', () => {
    const run = play((at) => {
      at(0, { type: 'speech.started', turnId: 'turn-1', audioMs: 0 });
      at(100, { type: 'transcript', turnId: 'turn-1', text: 'Tell me a story.', final: true });
      at(200, { type: 'assistant.done', turnId: 'turn-1', text: 'Once upon a time there was a long story.' });
      at(210, { type: 'assistant.audio', turnId: 'turn-1', frame: FRAME });
      at(3000, { type: 'interruption', turnId: 'turn-1', byTurnId: 'turn-2', playedMs: 2500, heardText: 'Once upon a time' });
    }, 5000);
    expect(run.records.map((r) => [r.turnId, r.update, r.interruption?.heardText])).toEqual([
      ['turn-1', undefined, undefined],
      ['turn-1', true, 'Once upon a time'],
    ]);
  });

  it('redacts keys that reach an error message', () => {
    registerSecret('sk-turnlog-SECRET-0123456789');
    const run = play((at) => {
      at(0, { type: 'speech.started', turnId: 'turn-1', audioMs: 0 });
      at(10, { type: 'error', turnId: 'turn-1', code: 'auth', stage: 'llm', message: 'bad key sk-turnlog-SECRET-0123456789', retryable: false });
    }, 2000);
    expect(readFileSync(run.path, 'utf8')).not.toContain('SECRET');
    expect(run.records[0]!.errors[0]!.message).toContain('[redacted]');
  });

  it('an unwritable path is an error event, and the call goes on', () => {
    const events = new Subject<PipelineEvent>();
    const out: PipelineEvent[] = [];
    events.pipe(turnLog(join(dir, 'no-such-dir', 'x.jsonl'))).subscribe((e) => out.push(e));
    events.next({ type: 'speech.started', turnId: 'turn-1', audioMs: 0 });
    events.complete();
    expect(out[0]).toMatchObject({ type: 'error', code: 'internal', stage: 'pipeline', message: expect.stringContaining('turn log') });
    expect(out[1]).toMatchObject({ type: 'speech.started' });
  });
});

describe('turnLog crash safety', () => {
  it('a process killed mid-call loses at most the turn in progress', () => {
    const path = join(dir, 'crash.jsonl');
    const child = fileURLToPath(new URL('./support/turnlog-child.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', child, path], { encoding: 'utf8', timeout: 30_000 });
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toContain('crashing');
    // Every line on disk is whole JSON; turns 1 and 2 are complete; turn 3 (in progress) is the only loss.
    const records = lines(path);
    expect(records.map((r) => [r.turnId, r.transcript, r.reply, r.metrics.first_audio_out])).toEqual([
      ['turn-1', 'utterance 1', 'reply 1', 401],
      ['turn-2', 'utterance 2', 'reply 2', 402],
    ]);
  });
});

describe('turnLog on a real call', () => {
  it('cascaded() against the sandbox with a lost first utterance: one line per turn, the loss named', async () => {
    const { startSandbox } = await import('../../src/sandbox/index.js');
    const { cascaded } = await import('../../pipelines/cascaded.js');
    const { resolveEndpoints } = await import('../../src/providers/env.js');
    const { callTurnByTurn, fixtureTurns } = await import('./support/call.js');
    const sandbox = await startSandbox({
      profile: 'instant',
      scenario: {
        utterances: [{ transcript: "What's the weather like in Paris today?" }, { transcript: 'Can you book me a table for two at eight?' }],
        replies: [{ match: 'table', reply: 'Done, booked at eight.' }, { match: 'weather', reply: 'Sunny.' }],
        faults: [{ surface: 'transcribe', request: 1, count: 3, fault: { kind: 'http_500' } }],
      },
    });
    try {
      const path = join(dir, 'real-call.jsonl');
      const { turns } = await fixtureTurns('call-3turns');
      await callTurnByTurn(turns.slice(0, 2), (frames) =>
        frames.pipe(cascaded({ endpoints: resolveEndpoints({}, sandbox.url), callId: 'turnlog-real', bargeIn: false }), turnLog(path, { settleMs: 300 })),
      );
      const records = lines(path);
      expect(records.map((r) => r.turnId)).toEqual(['turn-1', 'turn-2']);
      expect(records[0]).toMatchObject({ errors: [{ code: 'provider_error', stage: 'transcribe', utteranceLost: true }] });
      expect(records[0]!.transcript).toBeUndefined();
      // The sandbox's scenario does not advance on refused requests: turn 2 is heard as the first sentence.
      expect(records[1]).toMatchObject({ transcript: "What's the weather like in Paris today?", reply: 'Sunny.', errors: [] });
      expect(records[1]!.metrics.first_audio_out).toBeGreaterThan(0);
    } finally {
      await sandbox.close();
    }
  });
});
