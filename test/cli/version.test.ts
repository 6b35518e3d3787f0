import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

describe('rxvoice --version', () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints package.json's version and exits 0", async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const code = await main(['--version']);
    expect(code).toBe(0);
    expect(out).toBe(`${pkg.version}\n`);
  });

  it('demo --help names the three conversations and no in-house words', async () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    expect(await main(['demo', '--help'])).toBe(0);
    expect(out).toContain('three conversations');
    expect(out).not.toMatch(/\bseed\b|both conversations/u);
  });
});
