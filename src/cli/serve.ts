import { serve, signToken } from '../server/index.js';
import type { ParsedOptions } from './main.js';
import { choiceOption, existingFile, portOption, stringOption } from './options.js';
import { UsageError } from './errors.js';
import { openProviders, serverPipelineFactory } from './session.js';

/** `rxvoice serve`: the WebSocket front door (rxvoice protocol, Twilio) and the browser page. */
export async function serveCommand(opts: ParsedOptions): Promise<number> {
  const profile = choiceOption(opts, 'profile', ['typical', 'instant'] as const, 'typical');
  const scenario = existingFile(stringOption(opts, 'scenario'), 'scenario file');
  const token = stringOption(opts, 'token') ?? process.env.RXVOICE_TOKEN;
  const record = stringOption(opts, 'record');
  const drainText = stringOption(opts, 'drain-seconds') ?? '10';
  const drainSeconds = Number(drainText);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0) throw new UsageError(`--drain-seconds must be a number >= 0 (got '${drainText}')`);
  const providers = await openProviders({ profile, ...(scenario ? { scenario } : {}) });
  const server = await serve({
    port: portOption(opts, 8080),
    host: stringOption(opts, 'host') ?? '127.0.0.1',
    pipelineFactory: await serverPipelineFactory(providers.endpoints),
    ...(token ? { auth: { bearerTokens: [token], tokenSecret: token } } : {}),
    ...(record ? { recording: { dir: record } } : {}),
    ...(process.env.TWILIO_AUTH_TOKEN ? { twilio: { authToken: process.env.TWILIO_AUTH_TOKEN } } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(
    [
      providers.description,
      `rxvoice serve listening on ${server.url}`,
      // Browsers cannot set headers on a WebSocket: the page link carries a signed, expiring token instead.
      `  browser page:    ${server.url}/${token ? `?token=${signToken(token, { expiresAt: Date.now() + 12 * 3600_000 })}` : ''}`,
      `  rxvoice stream:  ${server.url.replace(/^http/, 'ws')}/v1/stream`,
      `  Twilio media:    ${server.url.replace(/^http/, 'ws')}/twilio`,
      token ? '  clients must present the token (Authorization: Bearer, or a signed ?token=)' : '  no authentication (set --token or RXVOICE_TOKEN)',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  // From here /readyz answers 503, new calls get 503 + Retry-After, live calls get the `shutdown` notice.
  process.stdout.write(`shutting down: letting live calls finish (${drainSeconds} s at most)\n`);
  await server.close(drainSeconds * 1000);
  await providers.close();
  return 0;
}
