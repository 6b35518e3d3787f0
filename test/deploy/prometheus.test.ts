import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { speechCall } from '../server/support/fixture-call.js';
import { capture, freePort, requireBinary, spawnChild, spawnServe, tempDir, until } from './support.js';

requireBinary('prometheus', ['--version']);

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
    const server = spawnServe(p);
    const serverOut = capture(server);
    await until(`rxvoice serve on ${p}`, () => (serverOut().includes('listening on') ? true : undefined)).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${serverOut()}`);
    });

    const dir = tempDir('rxvoice-prometheus-');
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
    const prometheus = spawnChild('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${q}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
