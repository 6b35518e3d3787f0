import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `rxvoice call` as a user runs it, offline: the sandbox places the call and a simulated callee answers. */
function rxvoice(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, OPENAI_API_KEY: '', AZURE_OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '', TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('rxvoice call', () => {
  it('places an outbound call through the sandbox: the callee answers, the agent talks, then hangs up with end_call', async () => {
    const run = await rxvoice(['call', '+15005550123', '--max-seconds', '40']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[1]).toMatch(/^calling \+15005550123 from \+15005550006 \(CA[0-9a-f]{32}\)$/);
    expect(lines.slice(2, 8)).toEqual([
      'callee: Hello?',
      'agent:  Hi, this is the rxvoice agent calling. How are you today?',
      "callee: Thanks, that's all. Bye.",
      '        [end_call]',
      'agent:  Goodbye!',
      'call ended (completed)',
    ]);
  });

  it('a voicemail answers: the agent tells it from a person and leaves the message after the beep', async () => {
    const run = await rxvoice(['call', '+15005550124', '--callee', 'voicemail', '--on-machine', 'leave-message', '--message', 'Hi Sam, please call the clinic back.', '--max-seconds', '40']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^ {8}\[answering machine: machine, (long_greeting|beep) at \d+ ms, beep at \d+ ms\]$/));
    expect(lines).toContain('left a message: Hi Sam, please call the clinic back.');
    expect(lines.at(-2)).toBe('call ended (completed)');
  });

  it('refuses a number that is not E.164', async () => {
    const run = await rxvoice(['call', '555-1234']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/E\.164/);
    const noMessage = await rxvoice(['call', '+15005550123', '--on-machine', 'leave-message']);
    expect(noMessage.code).toBe(2);
    expect(noMessage.stderr).toMatch(/--message/);
  });
});
