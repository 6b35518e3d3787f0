import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { synthesizeSpeech } from '../../src/sandbox/speech.js';
import { loadRecording } from '../../src/eval/recording.js';
import { pcmBytes, TestClient } from '../server/support/client.js';
import { launchChromium, parseJUnit, rxvoice } from './support.js';
import { until } from '../support/until.js';

let server: ChildProcess | undefined;
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(() => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
});

/** Two caller turns spoken by espeak-ng, 6 s apart (room for any reply to play out before the next turn). */
async function callerAudio(): Promise<Int16Array> {
  const silence = (ms: number) => new Int16Array(16 * ms);
  const parts = [
    silence(500),
    (await synthesizeSpeech("What's the weather like in Paris today?", 16000)).samples,
    silence(6000),
    (await synthesizeSpeech("Thanks, that's all.", 16000)).samples,
    silence(2000),
  ];
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** `rxvoice serve --record`, one two-turn call streamed into it at real time, then SIGTERM (which finishes the recording). */
async function recordCall(dir: string): Promise<void> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--workers', '1', '--port', '0', '--profile', 'instant', '--log-level', 'silent',
      '--scenario', 'test/eval/fixtures/serve-scenario.json', '--record', dir],
    { env: { ...process.env, OPENAI_API_KEY: '', AZURE_OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '' } },
  );
  server = proc;
  let stdout = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const url = await until('the banner', () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]);
  const samples = await callerAudio();
  const client = await TestClient.open(`${url.replace('http', 'ws')}/v1/stream`);
  client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'cascaded' });
  await client.waitFor((m) => m.type === 'started');
  // 20 ms pieces on a fixed schedule (timer lateness does not add up): the caller speaks at real time.
  const bytes = pcmBytes(samples);
  const t0 = performance.now();
  for (let k = 0, offset = 0; offset < bytes.length; k++, offset += 640) {
    const wait = t0 + (k + 1) * 20 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    client.ws.send(bytes.subarray(offset, offset + 640));
  }
  await until('two replies', () => (client.received.json.filter((m) => m.type === 'assistant.done').length >= 2 ? true : undefined));
  await new Promise((r) => setTimeout(r, 2500)); // the last reply plays out
  client.send({ type: 'stop' });
  await client.closed;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
}

describe('rxvoice eval --replay', () => {
  it('a call recorded by rxvoice serve --record replays into the same agent without differences, and into a changed one with them named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-replay-'));
    await recordCall(dir);
    const logs = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    expect(logs).toHaveLength(1);
    const recording = await loadRecording({ wav: join(dir, logs[0]!.replace('.jsonl', '.wav')), log: join(dir, logs[0]!) });
    expect(recording.turns.map((t) => [t.turnId, t.transcript])).toEqual([
      ['turn-1', "What's the weather like in Paris today?"],
      ['turn-2', "Thanks, that's all."],
    ]);
    expect(recording.turns.map((t) => t.reply)).toEqual(['Sunny.', 'Goodbye!']);
    expect(recording.turns.some((t) => t.interrupted)).toBe(false);
    const id = recording.id;

    // Same agent: every turn, transcript and tool matches; timings within the tolerance (load on a shared
    // machine moves them, hence a wide one here).
    const same = await rxvoice(['eval', '--replay', dir, '--agent', 'test/eval/fixtures/replay-same.yaml', '--tolerance-ms', '2000']);
    expect(same.stderr).toBe('');
    expect(same.stdout).not.toMatch(/^FAIL/m);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(new RegExp(`^PASS replay ${id} \\(2 turns`, 'm'));
    expect(same.stdout).toContain('1/1 scenarios passed, 2/2 turns passed');

    // Changed agent: turn 1 now calls a tool the recording did not; turn 2 is unchanged.
    const junit = join(dir, 'replay.xml');
    const changed = await rxvoice(['eval', '--replay', join(dir, logs[0]!), '--agent', 'test/eval/fixtures/replay-changed.yaml', '--tolerance-ms', '2000', '--junit', junit]);
    expect(changed.code).toBe(1);
    const failures = changed.stdout.split('\n').filter((l) => l.startsWith(`FAIL replay ${id}, `));
    expect(failures).toEqual([
      `FAIL replay ${id}, turn 1 (turn-1): tools: expected no tool call (as recorded), measured get_weather({"city":"Paris"})`,
    ]);
    const report = await parseJUnit(browser, readFileSync(junit, 'utf8'));
    expect(report.parseError).toBeUndefined();
    expect(report).toMatchObject({ tests: 2, failures: 1 });
  }, 240_000); // three real-time calls of 12 s, each in its own process
});
