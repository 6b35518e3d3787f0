import { runOffline, type ProcessRun } from '../support/spawn-offline.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

type Run = ProcessRun;
const spawnRun = runOffline;

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const rxvoice = (args: readonly string[]): Promise<Run> => spawnRun(process.execPath, [...CLI, ...args]);
const quick = ['--profile', 'instant', '--fast'];

describe('rxvoice run: the newcomer path', () => {
  it('a scenario file that is not JSON is named, with no stack trace', async () => {
    const run = await rxvoice(['run', '--in', 'fixtures/silence.wav', '--scenario', 'README.md']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("scenario file 'README.md' is not valid JSON");
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).not.toContain('providers:');
  });

  it('--out into a missing directory fails before the call runs', async () => {
    const run = await rxvoice(['run', '--in', 'fixtures/one-sentence.wav', ...quick, '--out', '/nonexistent/dir/x.wav']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--out '/nonexistent/dir/x.wav': directory '/nonexistent/dir' does not exist or is not writable");
    // Nothing of the call ran: no provider line, no transcript, no table.
    expect(run.stdout).toBe('');
  });

  it('silent input says no speech was detected instead of printing an empty table', async () => {
    const run = await rxvoice(['run', '--in', 'fixtures/silence.wav', ...quick]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('no speech detected');
    expect(run.stdout).not.toContain('caller said');
  });

  it('a text-to-speech connection error makes the run exit non-zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-newcomer-'));
    const scenario = join(dir, 'tts-down.json');
    // Every ElevenLabs WebSocket connection is dropped (the streaming chain speaks over tts_ws).
    writeFileSync(scenario, JSON.stringify({ faults: [{ surface: 'tts_ws', count: 1000, fault: { kind: 'reset' } }] }));
    const run = await rxvoice(['run', '--in', 'fixtures/one-sentence.wav', ...quick, '--scenario', scenario]);
    expect(run.stdout).toMatch(/\[error tts\/connection in turn-1\]/);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('text-to-speech failed');
  });

  it('on a terminal, the progress bar never glues onto a conversation line', async () => {
    // script(1) gives the CLI a terminal, so the progress bar is drawn; stdout and stderr share it.
    const command = [process.execPath, ...CLI, 'run', '--in', 'fixtures/one-sentence.wav', '--profile', 'instant']
      .map((a) => `'${a}'`)
      .join(' ');
    const run = await spawnRun('script', ['-qfec', command, '/dev/null']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/% of 4\.2 s/);
    // What a terminal shows for each line: the text after its last carriage return (or erase).
    const shown = run.stdout.split(/\r?\n/).map((line) => line.split(/\r|\x1b\[K/).pop() ?? '');
    const caller = shown.find((line) => line.includes('caller'));
    expect(caller).toMatch(/^caller   : /);
    const assistant = shown.find((line) => line.includes('assistant:'));
    expect(assistant).toMatch(/^assistant: .*sandbox/);
    expect(shown.filter((line) => line.includes('% of') && /caller|assistant/.test(line))).toEqual([]);
  });
});

describe('rxvoice run: WAVs the in-process reader refuses', () => {
  it('a 24-bit WAV is decoded through ffmpeg and played', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-24bit-'));
    const wav = join(dir, 'one-sentence-24bit.wav');
    const sox = await spawnRun('sox', ['fixtures/one-sentence.wav', '-b', '24', wav]);
    expect(sox.code).toBe(0);
    const run = await rxvoice(['run', '--in', wav, ...quick]);
    expect(run.stderr).not.toMatch(/not supported/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`input: ${wav} (4.2 s)`);
    expect(run.stdout).toMatch(/caller   : \S/);
    expect(run.stdout).toMatch(/turn-1 /);
  });
});
