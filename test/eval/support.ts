import { runOffline, type ProcessRun } from '../support/spawn-offline.js';
import { chromium, type Browser } from 'playwright-core';

export type CliRun = ProcessRun;

/** The CLI as a user runs it: a separate process, offline (no provider keys, so the sandbox answers). */
export function rxvoice(args: readonly string[]): Promise<CliRun> {
  return runOffline(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]);
}

/** Debian's Chromium, as the browser tests launch it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--no-first-run'] });
}

export interface JUnitSummary {
  readonly parseError?: string;
  readonly tests: number;
  readonly failures: number;
  readonly suites: { name: string; tests: number; failures: number; cases: { name: string; failure?: string }[] }[];
}

/** Parses JUnit XML with the browser's own (strict) XML parser and reads the counts back. */
export async function parseJUnit(browser: Browser, xml: string): Promise<JUnitSummary> {
  const page = await browser.newPage();
  try {
    return await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      const error = doc.querySelector('parsererror');
      const root = doc.documentElement;
      return {
        ...(error ? { parseError: error.textContent ?? 'parse error' } : {}),
        tests: Number(root.getAttribute('tests')),
        failures: Number(root.getAttribute('failures')),
        suites: Array.from(doc.querySelectorAll('testsuite')).map((s) => ({
          name: s.getAttribute('name') ?? '',
          tests: Number(s.getAttribute('tests')),
          failures: Number(s.getAttribute('failures')),
          cases: Array.from(s.querySelectorAll('testcase')).map((c) => {
            const failure = c.querySelector('failure')?.getAttribute('message');
            return { name: c.getAttribute('name') ?? '', ...(failure ? { failure } : {}) };
          }),
        })),
      };
    }, xml);
  } finally {
    await page.close();
  }
}
