/**
 * The end-of-turn measure of bench/turns.ts: a labelled turn through the real Silero vad and an end-of-turn
 * policy, and what the policy decided (cut the caller off early, or how long it made them wait).
 */
import { Observable, type OperatorFunction, identity, lastValueFrom, toArray } from 'rxjs';
import { frameDurationMs } from '../src/audio/frame.js';
import { fromPcm } from '../src/audio/sources.js';
import type { PipelineEvent } from '../src/events.js';
import { quantile } from '../src/runner/report.js';
import { vad, type VadOptions } from '../operators/vad.js';
import type { TurnFixture } from './turn-fixtures.js';

/**
 * An end-of-turn policy under test: the vad's options (its silence is the fallback and upper bound) and an
 * operator inserted after it that decides when the turn is over. The bench reads the turn ends the policy
 * emits (`speech.ended` unless `isTurnEnd` says otherwise); the first one per turn id is the decision.
 *
 * The audio goes in faster than real time unless the bench runs with `--realtime`, so a policy should keep
 * time by the audio it sees (`audio.in` frames, `decidedAudioMs`), as vad does. The decision's time is the
 * end of the last `audio.in` frame that came out before it, so the policy must pass `audio.in` on.
 */
export interface TurnPolicy {
  readonly name: string;
  readonly vad: VadOptions;
  readonly policy?: OperatorFunction<PipelineEvent, PipelineEvent>;
  /**
   * Fresh vad options and operator for each turn, instead of `vad` and `policy`, for policies that talk
   * back to the vad (the turnDetector operator sends its verdicts to `vad({ endOfTurn })` through a Subject).
   */
  readonly setup?: () => { vad: VadOptions; policy: OperatorFunction<PipelineEvent, PipelineEvent> };
  /**
   * Put a preview `transcript` (final: false, preview: true) after each `speech.paused`: the words said
   * before the pause, as the cascaded chain's preemptive transcription returns them, for policies that
   * read what was said. `delayMs` (of audio) is how long that transcription takes; speech resuming first
   * cancels it, as it does the chain's speculative request. `true`: at once.
   */
  readonly transcripts?: boolean | { readonly delayMs: number };
  readonly isTurnEnd?: (event: PipelineEvent) => boolean;
}

/** Today's end of turn: the vad's fixed silence, nothing after it. */
export function fixedSilence(silenceMs: number): TurnPolicy {
  return { name: `fixed silence ${silenceMs} ms`, vad: { silenceMs } };
}

export interface TurnDecision {
  readonly turnId: string;
  /** Audio time (ms from the file start) when the policy decided the turn was over. */
  readonly atMs: number;
}

export interface TurnOutcome {
  readonly fixture: string;
  readonly complete: boolean;
  readonly decisions: readonly TurnDecision[];
  /** A turn end before the caller's last word: inside the labelled pause, or in another gap. */
  readonly cutInPause: boolean;
  readonly cutElsewhere: boolean;
  /** End of speech -> the decision that ended the caller's last words (undefined: none before the file ended). */
  readonly waitMs?: number;
}

/** A turn end the caller's words after it prove early; decisions up to this much before the labelled end are not. */
const END_TOLERANCE_MS = 60;

/** The words said by `audioMs`: the labelled ones before the pause, else a share of the words by time. */
export function wordsHeardBy(fixture: TurnFixture, audioMs: number): string {
  if (audioMs >= fixture.speechEndMs - END_TOLERANCE_MS) return fixture.text;
  if (fixture.pause && audioMs >= fixture.pause.startMs - END_TOLERANCE_MS && audioMs < fixture.pause.resumeMs) return fixture.pause.textBefore;
  const words = fixture.text.split(/\s+/);
  const share = (audioMs - fixture.speechStartMs) / (fixture.speechEndMs - fixture.speechStartMs);
  return words.slice(0, Math.max(1, Math.round(words.length * share))).join(' ');
}

/**
 * After each `speech.paused`, `delayMs` of audio later, the preview transcript of the words heard so far
 * (see `TurnPolicy.transcripts`); dropped when the caller speaks again or the turn ends first.
 */
