import type { LatencyProfile, LatencySpread } from './types.js';

/** The delays a profile injects; each kind is drawn from its own seeded sequence. */
export type LatencyKind = 'transcribe' | 'chat' | 'tts' | 'realtime' | 'realtimeTranscript';

/** Standard normal quantiles of p90 and p99. */
const Z90 = 1.2815515655446004;
const Z99 = 2.3263478740408408;
/** Draws are clamped to the p99.99 quantile: a real client's timeout bounds the tail too. */
const Z_MAX = 3.719016485455709;

/**
 * The delay at standard normal quantile `z` of a log-normal around `medianMs` whose p90 and p99 are the
 * spread's multiples of the median. Below p90 it is one log-normal (sigma from p90, the same on the fast
 * side); above p90 the log-slope changes so that p99 lands where the spread says (a tail heavier, or
 * lighter, than the log-normal's own). Monotone in `z`, so drawing `z` and mapping it samples the distribution.
 */
export function latencyAtZ(medianMs: number, spread: LatencySpread | undefined, z: number): number {
  if (medianMs <= 0) return 0;
  if (!spread) return medianMs;
  z = Math.min(z, Z_MAX);
  const sigma = Math.log(Math.max(1, spread.p90)) / Z90;
  const p99 = Math.max(spread.p90, spread.p99 ?? Math.exp(sigma * Z99));
  if (z <= Z90) return medianMs * Math.exp(sigma * z);
  const tailSigma = (Math.log(p99) - sigma * Z90) / (Z99 - Z90);
  return medianMs * Math.exp(sigma * Z90 + tailSigma * (z - Z90));
}

/** 32-bit FNV-1a of a string, to derive one seed per (profile seed, kind, draw). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, good-enough PRNG; returns uniforms in (0, 1). */
function uniforms(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967297;
  };
}

/** The `n`-th standard normal draw of `kind` under `seed` (Box-Muller), independent of other kinds' draws. */
export function normalDraw(seed: number, kind: LatencyKind, n: number): number {
  const next = uniforms(hash(`${seed}:${kind}:${n}`));
  const u1 = next();
  const u2 = next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** One injected delay, as `GET /sandbox/stats` reports it (benchmarks compute each turn's floor from these). */
export interface InjectionRecord {
  /** The n-th draw of this kind since the sandbox started (0-based). */
  readonly n: number;
  readonly kind: LatencyKind;
  /** The delay injected (ms). */
  readonly ms: number;
  /** Epoch ms (`Date.now()`) when the delay was drawn, i.e. when it started: comparable across processes on one machine. */
  readonly atEpochMs: number;
}

/** The injection log keeps this many records (the oldest are dropped): a bound on what a long-running sandbox holds. */
export const INJECTION_LOG_LIMIT = 4096;

/**
 * Draws the delays of one sandbox: the n-th request of a kind gets the n-th draw of that kind, so a run
 * with the same seed and the same requests injects the same delays (draws of one kind do not shift when
 * requests of another kind interleave differently). A profile without `spread` gives its medians exactly.
 */
export class LatencySampler {
  private readonly counts: Record<LatencyKind, number> = { transcribe: 0, chat: 0, tts: 0, realtime: 0, realtimeTranscript: 0 };
  private readonly log: InjectionRecord[] = [];
  /** Where the next record goes once the log is full (the oldest record). */
  private next = 0;

  constructor(
    readonly profile: LatencyProfile,
    readonly seed = 1,
  ) {}

  /** From the end of a transcription upload to the answer, for `audioSeconds` of uploaded audio. */
  transcribeMs(audioSeconds: number): number {
    const t = this.profile.transcribe;
    return this.draw('transcribe', t.afterUploadMs + (t.perAudioSecondMs ?? 0) * Math.max(0, audioSeconds));
  }

  chatFirstTokenMs(): number {
    return this.draw('chat', this.profile.chat.firstTokenMs);
  }

  ttsFirstByteMs(): number {
    return this.draw('tts', this.profile.tts.firstByteMs);
  }

  /** The realtime model's response start: it does not grow with the length of the caller's audio. */
  realtimeResponseStartMs(): number {
    return this.draw('realtime', this.profile.realtime.responseStartMs);
  }

  /** From a realtime commit to the input transcript (a separate ASR pass, asynchronous with the response). */
  realtimeTranscriptMs(): number {
    return this.draw('realtimeTranscript', this.profile.realtime.transcriptMs ?? 0);
  }

  /** The last INJECTION_LOG_LIMIT delays drawn, oldest first, optionally only those drawn at or after `sinceEpochMs`. */
  injections(sinceEpochMs = -Infinity): InjectionRecord[] {
    // The log is a ring once full: `next` is where the oldest record is.
    const ordered = this.log.length < INJECTION_LOG_LIMIT ? this.log : [...this.log.slice(this.next), ...this.log.slice(0, this.next)];
    return ordered.filter((r) => r.atEpochMs >= sinceEpochMs);
  }

  private draw(kind: LatencyKind, medianMs: number): number {
    const n = this.counts[kind]++;
    const spread = this.profile.spread?.[kind];
    const ms = medianMs <= 0 || !spread ? Math.max(0, medianMs) : Math.round(latencyAtZ(medianMs, spread, normalDraw(this.seed, kind, n)));
    const record = { n, kind, ms, atEpochMs: Date.now() };
    // O(1) per draw: a full log overwrites its oldest record in place.
    if (this.log.length < INJECTION_LOG_LIMIT) this.log.push(record);
    else this.log[this.next] = record;
    this.next = (this.next + 1) % INJECTION_LOG_LIMIT;
    return ms;
  }
}
