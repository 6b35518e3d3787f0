import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWav } from '../../src/audio/wav.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI the way a user does: a separate process, arguments, exit code, output. */
function rxvoice(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, OPENAI_API_KEY: '', AZURE_OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const rms = (samples: Int16Array): number => Math.sqrt(samples.reduce((s, x) => s + x * x, 0) / Math.max(1, samples.length));

describe('rxvoice CLI', () => {
  it('run: prints the scenario transcript and the reply, and writes a WAV with the reply speech in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-cli-'));
    const scenario = join(dir, 'scenario.json');
    writeFileSync(
      scenario,
      JSON.stringify({
        utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.', language: 'en' }],
        replies: [{ match: 'fox', reply: 'Foxes are quick indeed. Dogs are lazier.' }],
      }),
    );
    const out = join(dir, 'reply.wav');
    const run = await rxvoice(['run', '--in', 'fixtures/one-sentence.wav', '--profile', 'instant', '--scenario', scenario, '--out', out]);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^providers: .*sandbox/);
    expect(run.stdout).toContain('caller   : The quick brown fox jumps over the lazy dog.');
    expect(run.stdout).toContain('assistant: Foxes are quick indeed. Dogs are lazier.');
    expect(run.stdout).toMatch(/turn-1 .* \d+ ms/);

    const wav = parseWav(readFileSync(out), out);
    expect(wav.channels).toBe(2);
    // parseWav downmixes; the reply sits after the caller's speech ends (3.2 s), so that part is the reply.
    const afterCaller = wav.samples.subarray(Math.round(3.6 * wav.sampleRate));
    expect(rms(afterCaller)).toBeGreaterThan(200);
  });

  it('sandbox: names the latency profiles and checks --seed', async () => {
    const profile = await rxvoice(['sandbox', '--profile', 'warp-speed']);
    expect(profile.code).toBe(2);
    expect(profile.stderr).toContain('--profile must be one of instant, typical, typical-fixed');
    const seed = await rxvoice(['sandbox', '--seed', 'lucky']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toContain("--seed must be an integer (got 'lucky')");
  });

  it('bad arguments give a clear message and a non-zero exit', async () => {
    const missing = await rxvoice(['run', '--in', 'no-such-file.wav']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("input file 'no-such-file.wav' does not exist");

    const pipeline = await rxvoice(['run', '--in', 'fixtures/one-sentence.wav', '--pipeline', 'telepathy']);
    expect(pipeline.code).toBe(2);
    expect(pipeline.stderr).toContain('--pipeline must be one of cascaded, realtime');

    const unknown = await rxvoice(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");

    const flag = await rxvoice(['run', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--bogus'/);
  });

  it('--help documents each command', async () => {
    for (const command of ['run', 'demo', 'sandbox', 'serve']) {
      const help = await rxvoice([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: rxvoice ${command}`);
    }
  });

  it('a provider refusing the key names the variable to fix and never prints the key', async () => {
    // A sandbox that accepts only one key stands in for a real provider answering 401.
    const { startSandbox } = await import('../../src/sandbox/index.js');
    const sandbox = await startSandbox({ apiKey: 'the-right-key-000000' });
    try {
      const secret = 'sk-test-WRONGKEY1234567890';
      const run = await rxvoice(['run', '--in', 'fixtures/one-sentence.wav', '--fast'], {
        OPENAI_API_KEY: secret,
        OPENAI_BASE_URL: sandbox.openaiBaseURL,
        ELEVENLABS_API_KEY: 'the-right-key-000000',
        ELEVENLABS_BASE_URL: sandbox.elevenlabsBaseURL,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('OPENAI_API_KEY');
      expect(run.stdout + run.stderr).not.toContain(secret);
      expect(run.stdout + run.stderr).not.toContain('WRONGKEY1234567890');
    } finally {
      await sandbox.close();
    }
  });

  // With --workers 2 the cluster primary must give up (not respawn forever) when no worker ever listened.
  it.each([['serve', '--workers', '1'], ['serve', '--workers', '2'], ['sandbox']])('%s on a busy port exits non-zero with a clear message', async (...command) => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const run = await rxvoice([...command, '--port', String(port), '--profile', 'instant']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`port ${port} is already in use`);
    } finally {
      holder.close();
    }
  });
});
