import type { PipelineEvent } from '../events.js';

/** An event with the wall time (ms, `performance.now()`) at which it left the pipeline. */
export interface TimedEvent {
  readonly at: number;
  readonly event: PipelineEvent;
}

/** One caller turn and the assistant's answer, with latencies measured from the true end of speech. */
export interface TurnReport {
  readonly turnId: string;
  readonly transcript: string;
  readonly language?: string;
  readonly reply: string;
  /** Audio time (ms into the call) where the caller stopped speaking. */
  readonly speechEndAudioMs: number;
  /** Wall time of the true end of speech (decision time minus the end-of-turn silence). */
  readonly speechEndAt: number;
  /** Ms after the end of speech at which `speech.ended` was decided (the end-of-turn silence). */
  readonly endpointMs?: number;
  readonly transcriptMs?: number;
  readonly firstTokenMs?: number;
  readonly firstAudioMs?: number;
  readonly lastAudioMs?: number;
  readonly replyAudioMs: number;
  readonly interrupted?: { readonly playedMs: number; readonly heardText: string };
  readonly errors: readonly string[];
  /** What the turn cost in US dollars (its `cost` event), when the chain meters cost. */
  readonly costUsd?: number;
}

/**
 * Builds the per-turn table from a call's timed events. Independent of the `metric` events the chain
 * emits, so it doubles as a cross-check of them.
 */
export function buildTurnReports(events: readonly TimedEvent[]): TurnReport[] {
  interface Draft {
    turnId: string;
    transcript: string;
    language?: string;
    reply: string;
    speechEndAudioMs: number;
    speechEndAt: number;
    endpointMs?: number;
    transcriptAt?: number;
    firstTokenAt?: number;
    firstAudioAt?: number;
    lastAudioAt?: number;
    replyAudioMs: number;
    interrupted?: { playedMs: number; heardText: string };
    errors: string[];
    costUsd?: number;
  }
  const drafts = new Map<string, Draft>();
  const draft = (turnId: string): Draft => {
    let d = drafts.get(turnId);
    if (!d) {
      d = { turnId, transcript: '', reply: '', speechEndAudioMs: NaN, speechEndAt: NaN, replyAudioMs: 0, errors: [] };
      drafts.set(turnId, d);
    }
    return d;
  };
  for (const { at, event } of events) {
    switch (event.type) {
      case 'speech.ended': {
        const d = draft(event.turnId);
        d.speechEndAudioMs = event.audioMs;
        d.endpointMs = event.decidedAudioMs - event.audioMs;
        d.speechEndAt = at - d.endpointMs;
        break;
      }
      case 'transcript':
        if (event.final) {
          const d = draft(event.turnId);
          d.transcript = event.text;
          if (event.language !== undefined) d.language = event.language;
          d.transcriptAt ??= at;
        }
        break;
      case 'assistant.text': {
        const d = draft(event.turnId);
        d.firstTokenAt ??= at;
        break;
      }
      case 'assistant.done': {
        const d = draft(event.turnId);
        d.reply = event.text;
        break;
      }
      case 'assistant.audio': {
        const d = draft(event.turnId);
        d.firstAudioAt ??= at;
        d.lastAudioAt = at;
        d.replyAudioMs += (event.frame.samples.length * 1000) / event.frame.sampleRate;
        break;
      }
      case 'interruption':
        draft(event.turnId).interrupted = { playedMs: event.playedMs, heardText: event.heardText };
        break;
      case 'error':
        if (event.turnId !== undefined) draft(event.turnId).errors.push(`${event.stage}/${event.code}: ${event.message}`);
        break;
      case 'cost':
        draft(event.turnId).costUsd = event.usd;
        break;
      default:
        break;
    }
  }
  const since = (d: Draft, at: number | undefined): number | undefined =>
    at === undefined || Number.isNaN(d.speechEndAt) ? undefined : at - d.speechEndAt;
  return [...drafts.values()]
    .filter((d) => !Number.isNaN(d.speechEndAt) || d.transcript !== '' || d.errors.length > 0)
    .map((d) => {
      const report: TurnReport = {
        turnId: d.turnId,
        transcript: d.transcript,
        ...(d.language === undefined ? {} : { language: d.language }),
        reply: d.reply,
        speechEndAudioMs: d.speechEndAudioMs,
        speechEndAt: d.speechEndAt,
        ...(d.endpointMs === undefined ? {} : { endpointMs: d.endpointMs }),
        ...optional('transcriptMs', since(d, d.transcriptAt)),
        ...optional('firstTokenMs', since(d, d.firstTokenAt)),
        ...optional('firstAudioMs', since(d, d.firstAudioAt)),
        ...optional('lastAudioMs', since(d, d.lastAudioAt)),
        replyAudioMs: d.replyAudioMs,
        ...(d.interrupted === undefined ? {} : { interrupted: d.interrupted }),
        errors: d.errors,
        ...optional('costUsd', d.costUsd),
      };
      return report;
    });
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

/** Median and 95th percentile of the defined values. */
export function summarize(values: readonly (number | undefined)[]): { n: number; median?: number; p95?: number } {
  const xs = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return { n: 0 };
  return { n: xs.length, median: quantile(xs, 0.5), p95: quantile(xs, 0.95) };
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 1) return sorted[0]!;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** A fixed-width text table, for the CLI and the benchmarks. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${Math.round(value)} ms`;
}
