import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Gauge } from 'prom-client';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { HEALTH_PATH, READY_PATH } from '../../src/server/health.js';
import { ServerMetrics } from '../../src/server/metrics.js';

// The deploy/ manifests against the code they describe: probe paths, the drain grace, the HPA metric and
// the CLI flags are read from src/, so a change there that the manifests do not follow fails here.

const root = new URL('../../', import.meta.url);
const read = (rel: string): string => readFileSync(new URL(rel, root), 'utf8');
const k8sDir = 'deploy/kubernetes/';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;
const manifests: { file: string; doc: Obj }[] = readdirSync(new URL(k8sDir, root))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(read(k8sDir + file)).map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return { file, doc: d.toJS() as Obj };
    }),
  );
const ofKind = (kind: string): Obj => {
  const found = manifests.filter((m) => m.doc.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!.doc;
};

/** The flags `rxvoice serve` accepts: the SERVE_OPTIONS table in src/cli/main.ts (not exported). */
function serveOptions(): Record<string, { type: 'string' | 'boolean' }> {
  const block = /const SERVE_OPTIONS: OptionSpec = \{([\s\S]*?)\n\};/.exec(read('src/cli/main.ts'))?.[1];
  if (!block) throw new Error('SERVE_OPTIONS not found in src/cli/main.ts');
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const m of block.matchAll(/'?([a-z-]+)'?: \{ type: '(string|boolean)' \}/g)) options[m[1]!] = { type: m[2] as 'string' | 'boolean' };
  return options;
}

/** The server's default drain grace in seconds: `rxvoice serve --drain-seconds` and `close(deadlineMs)`. */
function defaultDrainSeconds(): number {
  const cli = /numberOption\(opts, 'drain-seconds', (\d+(?:\.\d+)?)/.exec(read('src/cli/serve.ts'))?.[1];
  const server = /async close\(deadlineMs = ([\d_]+)\)/.exec(read('src/server/serve.ts'))?.[1];
  if (!cli || !server) throw new Error('drain default not found in src/cli/serve.ts / src/server/serve.ts');
  expect(Number(server.replace(/_/g, '')) / 1000, 'CLI and server drain defaults').toBe(Number(cli));
  return Number(cli);
}

/** argv after `serve`, checked the way the CLI checks it (node:util parseArgs, strict, no positionals). */
function serveFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  const i = argv.indexOf('serve');
  expect(i, `'serve' in ${argv.join(' ')}`).toBeGreaterThan(0);
  expect(argv.slice(0, i).join(' ')).toMatch(/^(node bin\/rxvoice\.js|npx rxvoice)$/);
  return parseArgs({ args: argv.slice(i + 1), options: serveOptions(), strict: true, allowPositionals: false }).values;
}

function dockerCmd(): string[] {
  const line = read('deploy/Dockerfile').split('\n').find((l) => l.startsWith('CMD '));
  if (!line) throw new Error('no CMD in deploy/Dockerfile');
  return JSON.parse(line.slice(4)) as string[];
}

const deployment = (): Obj => ofKind('Deployment');
const container = (): Obj => deployment().spec.template.spec.containers[0];

