import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureCall } from '../server/support/fixture-call.js';
import type { RunningServer } from '../../src/server/types.js';
import { startOtlpCollector } from '../support/otlp-collector.js';
import { until } from '../support/until.js';

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});


/** `rxvoice serve` on the sandbox, one fixture call through it, then SIGTERM; what it wrote. */
async function callThroughCli(args: string[], env: Record<string, string> = {}) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--workers', '1', '--port', '0', '--profile', 'instant', ...args], {
    env: { ...process.env, OPENAI_API_KEY: '', AZURE_OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '', ...env },
  });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await until('the banner', () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1], { intervalMs: 50 });
  const client = await fixtureCall({ url } as RunningServer, 'cascaded');
  const callId = String(client.received.json.find((m) => m.type === 'started')?.sessionId);
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
  return { proc, stdout, stderr, callId };
}

describe('rxvoice serve telemetry', () => {
  it('--log-level: JSON lines on stderr (not a terminal) with call and turn ids; stdout keeps the human banner', async () => {
    const { proc, stdout, stderr, callId } = await callThroughCli(['--log-level', 'debug']);

    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines) expect(line).toMatchObject({ level: expect.any(Number), time: expect.any(Number), pid: proc.pid, msg: expect.any(String) });
    const turnLines = lines.filter((l) => l.turnId === 'turn-1');
    expect(turnLines.map((l) => l.msg)).toEqual(expect.arrayContaining(['caller started speaking', 'transcript', 'reply generated']));
    for (const line of turnLines) expect(line.callId).toBe(callId);
    expect(lines.some((l) => l.level === 20)).toBe(true); // --log-level debug lets debug lines through
    expect(stdout).toContain('rxvoice serve listening on');
    expect(stdout).not.toContain('"level"');
  });
});

describe('rxvoice serve traces', () => {
  it('exports the call\'s spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const collector = await startOtlpCollector();
    const { callId } = await callThroughCli([], { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'voice-test' });
    await collector.close();
    const text = collector.bodies.join('\n');
    expect(text).toContain('"rxvoice.call"');
    expect(text).toContain('"rxvoice.chat"');
    expect(text).toContain(callId);
    expect(text).toContain('voice-test');
    expect(text).toContain('gpt-4o-mini');
  });
});
