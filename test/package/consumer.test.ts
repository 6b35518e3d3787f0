/**
 * rxvoice as a stranger installs it: `npm pack`, then `npm install <tarball>` into a fresh project with no
 * `.npmrc` and no npm/onnxruntime environment variables (the npm registry only; the local npm cache is
 * reused so it is fast), then a strict TypeScript consumer of every entry point is compiled and run
 * against the sandbox: one sentence through the cascaded chain.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
/** execFile that puts the command's own output into the error (tsc reports on stdout). */
async function run(file: string, args: string[], options: Parameters<typeof execFileAsync>[2] = {}): Promise<{ stdout: string }> {
  try {
    const { stdout } = await execFileAsync(file, args, { ...options, encoding: 'utf8' });
    return { stdout: String(stdout) };
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}
const repo = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'rxvoice-consumer-'));
const project = join(work, 'project');

/** The environment without npm's own variables (npm test sets npm_config_*), onnxruntime flags or keys. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|ONNXRUNTIME|OPENAI|AZURE_OPENAI|ELEVENLABS|RXVOICE)/iu.test(key)) continue;
    env[key] = value;
  }
  return env;
}

const CONSUMER = `
import { fromWav, MULAW_8K, type AudioFormat, type ChatMessage, type PipelineEvent, type VoiceStyle } from 'rxvoice';
import { vad, sentences, resampleAssistantAudio, turnLog } from 'rxvoice/operators';
import { cascaded, createCascadedProviders, realtimePipeline, type CascadedOptions } from 'rxvoice/pipelines';
import { startSandbox } from 'rxvoice/sandbox';
import { serve } from 'rxvoice/server';
import { marbles } from 'rxvoice/testing';
import { runEvals, loadScenarios } from 'rxvoice/eval';
import { turnDetector, textTurnDetector, type TurnDetector } from 'rxvoice/operators';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type ServeOptions = Parameters<typeof serve>[0];
const unusedServeOptions: ServeOptions | undefined = undefined;
// The neutral option types, as a strict consumer writes them.
const format: AudioFormat = { encoding: 'pcm16', sampleRate: 16000 };
const style: VoiceStyle = { speed: 1, stability: 0.5 };
const history: ChatMessage[] = [{ role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }] }, { role: 'tool', toolCallId: 'c1', content: '{}' }];
const phone: CascadedOptions = { outputFormat: MULAW_8K, voiceStyle: style, bargeIn: { policy: { minWords: 2 }, halfDuplex: true } };
const myDetector: TurnDetector = { name: 'mine', decide: () => ({ done: true, confidence: 1 }) };
void [vad, sentences, resampleAssistantAudio, turnLog, marbles, runEvals, loadScenarios, turnDetector, textTurnDetector, myDetector, unusedServeOptions, createCascadedProviders, realtimePipeline, format, history, phone];

const fixtures = join(dirname(createRequire(import.meta.url).resolve('rxvoice/package.json')), 'fixtures');
const sandbox = await startSandbox({ profile: 'instant' });
const seen: string[] = [];
await new Promise<void>((resolve, reject) => {
  fromWav(join(fixtures, 'one-sentence.wav'))
    .pipe(cascaded({ sandboxURL: sandbox.url, outputFormat: format, voiceStyle: style, turnDetection: { detector: textTurnDetector(), holdSilenceMs: 1000 } }))
    .subscribe({
      next: (event: PipelineEvent) => {
        if (event.type === 'transcript' && event.final) seen.push('caller: ' + event.text);
        if (event.type === 'assistant.done') seen.push('assistant: ' + event.text);
        if (event.type === 'error') seen.push('error: ' + event.message);
      },
      error: reject,
      complete: resolve,
    });
});
await sandbox.close();
console.log(JSON.stringify(seen));
`;

describe('the packed package in a fresh project', () => {
  // The fresh project's node_modules is large: on a loaded machine removing it takes longer than the default hook timeout.
  afterAll(() => rmSync(work, { recursive: true, force: true }), 240_000);

  it('installs from the tarball, typechecks strictly against every entry point and runs a call', async () => {
    const env = cleanEnv();
    // dist/ is built by `npm ci` (prepare); packing without scripts does not rewrite it under other tests' feet.
    const { stdout: packed } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: repo, env, maxBuffer: 64 << 20 });
    const tarball = join(work, (JSON.parse(packed) as Array<{ filename: string }>)[0]!.filename);

    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true,
          exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, outDir: 'out', types: ['node'],
        },
        include: ['index.ts'],
      }),
    );
    writeFileSync(join(project, 'index.ts'), CONSUMER);
    const nodeTypes = (JSON.parse(readFileSync(join(repo, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string }).version;
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `@types/node@${nodeTypes}`], { cwd: project, env, maxBuffer: 64 << 20 });

    const installed = JSON.parse(readFileSync(join(project, 'node_modules/rxvoice/package.json'), 'utf8')) as { version: string };
    const { stdout: version } = await run(join(project, 'node_modules/.bin/rxvoice'), ['--version'], { cwd: project, env });
    expect(version.trim()).toBe(installed.version);

    // The repository's compiler, the consumer's own types and tsconfig.
    await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project, env });
    const { stdout } = await run(process.execPath, ['out/index.js'], { cwd: project, env });
    const seen = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
    expect(seen.some((line) => line.startsWith('caller: ') && line.length > 'caller: '.length)).toBe(true);
    expect(seen.some((line) => line.startsWith('assistant: ') && line.length > 'assistant: '.length)).toBe(true);
    expect(seen.filter((line) => line.startsWith('error: '))).toEqual([]);
  }, 240_000);
});
