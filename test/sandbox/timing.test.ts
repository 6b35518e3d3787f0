import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { INJECTION_LOG_LIMIT, LatencySampler, latencyAtZ, type InjectionRecord, type LatencyProfile, PROFILES, type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { wavFile } from './helpers.js';

const Z90 = 1.2815515655446004;
const Z99 = 2.3263478740408408;

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function draws(n: number, draw: () => number): number[] {
  return Array.from({ length: n }, draw);
}

describe('latency distributions', () => {
  it('puts the median, p90 and p99 where the spread says', () => {
    const spread = { p90: 1.4, p99: 2.2 };
    expect(latencyAtZ(500, spread, 0)).toBeCloseTo(500, 6);
    expect(latencyAtZ(500, spread, Z90)).toBeCloseTo(700, 6);
    expect(latencyAtZ(500, spread, Z99)).toBeCloseTo(1100, 6);
    expect(latencyAtZ(500, spread, -Z90)).toBeCloseTo(500 / 1.4, 6); // log-symmetric on the fast side
    expect(latencyAtZ(500, undefined, 2)).toBe(500);
    expect(latencyAtZ(0, spread, 2)).toBe(0);
    // Far draws are clamped (p99.99), so one unlucky request cannot stall a run for ever.
    expect(latencyAtZ(500, spread, 50)).toBe(latencyAtZ(500, spread, 3.8));
  });

  it("typical: many seeded draws land on each delay's median and p90", () => {
    const sampler = new LatencySampler(PROFILES.typical, 7);
    const cases = [
      { values: draws(4000, () => sampler.chatFirstTokenMs()), median: 500, p90: 1.4 },
      { values: draws(4000, () => sampler.ttsFirstByteMs()), median: 200, p90: 1.4 },
      { values: draws(4000, () => sampler.realtimeResponseStartMs()), median: 650, p90: 1.25 },
      { values: draws(4000, () => sampler.transcribeMs(2)), median: 400, p90: 1.3 },
    ];
    for (const { values, median, p90 } of cases) {
      expect(quantile(values, 0.5)).toBeGreaterThan(median * 0.96);
      expect(quantile(values, 0.5)).toBeLessThan(median * 1.04);
      expect(quantile(values, 0.9)).toBeGreaterThan(median * p90 * 0.95);
      expect(quantile(values, 0.9)).toBeLessThan(median * p90 * 1.05);
      expect(Math.min(...values)).toBeGreaterThan(0);
      expect(new Set(values).size).toBeGreaterThan(100); // it varies
    }
  });

  it('is reproducible: the same seed gives the same delays, another seed others', () => {
    const a = new LatencySampler(PROFILES.typical, 42);
    const b = new LatencySampler(PROFILES.typical, 42);
    const c = new LatencySampler(PROFILES.typical, 43);
    const seqA = draws(50, () => a.chatFirstTokenMs());
    // b interleaves other kinds: chat's n-th draw does not move.
    const seqB = draws(50, () => (b.ttsFirstByteMs(), b.transcribeMs(3), b.chatFirstTokenMs()));
    expect(seqB).toEqual(seqA);
    expect(draws(50, () => c.chatFirstTokenMs())).not.toEqual(seqA);
  });

  it('instant stays zero and typical-fixed stays at its constants', () => {
    const instant = new LatencySampler(PROFILES.instant, 3);
    const fixed = new LatencySampler(PROFILES['typical-fixed'], 3);
    for (let i = 0; i < 200; i++) {
      expect([instant.transcribeMs(i / 10), instant.chatFirstTokenMs(), instant.ttsFirstByteMs(), instant.realtimeResponseStartMs()]).toEqual([0, 0, 0, 0]);
      expect([fixed.transcribeMs(i / 10), fixed.chatFirstTokenMs(), fixed.ttsFirstByteMs(), fixed.realtimeResponseStartMs()]).toEqual([400, 500, 200, 650]);
    }
  });

  it("transcription grows with the audio's length; the realtime response start has no such input", () => {
    const sampler = new LatencySampler(PROFILES.typical, 9);
    const short = quantile(draws(2000, () => sampler.transcribeMs(1)), 0.5);
    const long = quantile(draws(2000, () => sampler.transcribeMs(20)), 0.5);
    expect(short).toBeGreaterThan(350 * 0.95);
    expect(short).toBeLessThan(350 * 1.05);
    expect(long).toBeGreaterThan(1300 * 0.95);
    expect(long).toBeLessThan(1300 * 1.05);
    expect(LatencySampler.prototype.realtimeResponseStartMs.length).toBe(0);
  });
});

describe('the sandbox schedules transcription by the uploaded audio', () => {
  let sandboxes: Sandbox[] = [];
  afterEach(async () => {
    await Promise.all(sandboxes.map((s) => s.close()));
    sandboxes = [];
  });
  const start = async (profile: LatencyProfile, seed?: number): Promise<Sandbox> => {
    const sandbox = await startSandbox({ profile, warmUp: false, ...(seed !== undefined ? { seed } : {}) });
    sandboxes.push(sandbox);
    return sandbox;
  };
  const transcribe = async (sandbox: Sandbox, seconds: number): Promise<void> => {
    const client = new OpenAI({ baseURL: sandbox.openaiBaseURL, apiKey: 'k', maxRetries: 0 });
    await client.audio.transcriptions.create({ file: await toFile(wavFile(Math.round(seconds * 16000)), 'a.wav'), model: 'gpt-4o-transcribe' });
  };

  it('base + per audio second, for each upload (the scheduled delay, not the wall clock)', async () => {
    const profile: LatencyProfile = { ...PROFILES.instant, name: 'test-per-second', transcribe: { afterUploadMs: 10, perAudioSecondMs: 20 } };
    const sandbox = await start(profile);
    for (const seconds of [0.5, 2, 4]) await transcribe(sandbox, seconds);
    const stats = sandbox.stats.transcriptions;
    expect(stats.map((s) => s.audioSeconds)).toEqual([0.5, 2, 4]);
    expect(stats.map((s) => s.scheduledDelayMs)).toEqual([20, 50, 90]);
    for (const s of stats) expect(s.respondedAt! - s.endAt!).toBeGreaterThanOrEqual(s.scheduledDelayMs! - 5);
  });

  it('the seed option repeats a run: same seed, same delays', async () => {
    const profile: LatencyProfile = {
      ...PROFILES.instant,
      name: 'test-varying',
      transcribe: { afterUploadMs: 20, perAudioSecondMs: 5 },
      spread: { transcribe: { p90: 1.5 } },
    };
    const [a, b, c] = await Promise.all([start(profile, 5), start(profile, 5), start(profile, 6)]);
    for (const sandbox of [a!, b!, c!]) for (const seconds of [1, 1, 3, 1]) await transcribe(sandbox, seconds);
    const delays = (s: Sandbox): (number | undefined)[] => s.stats.transcriptions.map((t) => t.scheduledDelayMs);
    expect(delays(a!)).toEqual(delays(b!));
    expect(delays(a!)).not.toEqual(delays(c!));
    expect(new Set(delays(a!)).size).toBeGreaterThan(1);
  });

  it('GET /sandbox/stats reports each injected delay (what benchmarks compute floors from)', async () => {
    const profile: LatencyProfile = { ...PROFILES.instant, name: 'test-stats', transcribe: { afterUploadMs: 10, perAudioSecondMs: 20 } };
    const sandbox = await start(profile);
    const before = Date.now();
    for (const seconds of [0.5, 2]) await transcribe(sandbox, seconds);
    const body = (await (await fetch(`${sandbox.url}/sandbox/stats?since=${before}`)).json()) as { profile: string; injections: InjectionRecord[] };
    expect(body.profile).toBe('test-stats');
    expect(body.injections.map((r) => [r.kind, r.n, r.ms])).toEqual([
      ['transcribe', 0, 20],
      ['transcribe', 1, 50],
    ]);
    for (const r of body.injections) expect(r.atEpochMs).toBeGreaterThanOrEqual(before);
    const later = (await (await fetch(`${sandbox.url}/sandbox/stats?since=${Date.now() + 60_000}`)).json()) as { injections: InjectionRecord[] };
    expect(later.injections).toEqual([]);
  });
});

describe('the injection log', () => {
  it('keeps only the last INJECTION_LOG_LIMIT draws', () => {
    const sampler = new LatencySampler({ ...PROFILES['typical-fixed'] });
    for (let i = 0; i < INJECTION_LOG_LIMIT + 10; i++) sampler.chatFirstTokenMs();
    const log = sampler.injections();
    expect(log).toHaveLength(INJECTION_LOG_LIMIT);
    expect(log[0]!.n).toBe(10);
    expect(log.at(-1)!.n).toBe(INJECTION_LOG_LIMIT + 9);
    expect(log.every((r, i) => i === 0 || r.n === log[i - 1]!.n + 1)).toBe(true); // oldest first across the wrap
    expect(log.every((r) => r.kind === 'chat' && r.ms === 500)).toBe(true);
  });
});
