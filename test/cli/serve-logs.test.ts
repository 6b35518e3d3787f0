import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureCall } from '../server/support/fixture-call.js';
import type { RunningServer } from '../../src/server/types.js';

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

async function until<T>(what: string, probe: () => T | undefined, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('rxvoice serve --log-level', () => {
  it('writes JSON lines on stderr (not a terminal) with call and turn ids; stdout keeps the human banner', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--workers', '1', '--port', '0', '--profile', 'instant', '--log-level', 'debug'], {
      env: { ...process.env, OPENAI_API_KEY: '', AZURE_OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '' },
    });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await until('the banner', () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]);
    const server = { url } as RunningServer;
    const client = await fixtureCall(server, 'cascaded');
    const callId = client.received.json.find((m) => m.type === 'started')?.sessionId;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;

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
