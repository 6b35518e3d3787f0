import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { tap } from 'rxjs';
import type { PipelineEvent } from '../../src/events.js';
import { serve } from '../../src/server/index.js';
import type { PipelineFactory, RunningServer } from '../../src/server/types.js';
import { echoPipeline } from './support/fake-pipeline.js';

const RESULTS = join(process.cwd(), 'test-results');

/** Chromium's fake microphone wants a 16-bit WAV; 48 kHz is what it handles best. It loops the file. */
export function fakeMicWav(fixture: string, name: string): string {
  mkdirSync(RESULTS, { recursive: true });
  const out = join(RESULTS, name);
  execFileSync('sox', [join(process.cwd(), 'fixtures', fixture), '-r', '48000', '-b', '16', '-c', '1', out, 'pad', '0', '3']);
  return out;
}

export async function launchChromium(micWav: string): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${micWav}`,
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

export interface PageRun {
  transcripts: string[];
  replies: string[];
  receivedMs: number;
  playedMs: number;
  latencyRows: number;
}

/** Opens the page, lets it call, waits for a transcript and a played reply, and screenshots it. */
export async function runPage(browser: Browser, url: string, screenshot: string): Promise<PageRun> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  await page.waitForSelector('#conversation li.user', { timeout: 40_000 });
  await page.waitForFunction(() => Number(document.getElementById('audio-stats')?.dataset.playedMs) > 300, undefined, { timeout: 40_000 });
  await page.waitForSelector('#latency td.server:not(:empty)', { timeout: 10_000 });
  await page.screenshot({ path: join(RESULTS, screenshot), fullPage: true });
  const result = await page.evaluate(() => ({
    transcripts: Array.from(document.querySelectorAll('#conversation li.user')).map((li) => li.textContent ?? ''),
    replies: Array.from(document.querySelectorAll('#conversation li.assistant')).map((li) => li.textContent ?? ''),
    receivedMs: Number(document.getElementById('audio-stats')?.dataset.receivedMs),
    playedMs: Number(document.getElementById('audio-stats')?.dataset.playedMs),
    latencyRows: document.querySelectorAll('#latency tbody tr').length,
  }));
  await page.click('#stop');
  await page.waitForSelector('#status[data-state="idle"]', { timeout: 20_000 });
  expect(errors).toEqual([]);
  await page.close();
  return result;
}

// One Chromium for the file: launching it is the slow part.
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium(fakeMicWav('one-sentence.wav', 'fake-mic-one-sentence.wav'));
});
afterAll(async () => {
  await browser?.close();
});

describe('browser page in headless Chromium (fake pipeline)', () => {
  let server: RunningServer;
  const played: number[] = [];

  beforeAll(async () => {
    const factory: PipelineFactory = (c) => {
      // The page reports what it played: the clock must hear about it.
      const clock = c.playback;
      const original = clock.reportPlayed.bind(clock);
      clock.reportPlayed = (turnId, ms) => {
        played.push(ms);
        original(turnId, ms);
      };
      return echoPipeline(c, { replyMs: 1500, threshold: 300 });
    };
    server = await serve({ pipelineFactory: factory });
  });

  afterAll(async () => {
    await server?.close(500);
  });

  it('captures the fake microphone, shows transcript and reply, plays reply audio and reports playback', async () => {
    const page = await runPage(browser, `${server.url}/?autostart=1`, 'browser-fake.png');
    expect(page.transcripts[0]).toMatch(/you spoke for \d+ ms/);
    expect(page.replies[0]).toBe('Reply to turn-1 with cascaded.');
    expect(page.receivedMs).toBeGreaterThan(1400);
    expect(page.playedMs).toBeGreaterThan(300);
    expect(page.latencyRows).toBeGreaterThan(0);
    expect(Math.max(...played)).toBeGreaterThan(300);
  });
});

for (const pipeline of ['cascaded', 'realtime'] as const) {
  describe(`browser page in headless Chromium (${pipeline} pipeline against the sandbox)`, () => {
    let server: RunningServer;
    let sandbox: { url: string; close(): Promise<void> };

    beforeAll(async () => {
      const { startSandbox } = await import('../../src/sandbox/index.js');
      const { sandboxPipelineFactory } = await import('./support/real-pipelines.js');
      sandbox = await startSandbox({
        profile: 'instant',
        scenario: {
          utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.', language: 'en' }],
          replies: [{ match: 'fox', reply: 'Foxes are quick. Dogs are lazy.' }],
        },
      });
      server = await serve({ pipelineFactory: await sandboxPipelineFactory(sandbox.url, pipeline) });
    });

    afterAll(async () => {
      await server?.close(500);
      await sandbox?.close();
    });

    it('shows the transcript, the reply and its latency, and plays the reply audio', async () => {
      const screenshot = pipeline === 'cascaded' ? 'browser.png' : `browser-${pipeline}.png`;
      const page = await runPage(browser, `${server.url}/?autostart=1&pipeline=${pipeline}`, screenshot);
      expect(page.transcripts[0]).toBe('The quick brown fox jumps over the lazy dog.');
      expect(page.replies[0]?.replace(/\s+/g, ' ').trim()).toMatch(/^Foxes are quick\. Dogs are lazy\./);
      expect(page.receivedMs).toBeGreaterThan(500);
      expect(page.playedMs).toBeGreaterThan(300);
      expect(page.latencyRows).toBeGreaterThan(0);
    });
  });
}

describe('browser barge-in in headless Chromium (cascaded pipeline against the sandbox)', () => {
  let server: RunningServer;
  let sandbox: { url: string; close(): Promise<void> };
  const events: PipelineEvent[] = [];
  const reports: { turnId: string; ms: number }[] = [];

  beforeAll(async () => {
    const { startSandbox } = await import('../../src/sandbox/index.js');
    const { sandboxPipelineFactory } = await import('./support/real-pipelines.js');
    // A reply far longer than the 3 s pause before the fake microphone says its sentence again.
    const long = Array.from({ length: 8 }, (_, i) => `This is sentence number ${i + 1} of a long answer about foxes and dogs.`).join(' ');
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: { utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.', language: 'en' }], replies: [{ match: 'fox', reply: long }] },
    });
    const factory = await sandboxPipelineFactory(sandbox.url, 'cascaded');
    server = await serve({
      pipelineFactory: (choice) => {
        const original = choice.playback.reportPlayed.bind(choice.playback);
        choice.playback.reportPlayed = (turnId, ms) => {
          reports.push({ turnId, ms });
          original(turnId, ms);
        };
        return (source) => source.pipe(factory(choice), tap((e) => events.push(e)));
      },
    });
  });

  afterAll(async () => {
    await server?.close(500);
    await sandbox?.close();
  });

  it('the caller talking over the reply cuts it at what the page played', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/?autostart=1&pipeline=cascaded`);
    await page.waitForSelector('#assistant-turn-1.interrupted', { timeout: 45_000 });
    await page.screenshot({ path: join(RESULTS, 'browser-barge-in.png'), fullPage: true });
    await page.click('#stop');
    await page.close();

    const interruption = events.find((e): e is Extract<PipelineEvent, { type: 'interruption' }> => e.type === 'interruption' && e.turnId === 'turn-1');
    expect(interruption).toBeDefined();
    const emitted = events.filter((e) => e.type === 'assistant.audio' && e.turnId === 'turn-1').length * 20;
    const reported = Math.max(...reports.filter((r) => r.turnId === 'turn-1').map((r) => r.ms));
    // Cut where the page had played to (its reports lag the speaker by at most ~100 ms), well before the end.
    expect(interruption!.playedMs).toBeGreaterThan(500);
    expect(interruption!.playedMs).toBeGreaterThanOrEqual(reported - 150);
    expect(interruption!.playedMs).toBeLessThan(emitted - 1000);
    expect(interruption!.heardText.length).toBeGreaterThan(0);
    expect(interruption!.heardText.length).toBeLessThan(200);
  });
});
