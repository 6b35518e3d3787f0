import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from '../server/support/client.js';
import { until as poll } from '../support/until.js';

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

const workersOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/** Checks every 50 ms, for up to 10 s unless told (a loaded 2-core machine starts workers slowly). */
const until = <T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> => poll(what, probe, { timeoutMs, intervalMs: 50 });

const start = { type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'cascaded' };

describe('rxvoice serve --workers', () => {
  it('shares one port across workers, replaces a crashed one while the other call goes on, drains on SIGTERM', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--workers', '2', '--port', '0', '--profile', 'instant', '--drain-seconds', '2'], {
      env: { ...process.env, OPENAI_API_KEY: '', AZURE_OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '' },
    });
    child = proc;
    let stdout = '';
    proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const listening = (): number[] => [...stderr.matchAll(/worker (\d+) listening on port/g)].map((m) => Number(m[1]));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const url = await until('the banner', () => /listening on (http:\/\/127\.0\.0\.1:\d+) \(2 workers\)/.exec(stdout)?.[1], 30_000);
    const pid = proc.pid!;
    // Both workers listen (the banner comes when the first is up), else round-robin has one choice.
    await until('two listening workers', () => (listening().length === 2 ? true : undefined), 30_000);
    expect(workersOf(pid).sort()).toEqual(listening().sort());
    for (let i = 0; i < 4; i++) expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // The primary hands connections out round-robin: two calls land on two different workers.
    const ws = url.replace('http', 'ws') + '/v1/stream';
    const a = await TestClient.open(ws);
    const b = await TestClient.open(ws);
    a.send(start);
    b.send(start);
    await a.waitFor((m) => m.type === 'started');
    await b.waitFor((m) => m.type === 'started');
    const [first] = workersOf(pid);
    process.kill(first!, 'SIGKILL');
    // Exactly one call dies with its worker; the other one goes on and ends normally.
    const dead = await Promise.race([a.closed.then(() => a), b.closed.then(() => b)]);
    const alive = dead === a ? b : a;
    expect((await dead.closed).code).toBe(1006);
    alive.send({ type: 'stop' });
    await alive.waitFor((m) => m.type === 'ended');
    expect((await alive.closed).code).toBe(1000);

    // A replacement comes up and the port keeps answering.
    await until('a replacement worker', () => {
      const now = workersOf(pid);
      return now.length === 2 && !now.includes(first!) && listening().length === 3 ? true : undefined;
    }, 30_000);
    const c = await TestClient.open(ws);
    c.send(start);
    await c.waitFor((m) => m.type === 'started');

    // SIGTERM: the live call gets the shutdown notice and the process exits cleanly once drained.
    proc.kill('SIGTERM');
    await c.waitFor((m) => m.type === 'shutdown');
    c.send({ type: 'stop' });
    expect((await c.closed).code).toBe(1000);
    expect(await exited).toBe(0);
  }, 60_000);
});
