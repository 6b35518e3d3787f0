import { writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TestClient } from '../server/support/client.js';
import { freePort, requireBinary, spawnChild, spawnServe, tempDir, until as poll } from './support.js';

requireBinary('haproxy', ['-v']);

/** HAProxy's checks run every 300 ms: poll faster than that, for up to 20 s. */
const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> => poll(what, probe, { timeoutMs: 20_000, intervalMs: 50 });

interface Backend {
  proc: ChildProcess;
  port: number;
  connected: () => number;
  exited: Promise<number | null>;
}

async function startBackend(port: number): Promise<Backend> {
  const proc = spawnServe(port, ['--drain-seconds', '8']);
  let stderr = '';
  let stdout = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  await until(`backend on ${port}`, () => (stdout.includes('listening on') ? true : undefined));
  return { proc, port, exited, connected: () => (stderr.match(/"msg":"connected"/g) ?? []).length };
}

/** HAProxy's own view of a backend server (its stats CSV): 'UP', 'DOWN', 'MAINT', ... */
async function serverStatus(stats: string, name: string): Promise<string | undefined> {
  const csv = await (await fetch(`${stats};csv`)).text();
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header!.replace(/^# /, '').split(',');
  const row = rows.map((r) => r.split(',')).find((r) => r[0] === 'be' && r[1] === name);
  return row?.[columns.indexOf('status')];
}

/** A rolling deploy moves on only once the load balancer has the fresh server back in rotation. */
async function untilUp(stats: string, name: string): Promise<void> {
  await until(`haproxy to see ${name} UP`, async () => ((await serverStatus(stats, name)) === 'UP' ? true : undefined));
}

async function startHaproxy(pa: number, pb: number, pf: number, ps: number): Promise<string> {
  const dir = tempDir('rxvoice-haproxy-');
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  maxconn 200',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  timeout tunnel 60s',
      '  retries 3',
      '  option redispatch 1',
      // A call that races the health check onto a draining backend gets 503: HAProxy retries it elsewhere.
      '  retry-on 503 conn-failure empty-response',
      'frontend fe',
      `  bind 127.0.0.1:${pf}`,
      '  default_backend be',
      'backend be',
      '  balance leastconn',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      '  timeout check 1s',
      '  default-server inter 300ms fall 2 rise 1',
      `  server a 127.0.0.1:${pa} check`,
      `  server b 127.0.0.1:${pb} check`,
      'frontend stats',
      `  bind 127.0.0.1:${ps}`,
      '  stats enable',
      '  stats uri /stats',
      '',
    ].join('\n'),
  );
  const haproxy = spawnChild('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  haproxy.stderr!.resume();
  const front = `ws://127.0.0.1:${pf}/v1/stream`;
  await until('haproxy', async () => ((await fetch(`http://127.0.0.1:${pf}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined));
  const stats = `http://127.0.0.1:${ps}/stats`;
  await untilUp(stats, 'a');
  await untilUp(stats, 'b');
  return front;
}

const start = { type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline: 'cascaded' };

async function call(url: string): Promise<TestClient> {
  const c = await TestClient.open(url);
  c.send(start);
  await c.waitFor((m) => m.type === 'started');
  return c;
}

async function hangUp(c: TestClient): Promise<number> {
  c.send({ type: 'stop' });
  await c.waitFor((m) => m.type === 'ended');
  return (await c.closed).code;
}

describe('behind HAProxy (balance leastconn, /readyz checks)', () => {
  it('SIGTERM on one backend mid-call: its live calls complete, new calls land on the other, none fails', async () => {
    const [pa, pb, pf, ps] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const [a, b] = await Promise.all([startBackend(pa), startBackend(pb)]);
    const front = await startHaproxy(pa, pb, pf, ps);

    const first = await Promise.all([0, 1, 2, 3].map(() => call(front)));
    // leastconn spreads the four live calls over both backends (calls that connect at the same instant may
    // land 3 + 1, so the test asks for both in use, not an exact split).
    const aCalls = a.connected();
    expect(aCalls).toBeGreaterThan(0);
    expect(b.connected()).toBeGreaterThan(0);
    expect(aCalls + b.connected()).toBe(4);

    a.proc.kill('SIGTERM');
    // /readyz on `a` answers 503 at once; HAProxy's next two checks (300 ms apart) takes it out of rotation.
    await new Promise((r) => setTimeout(r, 1200));
    const bBefore = b.connected();
    const later = await Promise.all([0, 1, 2].map(() => call(front)));
    expect(a.connected()).toBe(aCalls);
    expect(b.connected()).toBe(bBefore + 3);

    // Every call, on the draining backend or not, ends normally: no error event, close code 1000.
    const codes = await Promise.all([...first, ...later].map(hangUp));
    expect(codes).toEqual(new Array(7).fill(1000));
    for (const c of [...first, ...later]) expect(c.types()).not.toContain('error');
    expect(await a.exited).toBe(0);
  }, 60_000);

  it('rolling restart of both backends under steady call arrivals: zero failed calls', async () => {
    const [pa, pb, pf, ps] = [await freePort(), await freePort(), await freePort(), await freePort()];
    let [a, b] = await Promise.all([startBackend(pa), startBackend(pb)]);
    const front = await startHaproxy(pa, pb, pf, ps);
    const stats = `http://127.0.0.1:${ps}/stats`;
    const results: Promise<number>[] = [];
    const refusals: string[] = [];
    let arriving = true;
    // A new call every 150 ms; each holds for 600 ms, then hangs up.
    const arrivals = (async () => {
      while (arriving) {
        results.push(
          call(front).then(async (c) => {
            await new Promise((r) => setTimeout(r, 600));
            const code = await hangUp(c);
            return c.types().includes('error') ? -1 : code;
          }, (err: unknown) => {
            refusals.push(err instanceof Error ? err.message : String(err));
            return -2;
          }),
        );
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const restart = async (old: Backend, port: number, name: string): Promise<Backend> => {
      await new Promise((r) => setTimeout(r, 800));
      old.proc.kill('SIGTERM');
      expect(await old.exited).toBe(0);
      const fresh = await startBackend(port);
      // As a real rolling deploy (maxUnavailable 0): the next server goes down only once this one is in
      // rotation again. A fixed sleep here raced the health checks on a loaded machine: both out at once.
      await untilUp(stats, name);
      return fresh;
    };
    a = await restart(a, pa, 'a');
    b = await restart(b, pb, 'b');
    arriving = false;
    await arrivals;
    const codes = await Promise.all(results);
    expect(codes.length).toBeGreaterThan(10);
    expect(codes.filter((c) => c !== 1000), refusals.join('\n')).toEqual([]);
    // The restarted `a` took the calls while `b` was down.
    expect(a.connected()).toBeGreaterThan(0);
  }, 60_000);
});
