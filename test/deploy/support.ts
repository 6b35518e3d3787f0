import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export { until } from '../support/until.js';

/**
 * What the deploy tests (real HAProxy, real Prometheus in front of `rxvoice serve`) share: the binary
 * check, free ports, polling, child processes and temp dirs cleaned up after the file.
 */

/** Fails the file (not skips it) when a binary is missing: CI installs it, and a silent skip would hide that. */
export function requireBinary(name: string, versionArgs: readonly string[]): void {
  try {
    execFileSync(name, versionArgs, { stdio: 'ignore' });
  } catch {
    throw new Error(`${name} is not installed: .ci/run installs Debian's ${name} package`);
  }
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Spawns a process that is SIGKILLed after the file if it is still running. */
export function spawnChild(command: string, args: readonly string[], options: Parameters<typeof spawn>[2] = {}): ChildProcess {
  const child = spawn(command, args, options);
  children.push(child);
  return child;
}

/** A temp dir removed after the file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** `rxvoice serve` on `port` with sandbox providers (keys emptied) and the `instant` profile. */
export function spawnServe(port: number, extraArgs: readonly string[] = []): ChildProcess {
  // The lag gate is set out of the way: a call's set-up blocks a fresh process's loop for over a second
  // on a loaded 2-core CI machine (a known issue, see docs/server.md), and these tests are not about it.
  return spawnChild(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--workers', '1', '--port', String(port), '--profile', 'instant', '--max-lag-ms', '10000', ...extraArgs],
    { env: { ...process.env, OPENAI_API_KEY: '', AZURE_OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '' } },
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Captures a child's output so a failure can say what the process printed. */
export function capture(proc: ChildProcess): () => string {
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return () => out;
}
