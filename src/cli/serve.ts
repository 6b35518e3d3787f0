import { PROFILE_NAMES } from '../sandbox/profiles.js';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { serve, signToken } from '../server/index.js';
import { SELF_ORIGIN } from '../server/security.js';
import { superviseWorkers } from '../server/cluster.js';
import { stageModels } from '../providers/defaults.js';
import { stageProviders, type ProviderEndpoints } from '../providers/env.js';
import type { ParsedOptions } from './main.js';
import { choiceOption, portOption, scenarioFile, stringOption } from './options.js';
import { UsageError } from './errors.js';
import { openProviders, serverPipelineFactory } from './session.js';
import { cliLogger } from './logger.js';
import { cliTracing } from './tracing.js';

/** The primary hands its provider endpoints to workers here, so N workers share one sandbox. */
const ENDPOINTS_ENV = 'RXVOICE_WORKER_ENDPOINTS';

function numberOption(opts: ParsedOptions, name: string, fallback: number, min: number, integer: boolean): number {
  const text = stringOption(opts, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min} (got '${text}')`);
  }
  return n;
}

/** `rxvoice serve`: the WebSocket front door (rxvoice protocol, Twilio) and the browser page. */
export async function serveCommand(opts: ParsedOptions): Promise<number> {
  const profile = choiceOption(opts, 'profile', PROFILE_NAMES, 'typical');
  const scenario = scenarioFile(stringOption(opts, 'scenario'));
  const token = stringOption(opts, 'token') ?? process.env.RXVOICE_TOKEN;
  const record = stringOption(opts, 'record');
  const drainSeconds = numberOption(opts, 'drain-seconds', 10, 0, false);
  const workers = numberOption(opts, 'workers', availableParallelism(), 1, true);
  const maxLagMs = numberOption(opts, 'max-lag-ms', 200, 1, false);
  const port = portOption(opts, 8080);
  const host = stringOption(opts, 'host') ?? '127.0.0.1';
  const maxSessions = numberOption(opts, 'max-sessions', 100, 1, true);
  const maxCallUsd = stringOption(opts, 'max-call-usd') === undefined ? undefined : numberOption(opts, 'max-call-usd', 0, 0, false);
  const publicUrl = stringOption(opts, 'public-url');
  const logger = cliLogger(opts);

  if (cluster.isPrimary && workers > 1) {
    // One sandbox (when no keys are set) in the primary; each worker runs its own pipelines and VAD.
    const providers = await openProviders({ profile, ...(scenario ? { scenario } : {}) });
    cluster.once('listening', (_worker, address) => {
      process.stdout.write(banner(providers.description, `http://${host}:${address.port}`, token, workers));
    });
    const code = await superviseWorkers({
      workers,
      drainMs: drainSeconds * 1000,
      env: { [ENDPOINTS_ENV]: JSON.stringify(providers.endpoints) },
      log: (line) => logger.info({ role: 'primary' }, line),
    });
    await providers.close();
    return code;
  }

  const shared = process.env[ENDPOINTS_ENV];
  const providers = shared
    ? { endpoints: JSON.parse(shared) as ProviderEndpoints, description: '', close: async () => {} }
    : await openProviders({ profile, ...(scenario ? { scenario } : {}) });
  const tracing = await cliTracing(process.env, (line) => logger.warn({}, line));
  const server = await serve({
    port,
    host,
    pipelineFactory: await serverPipelineFactory(providers.endpoints),
    limits: { maxEventLoopLagMs: maxLagMs, maxSessions, ...(maxCallUsd === undefined ? {} : { maxCallUsd }) },
    metrics: { providers: stageProviders(providers.endpoints) },
    models: stageModels(providers.endpoints),
    ...(tracing.tracerProvider ? { tracing: { tracerProvider: tracing.tracerProvider } } : {}),
    ...(token ? { auth: { bearerTokens: [token], tokenSecret: token } } : {}),
    ...originsOption(stringOption(opts, 'allow-origin'), token !== undefined),
    ...(record ? { recording: { dir: record } } : {}),
    ...twilioOption(process.env.TWILIO_AUTH_TOKEN, publicUrl),
    logger,
  });
  if (cluster.isPrimary) process.stdout.write(banner(providers.description, server.url, token, 1));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  // From here /readyz answers 503, new calls get 503 + Retry-After, live calls get the `shutdown` notice.
  if (cluster.isPrimary) process.stdout.write(`shutting down: letting live calls finish (${drainSeconds} s at most)\n`);
  await server.close(drainSeconds * 1000);
  await tracing.shutdown();
  await providers.close();
  return 0;
}

/** Twilio signs the URL it dialled: behind a proxy that is `--public-url`, not what Node sees. */
function twilioOption(authToken: string | undefined, publicUrl: string | undefined): { twilio?: { authToken: string; publicBaseUrl?: string } } {
  if (!authToken) return {};
  return { twilio: { authToken, ...(publicUrl ? { publicBaseUrl: publicUrl } : {}) } };
}

/**
 * With a token, a leaked signed link must not open sockets from any web page: the allow-list defaults to
 * the server's own origin. `--allow-origin` adds origins (comma-separated); without a token it alone limits.
 */
function originsOption(extra: string | undefined, withToken: boolean): { allowedOrigins?: string[] } {
  const listed = (extra ?? '').split(',').map((o) => o.trim()).filter((o) => o.length > 0);
  if (withToken) return { allowedOrigins: [SELF_ORIGIN, ...listed] };
  return listed.length > 0 ? { allowedOrigins: listed } : {};
}

function banner(description: string, url: string, token: string | undefined, workers: number): string {
  return [
    description,
    `rxvoice serve listening on ${url}${workers > 1 ? ` (${workers} workers)` : ''}`,
    // Browsers cannot set headers on a WebSocket: the page link carries a signed, expiring token instead.
    `  browser page:    ${url}/${token ? `?token=${signToken(token, { expiresAt: Date.now() + 12 * 3600_000 })}` : ''}`,
    `  rxvoice stream:  ${url.replace(/^http/, 'ws')}/v1/stream`,
    `  Twilio media:    ${url.replace(/^http/, 'ws')}/twilio`,
    token ? '  clients must present the token (Authorization: Bearer, or a signed ?token=)' : '  no authentication (set --token or RXVOICE_TOKEN)',
    '',
  ].join('\n');
}
