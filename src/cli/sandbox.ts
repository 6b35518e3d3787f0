import { startSandbox } from '../sandbox/index.js';
import type { ParsedOptions } from './main.js';
import { choiceOption, portOption, scenarioFile, stringOption } from './options.js';

/** `rxvoice sandbox`: the provider sandbox as a standalone server, until Ctrl-C. */
export async function sandboxCommand(opts: ParsedOptions): Promise<number> {
  const scenario = scenarioFile(stringOption(opts, 'scenario'));
  const apiKey = stringOption(opts, 'api-key');
  const sandbox = await startSandbox({
    port: portOption(opts, 8787),
    host: stringOption(opts, 'host') ?? '127.0.0.1',
    profile: choiceOption(opts, 'profile', ['typical', 'instant'] as const, 'typical'),
    ...(scenario ? { scenario } : {}),
    ...(apiKey ? { apiKey } : {}),
  });
  process.stdout.write(
    [
      `rxvoice sandbox listening on ${sandbox.url} (a local test double, not a real provider)`,
      `  OpenAI:      OPENAI_BASE_URL=${sandbox.url}/v1   realtime: ${sandbox.url.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`,
      `  Azure:       AZURE_OPENAI_ENDPOINT=${sandbox.url}`,
      `  ElevenLabs:  ELEVENLABS_BASE_URL=${sandbox.url}`,
      apiKey ? '  accepts only the configured key' : '  accepts any non-empty key',
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
