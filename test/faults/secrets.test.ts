import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cascaded } from '../../pipelines/cascaded.js';
import { realtimePipeline } from '../../pipelines/realtime.js';
import type { PipelineEvent } from '../../src/events.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { callTurnByTurn, digest, fixtureTurns, ofType } from './support/call.js';

/**
 * A failing-auth run (the sandbox accepts one key; the pipelines get wrong ones) must name the problem
 * without ever showing the key: not in events, error messages, stdout, stderr, or files the CLI writes.
 * The ElevenLabs key has no recognisable shape on purpose: only its registration can hide it.
 */

const OPENAI_KEY = 'sk-test-SECRET123456789';
const ELEVEN_KEY = 'elvnSECRET0QZ9xk27hd5';
const FRAGMENTS = [OPENAI_KEY, 'SECRET123456789', ELEVEN_KEY, 'SECRET0QZ9xk27hd5'];

let sandbox: Sandbox;
const dir = mkdtempSync(join(tmpdir(), 'rxvoice-secrets-'));
beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant', apiKey: 'the-right-key' });
});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({
  OPENAI_API_KEY: OPENAI_KEY,
  OPENAI_BASE_URL: sandbox.openaiBaseURL,
  ELEVENLABS_API_KEY: ELEVEN_KEY,
  ELEVENLABS_BASE_URL: sandbox.elevenlabsBaseURL,
});

function expectNoSecret(text: string) {
  for (const fragment of FRAGMENTS) expect(text).not.toContain(fragment);
}

/** Runs a chain in-process while capturing everything written to stdout/stderr. */
async function capture(run: () => Promise<PipelineEvent[]>): Promise<{ events: PipelineEvent[]; output: string }> {
  let output = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const tee = (chunk: unknown): boolean => ((output += String(chunk)), true);
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => (tee(chunk), out(chunk as string, ...(rest as [])))) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => (tee(chunk), err(chunk as string, ...(rest as [])))) as typeof process.stderr.write;
  try {
    return { events: await run(), output };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('secrets never leak from a failing-auth call', () => {
  it('cascaded: an auth error for the turn, and no key anywhere in events or output', async () => {
    const { turns } = await fixtureTurns('call-3turns');
    const { events, output } = await capture(async () => (await callTurnByTurn(turns.slice(0, 1), cascaded({ endpoints: resolveEndpoints(env(), undefined), bargeIn: false }))).events);
    const errors = ofType(events, 'error');
    expect(errors.length, digest(events)).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ code: 'auth', stage: 'transcribe', turnId: 'turn-1', utteranceLost: true });
    expectNoSecret(JSON.stringify(events.filter((e) => e.type !== 'audio.in' && e.type !== 'utterance.chunk')));
    expectNoSecret(output);
  });

  it('cascaded with a good OpenAI key and a wrong ElevenLabs key: a tts auth error, no key', async () => {
    const { turns } = await fixtureTurns('call-3turns');
    const endpoints = resolveEndpoints({ ...env(), OPENAI_API_KEY: 'the-right-key' }, undefined);
    const { events, output } = await capture(async () => (await callTurnByTurn(turns.slice(0, 1), cascaded({ endpoints, bargeIn: false }))).events);
    const errors = ofType(events, 'error');
    expect(errors.some((e) => e.code === 'auth' && e.stage === 'tts'), digest(events)).toBe(true);
    expectNoSecret(JSON.stringify(events.filter((e) => e.type !== 'audio.in' && e.type !== 'utterance.chunk')));
    expectNoSecret(output);
  });

  it('realtime: an auth error, and no key anywhere in events or output', async () => {
    const { turns } = await fixtureTurns('call-3turns');
    const { events, output } = await capture(
      async () => (await callTurnByTurn(turns.slice(0, 1), realtimePipeline({ endpoints: resolveEndpoints(env(), undefined), bargeIn: false }), { turnTimeoutMs: 5000 })).events,
    );
    const errors = ofType(events, 'error');
    expect(errors.some((e) => e.code === 'auth' && e.stage === 'realtime'), digest(events)).toBe(true);
    expectNoSecret(JSON.stringify(events.filter((e) => e.type !== 'audio.in')));
    expectNoSecret(output);
  });

  it.each(['cascaded', 'realtime'])('the CLI (%s) as a spawned process: exits non-zero, names the variable, prints no key, writes no key', async (pipeline) => {
    const out = join(dir, pipeline);
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'run', '--in', 'fixtures/one-sentence.wav', '--fast', '--pipeline', pipeline, '--json', `${out}.json`, '--out', `${out}.wav`, '--timeline', `${out}.html`];
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, stdout + stderr).not.toBe(0);
    expect(stdout + stderr).toMatch(/OPENAI_API_KEY|ELEVENLABS_API_KEY|key/i);
    expectNoSecret(stdout);
    expectNoSecret(stderr);
    for (const file of readdirSync(dir).filter((f) => f.startsWith(pipeline) && !f.endsWith('.wav'))) expectNoSecret(readFileSync(join(dir, file), 'utf8'));
  });
});