describe('deploy/ manifests', () => {
  it('every manifest parses as YAML with apiVersion, kind and a name', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(6);
    for (const { file, doc } of manifests) {
      expect(doc.apiVersion, file).toBeTypeOf('string');
      expect(doc.kind, file).toBeTypeOf('string');
      expect(doc.metadata?.name, file).toBeTypeOf('string');
    }
  });

  it('probes: readiness on /readyz, liveness on /healthz, on the container port', () => {
    const c = container();
    expect(READY_PATH).toBe('/readyz');
    expect(c.readinessProbe.httpGet.path).toBe(READY_PATH);
    expect(c.livenessProbe.httpGet.path).toBe(HEALTH_PATH);
    expect(c.readinessProbe.httpGet.port).toBe(c.ports[0].name);
    expect(c.ports[0].containerPort).toBe(8080);
  });

  it('terminationGracePeriodSeconds covers preStop + the drain the container runs with', () => {
    const drainDefault = defaultDrainSeconds();
    const flags = serveFlags(container().command);
    const drain = flags['drain-seconds'] === undefined ? drainDefault : Number(flags['drain-seconds']);
    const preStop = container().lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('sleep');
    const grace = deployment().spec.template.spec.terminationGracePeriodSeconds as number;
    expect(grace).toBeGreaterThan(drainDefault);
    expect(grace).toBeGreaterThan(Number(preStop[1]) + drain);
  });

  it('secrets come from a Secret via envFrom, never as flags', () => {
    const c = container();
    expect(c.envFrom.some((e: Obj) => typeof e.secretRef?.name === 'string')).toBe(true);
    for (const argv of [c.command as string[], dockerCmd()]) expect(argv).not.toContain('--token');
  });

  it('the HPA scales on the gauge the server exports for live calls', () => {
    const metrics = new ServerMetrics(() => 7);
    const gauges = metrics.registry.getMetricsAsArray().filter((m) => m instanceof Gauge);
    const liveCalls = gauges.map((g) => g.name).filter((n) => n.startsWith('rxvoice_'));
    expect(liveCalls).toEqual(['rxvoice_live_calls']);
    const hpa = ofKind('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef.name).toBe(deployment().metadata.name);
    const pods = (hpa.spec.metrics as Obj[]).find((m) => m.type === 'Pods')!;
    expect(pods.pods.metric.name).toBe(liveCalls[0]);
    // ... and the prometheus-adapter rule serves that name.
    const adapter = parseYaml(ofKind('ConfigMap').data['config.yaml']) as Obj;
    expect(adapter.rules.map((r: Obj) => r.name.as)).toContain(liveCalls[0]);
    expect(adapter.rules[0].seriesQuery).toContain(liveCalls[0]);
  });

  it('/metrics is scraped (pod annotations and a ServiceMonitor on the named port)', () => {
    const annotations = deployment().spec.template.metadata.annotations as Obj;
    expect(annotations['prometheus.io/path']).toBe('/metrics');
    const sm = ofKind('ServiceMonitor');
    expect(sm.spec.endpoints[0].path).toBe('/metrics');
    const services = manifests.filter((m) => m.doc.kind === 'Service').map((m) => m.doc);
    for (const s of services) expect(s.spec.ports.map((p: Obj) => p.name)).toContain(sm.spec.endpoints[0].port);
    expect(ofKind('PodDisruptionBudget').spec.selector).toEqual(deployment().spec.selector);
  });

  it("the Dockerfile's and the Deployment's commands use only flags `rxvoice serve` accepts", () => {
    const help = /serve: `Usage: rxvoice serve([\s\S]*?)`/.exec(read('src/cli/main.ts'))![1]!;
    for (const argv of [dockerCmd(), container().command as string[]]) {
      const values = serveFlags(argv); // throws on an unknown flag or a missing value
      expect(values.host).toBe('0.0.0.0');
      expect(values.port).toBe('8080');
      for (const name of Object.keys(values)) expect(help, `--${name} in the serve help`).toContain(`--${name}`);
    }
    expect(read('deploy/Dockerfile')).toMatch(/^EXPOSE 8080$/m);
    expect(read('deploy/Dockerfile')).toMatch(/^USER node$/m);
    expect(container().command).toContain('--workers');
  });
});

describe('deploy/haproxy.cfg', () => {
  const cfg = read('deploy/haproxy.cfg');
  const lines = new Set(cfg.split('\n').map((l) => l.trim()));

  it('holds the balancing, check, timeout and retry lines the HAProxy drain test runs', () => {
    const tested = /writeFileSync\(\s*cfg,\s*\[([\s\S]*?)\]\.join/.exec(read('test/deploy/haproxy.test.ts'))![1]!;
    const testedLines = [...tested.matchAll(/^\s*'([^'$]*)',/gm)].map((m) => m[1]!.trim());
    const policy = testedLines.filter((l) => /^(mode|timeout|retries|option|retry-on|balance|http-check|default-server)\b/.test(l));
    expect(policy.length).toBeGreaterThan(10);
    for (const l of policy) expect(lines, l).toContain(l);
  });

  it('is valid for haproxy -c (TLS bind swapped for a plain one: no certificate here)', () => {
    try {
      execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    } catch {
      return; // .ci/run installs haproxy; the line check above still ran
    }
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-cfg-'));
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, cfg.replace(/^(\s*bind \S+) ssl .*$/m, '$1'));
    expect(execFileSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' })).toContain('valid');
  });
});
