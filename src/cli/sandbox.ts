import { PROFILE_NAMES } from '../sandbox/profiles.js';
import { startSandbox } from '../sandbox/index.js';
import { UsageError } from './errors.js';
import type { ParsedOptions } from './main.js';
import { choiceOption, portOption, scenarioFile, stringOption } from './options.js';

/** `rxvoice sandbox`: the provider sandbox as a standalone server, until Ctrl-C. */
export async function sandboxCommand(opts: ParsedOptions): Promise<number> {
  const scenario = scenarioFile(stringOption(opts, 'scenario'));
  const apiKey = stringOption(opts, 'api-key');
  const seedText = stringOption(opts, 'seed');
  const seed = seedText === undefined ? undefined : Number(seedText);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed must be an integer (got '${seedText}')`);
  const sandbox = await startSandbox({
    port: portOption(opts, 8787),
    host: stringOption(opts, 'host') ?? '127.0.0.1',
    profile: choiceOption(opts, 'profile', PROFILE_NAMES, 'typical'),
    ...(scenario ? { scenario } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(opts['cheap'] === true ? { cheap: true } : {}),
  });
  process.stdout.write(
    [
      `rxvoice sandbox listening on ${sandbox.url} (a local test double, not a real provider)`,
      `  OpenAI:      OPENAI_BASE_URL=${sandbox.url}/v1   realtime: ${sandbox.url.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`,
      `  Azure:       AZURE_OPENAI_ENDPOINT=${sandbox.url}`,
      `  ElevenLabs:  ELEVENLABS_BASE_URL=${sandbox.url}`,
      apiKey ? '  accepts only the configured key' : '  accepts any non-empty key',
      ...(opts['cheap'] === true ? ['  cheap mode: speech served from memory after its first synthesis'] : []),
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sandbox.close();
  return 0;
}
