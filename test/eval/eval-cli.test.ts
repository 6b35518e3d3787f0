import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, parseJUnit, rxvoice } from './support.js';

const RESULTS = join(process.cwd(), 'test-results');
let browser: Browser;
beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Opens the HTML report in Chromium, screenshots it, and reads what the page shows. */
async function openReport(path: string, screenshot: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(pathToFileURL(path).href);
  await page.screenshot({ path: join(RESULTS, screenshot), fullPage: true });
  const shown = await page.evaluate(() => ({
    summary: document.getElementById('summary')?.textContent ?? '',
    failures: Number(document.getElementById('summary')?.dataset.failures),
    scenarios: Array.from(document.querySelectorAll('section.scenario')).map((s) => ({
      name: (s as HTMLElement).dataset.scenario,
      pass: (s as HTMLElement).dataset.pass === 'true',
      // The timeline is drawn: one row of bars per turn, with the first-audio label.
      bars: s.querySelectorAll('.timeline svg rect[height]').length,
      width: (s.querySelector('.timeline svg') as SVGSVGElement | null)?.getBoundingClientRect().width ?? 0,
      failedChecks: Array.from(s.querySelectorAll('li.fail')).map((li) => li.textContent ?? ''),
    })),
  }));
  await page.close();
  return { ...shown, errors };
}

describe('rxvoice eval', () => {
  it('examples/evals passes through the real chains (cascaded and realtime): table, JUnit XML, HTML report in Chromium', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-eval-'));
    const junit = join(dir, 'junit.xml');
    const html = join(dir, 'report.html');
    const run = await rxvoice(['eval', 'examples/evals', '--concurrency', '4', '--junit', junit, '--html', html]);
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(run.code).toBe(0);
    for (const name of ['plain question', 'tool call', 'barge-in', 'realtime tool call']) expect(run.stdout).toMatch(new RegExp(`^PASS ${name} `, 'm'));
    // The table: a row per scenario turn with measured latencies and the barge-in outcome.
    expect(run.stdout).toMatch(/^barge-in\s+2\s+.*\d+ ms\s+interrupted\s+pass$/m);
    expect(run.stdout).toMatch(/^tool call\s+1\s+.*\d+ ms\s+\d+ ms\s+\d+ ms\s+none\s+pass$/m);
    expect(run.stdout).toContain('4/4 scenarios passed, 7/7 turns passed');

    const report = await parseJUnit(browser, readFileSync(junit, 'utf8'));
    expect(report.parseError).toBeUndefined();
    expect(report).toMatchObject({ tests: 7, failures: 0 });
    expect(report.suites.map((s) => [s.name, s.tests, s.failures]).sort()).toEqual([
      ['barge-in', 2, 0],
      ['plain question', 1, 0],
      ['realtime tool call', 2, 0],
      ['tool call', 2, 0],
    ]);

    const page = await openReport(html, 'eval-report.png');
    expect(page.errors).toEqual([]);
    expect(page.failures).toBe(0);
    expect(page.scenarios.map((s) => s.name).sort()).toEqual(['barge-in', 'plain question', 'realtime tool call', 'tool call']);
    for (const s of page.scenarios) {
      expect(s.pass).toBe(true);
      expect(s.bars).toBeGreaterThan(3);
      expect(s.width).toBeGreaterThan(500);
    }
    }, 180_000); // real-time calls

  it('a failing scenario exits 1 and names the scenario, the turn, the expectation and the measured value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxvoice-eval-'));
    const junit = join(dir, 'junit.xml');
    const html = join(dir, 'report.html');
    const run = await rxvoice(['eval', 'test/eval/fixtures/failing.yaml', 'examples/evals/plain-question.yaml', '--junit', junit, '--html', html]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL failing scenario /m);
    expect(run.stdout).toMatch(/^PASS plain question /m);
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('FAIL failing scenario, turn 1 (turn-1): '));
    expect(lines).toEqual([
      'FAIL failing scenario, turn 1 (turn-1): tools: expected get_weather({"city":"London"}), measured get_weather({"city":"Paris"})',
      'FAIL failing scenario, turn 1 (turn-1): reply.contains: expected "umbrella", measured "Right now in Paris it\'s sunny and twenty-one degrees."',
      expect.stringMatching(/^FAIL failing scenario, turn 1 \(turn-1\): latency\.firstAudioMs: expected <= 1 ms, measured \d+ ms$/),
    ]);
    // The measured latency in the failure line is the one in the table.
    const measured = /latency\.firstAudioMs: expected <= 1 ms, measured (\d+) ms/.exec(run.stdout)![1];
    expect(run.stdout).toMatch(new RegExp(`^failing scenario\\s+1\\s+.*\\s${measured} ms\\s+none\\s+FAIL \\(3\\)$`, 'm'));
    expect(run.stdout).toMatch(/^failing scenario\s+2\s+\.\.\/\.\.\/\.\.\/fixtures\/one-sentence\.wav\s+.*\d+ ms\s+none\s+pass$/m);
    expect(run.stdout).toContain('1/2 scenarios passed, 2/3 turns passed');

    const report = await parseJUnit(browser, readFileSync(junit, 'utf8'));
    expect(report.parseError).toBeUndefined();
    expect(report).toMatchObject({ tests: 3, failures: 1 });
    const failing = report.suites.find((s) => s.name === 'failing scenario')!;
    expect(failing).toMatchObject({ tests: 2, failures: 1 });
    expect(failing.cases[1]!.failure).toBeUndefined();
    expect(failing.cases[0]!.failure).toBe('tools: expected get_weather({"city":"London"}), measured get_weather({"city":"Paris"})');
    expect(report.suites.find((s) => s.name === 'plain question')).toMatchObject({ tests: 1, failures: 0 });

    const page = await openReport(html, 'eval-report-failing.png');
    expect(page.errors).toEqual([]);
    expect(page.failures).toBe(1);
    const shown = page.scenarios.find((s) => s.name === 'failing scenario')!;
    expect(shown.pass).toBe(false);
    expect(shown.failedChecks).toHaveLength(3);
    expect(shown.failedChecks[2]).toMatch(/latency\.firstAudioMs: expected <= 1 ms, measured \d+ ms/);
    }, 180_000);

  it('a bad scenario file is named with what is wrong, before any call', async () => {
    const bad = await rxvoice(['eval', 'test/eval/fixtures/no-such-dir']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("scenario path 'test/eval/fixtures/no-such-dir' does not exist");
    const help = await rxvoice(['eval', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rxvoice eval');
  });
});