export function scriptedTranscripts(fixture: TurnFixture, delayMs = 0): OperatorFunction<PipelineEvent, PipelineEvent> {
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      let pending: { turnId: string; text: string; dueAtMs: number } | undefined;
      // `preview` marks the transcript of a speculative request (the turnDetector operator reads only those).
      const preview = (turnId: string, text: string): PipelineEvent => ({ type: 'transcript', turnId, text, final: false, preview: true }) as PipelineEvent;
      const flush = (audioMs: number): void => {
        if (pending && audioMs >= pending.dueAtMs) {
          const due = pending;
          pending = undefined;
          subscriber.next(preview(due.turnId, due.text));
        }
      };
      return source.subscribe({
        next: (event) => {
          subscriber.next(event);
          if (event.type === 'speech.paused') {
            pending = { turnId: event.turnId, text: wordsHeardBy(fixture, event.audioMs), dueAtMs: event.decidedAudioMs + delayMs };
            flush(event.decidedAudioMs);
          } else if ((event.type === 'speech.resumed' || event.type === 'speech.ended') && pending?.turnId === event.turnId) {
            pending = undefined;
          } else if (event.type === 'audio.in') {
            flush(event.frame.startMs + frameDurationMs(event.frame));
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/** Scores a policy's decisions on one labelled turn. */
export function scoreTurn(fixture: TurnFixture, decisions: readonly TurnDecision[]): TurnOutcome {
  const early = decisions.filter((d) => d.atMs < fixture.speechEndMs - END_TOLERANCE_MS);
  const pause = fixture.pause;
  const inPause = (d: TurnDecision): boolean => pause !== null && d.atMs >= pause.startMs && d.atMs < pause.resumeMs + END_TOLERANCE_MS;
  const last = decisions.find((d) => d.atMs >= fixture.speechEndMs - END_TOLERANCE_MS);
  return {
    fixture: fixture.name,
    complete: fixture.complete,
    decisions,
    cutInPause: early.some(inPause),
    cutElsewhere: early.some((d) => !inPause(d)),
    ...(last ? { waitMs: last.atMs - fixture.speechEndMs } : {}),
  };
}

/** Notes, for each event, the audio time reached: the end of the last frame that went by. */
function withAudioTime(): OperatorFunction<PipelineEvent, { event: PipelineEvent; audioMs: number }> {
  return (source) =>
    new Observable((subscriber) => {
      let audioMs = 0;
      return source.subscribe({
        next: (event) => {
          if (event.type === 'audio.in') audioMs = event.frame.startMs + frameDurationMs(event.frame);
          subscriber.next({ event, audioMs });
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

/** Runs one labelled turn through vad and the policy; resolves to the policy's first end per turn. */
export async function runTurn(
  fixture: TurnFixture,
  audio: { samples: Int16Array; sampleRate: number },
  policy: TurnPolicy,
  options: { realtime?: boolean } = {},
): Promise<TurnOutcome> {
  const isEnd = policy.isTurnEnd ?? ((e: PipelineEvent) => e.type === 'speech.ended');
  const frames = fromPcm(audio.samples, audio.sampleRate, { realtime: options.realtime ?? false });
  const parts = policy.setup ? policy.setup() : { vad: policy.vad, policy: policy.policy ?? identity };
  const transcripts = policy.transcripts;
  const timed = await lastValueFrom(
    frames.pipe(
      vad(parts.vad),
      transcripts ? scriptedTranscripts(fixture, transcripts === true ? 0 : transcripts.delayMs) : identity,
      parts.policy,
      withAudioTime(),
      toArray(),
    ),
  );
  const decisions: TurnDecision[] = [];
  const seen = new Set<string>();
  for (const { event, audioMs } of timed) {
    if (!isEnd(event)) continue;
    const turnId = 'turnId' in event && typeof event.turnId === 'string' ? event.turnId : `end-${decisions.length + 1}`;
    if (seen.has(turnId)) continue;
    seen.add(turnId);
    // An end at the stream's end is no decision: the file ran out.
    if (event.type === 'speech.ended' && event.reason === 'end_of_stream') continue;
    decisions.push({ turnId, atMs: audioMs });
  }
  return scoreTurn(fixture, decisions);
}

export interface PolicySummary {
  readonly policy: string;
  readonly turns: number;
  /** Turns with any end before the caller's last word. */
  readonly cutEarly: number;
  /** Of the turns with a labelled pause, those ended inside it. */
  readonly pausedTurns: number;
  readonly cutInPause: number;
  /** Of the turns said in one go, those ended in one of their own short gaps. */
  readonly completeTurns: number;
  readonly completeCut: number;
  readonly waitMedianMs?: number;
  readonly waitP90Ms?: number;
  /** Turns whose last words got no decision before the file ended. */
  readonly undecided: number;
}

export function summarizePolicy(policy: string, outcomes: readonly TurnOutcome[]): PolicySummary {
  const waits = outcomes.flatMap((o) => (o.waitMs === undefined ? [] : [o.waitMs])).sort((a, b) => a - b);
  const paused = outcomes.filter((o) => !o.complete);
  const complete = outcomes.filter((o) => o.complete);
  return {
    policy,
    turns: outcomes.length,
    cutEarly: outcomes.filter((o) => o.cutInPause || o.cutElsewhere).length,
    pausedTurns: paused.length,
    cutInPause: paused.filter((o) => o.cutInPause).length,
    completeTurns: complete.length,
    completeCut: complete.filter((o) => o.cutElsewhere || o.cutInPause).length,
    ...(waits.length ? { waitMedianMs: quantile(waits, 0.5), waitP90Ms: quantile(waits, 0.9) } : {}),
    undecided: outcomes.filter((o) => o.waitMs === undefined).length,
  };
}
