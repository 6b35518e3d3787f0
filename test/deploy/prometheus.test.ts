import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { speechCall } from '../server/support/client.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const hasPrometheus = (() => {
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasPrometheus) throw new Error('prometheus is not installed: .ci/run installs Debian\'s prometheus package');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err; // connection refused while the process starts: try again
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
}

/** Captures a child's output so a failure can say what the process printed. */
function capture(proc: ChildProcess): () => string {
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return () => out;
}

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** One instant PromQL query through Prometheus's HTTP API: its vector result. */
async function query(base: string, promql: string): Promise<Sample[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Sample[] } };
  if (body.status !== 'success' || !body.data) throw new Error(`query ${promql} failed: ${body.error ?? res.status}`);
  if (body.data.resultType !== 'vector') throw new Error(`query ${promql}: expected a vector, got ${body.data.resultType}`);
  return body.data.result;
}

/** The single value of a query, or undefined while Prometheus has no sample for it yet. */
async function scalar(base: string, promql: string): Promise<number | undefined> {
  const result = await query(base, promql);
  return result.length === 1 ? Number(result[0]!.value[1]) : undefined;
}

interface Target {
  readonly labels: Record<string, string>;
  readonly scrapeUrl: string;
  readonly health: string;
  readonly lastError: string;
}

describe('scraped by a real Prometheus server', () => {
  it('scrapes rxvoice serve and answers PromQL about a call that ran through it', async () => {
    const [p, q] = [await freePort(), await freePort()];
    // Keys emptied: the CLI starts its sandbox providers. The lag gate is out of the way, as in
    // haproxy.test.ts: a fresh process's first call can block its loop for over a second on 2 cores.
    const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--workers', '1', '--port', String(p), '--profile', 'instant', '--max-lag-ms', '10000'], {
      env: { ...process.env, OPENAI_API_KEY: '', AZURE_OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '' },
    });
    children.push(server);
    const serverOut = capture(server);
    await until(`rxvoice serve on ${p}`, () => (serverOut().includes('listening on') ? true : undefined)).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${serverOut()}`);
    });

    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-prometheus-'));
    dirs.push(dir);
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: rxvoice',
        '    metrics_path: /metrics',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${p}']`,
        '',
      ].join('\n'),
    );
    const prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${q}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(prometheus);
    const prometheusOut = capture(prometheus);
    const base = `http://127.0.0.1:${q}`;
    const explain = (err: unknown): never => {
      throw new Error(`${String(err)}\n--- prometheus:\n${prometheusOut().slice(-3000)}\n--- rxvoice:\n${serverOut().slice(-3000)}`);
    };

    // Before any call: scraped, up, the gauge is there and the latency histogram is zeroed.
    await until('up{job="rxvoice"} == 1', async () => ((await scalar(base, 'up{job="rxvoice"}')) === 1 ? true : undefined)).catch(explain);
    expect(await scalar(base, 'sum(rxvoice_turn_latency_seconds_count)')).toBe(0);

    const call = await speechCall(`ws://127.0.0.1:${p}/v1/stream`);
    expect(call).toEqual({ code: 1000, replies: 1 });

    // A second or two later the next scrapes carry the call: counted once, and its turn's latencies observed.
    await until('sum(rxvoice_calls_started_total) == 1', async () => ((await scalar(base, 'sum(rxvoice_calls_started_total)')) === 1 ? true : undefined)).catch(explain);
    const observed = await until('turn latency observations', async () => {
      const n = await scalar(base, 'sum(rxvoice_turn_latency_seconds_count)');
      return n !== undefined && n > 0 ? n : undefined;
    }).catch(explain);
    expect(observed).toBeGreaterThan(0);
    const ended = await until('the call counted as ended', () => scalar(base, 'sum(rxvoice_calls_ended_total{outcome="completed"})')).catch(explain);
    expect(ended).toBe(1);
    const live = await query(base, 'rxvoice_live_calls');
    expect(live).toHaveLength(1);
    expect(live[0]!.metric).toMatchObject({ job: 'rxvoice', instance: `127.0.0.1:${p}` });
    expect(Number(live[0]!.value[1])).toBe(0);
    expect(await scalar(base, 'up{job="rxvoice"}')).toBe(1);

    // Prometheus's own view of the target: healthy, scraped from /metrics, no error.
    const targets = (await (await fetch(`${base}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: Target[] } };
    const ours = targets.data.activeTargets.filter((t) => t.labels.job === 'rxvoice');
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ health: 'up', lastError: '', scrapeUrl: `http://127.0.0.1:${p}/metrics` });

    prometheus.kill('SIGTERM');
    server.kill('SIGTERM');
  }, 90_000);
});
