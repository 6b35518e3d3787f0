import fc from 'fast-check';
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { cascaded } from '../../pipelines/cascaded.js';
import { fromPcm } from '../../src/audio/sources.js';
import { RxVoiceError } from '../../src/errors.js';
import type { EventOf, PipelineEvent, PipelineEventType } from '../../src/events.js';
import type { TranscriptionRequest, Transcriber, TranscriptUpdate } from '../../src/providers/types.js';
import { fakeChatModel } from '../../src/testing/fakes/openai.js';
import { fakeSynthesizer } from '../../src/testing/fakes/tts.js';
import { scriptedSpeech } from '../../src/testing/vad.js';

/**
 * "Nothing lost", checked over randomized fault schedules (fast-check) through the whole cascaded chain in
 * virtual time: every utterance the vad detected ends in exactly one final transcript or exactly one
 * error naming it; and the audio the provider received for the attempt that succeeded is, sample for
 * sample, the audio of that utterance's chunks, which are a gap-free slice of the caller's audio.
 */

type Outcome =
  | { kind: 'ok' }
  | { kind: 'http'; status: 429 | 500 | 503; retryAfterS?: number }
  | { kind: 'reset_mid_upload'; afterChunks: number }
  | { kind: 'reset_after_upload' }
  | { kind: 'malformed' }
  | { kind: 'auth' };

const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'ok' as const }) },
  fc.record({ kind: fc.constant('http' as const), status: fc.constantFrom(429 as const, 500 as const, 503 as const), retryAfterS: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }) }),
  fc.record({ kind: fc.constant('reset_mid_upload' as const), afterChunks: fc.integer({ min: 0, max: 4 }) }),
  fc.constant({ kind: 'reset_after_upload' as const }),
  fc.constant({ kind: 'malformed' as const }),
  { weight: 1, arbitrary: fc.constant({ kind: 'auth' as const }) },
);

function errorFor(o: Exclude<Outcome, { kind: 'ok' }>): RxVoiceError {
  switch (o.kind) {
    case 'http':
      return new RxVoiceError({
        code: o.status === 429 ? 'rate_limited' : 'provider_error',
        stage: 'transcribe',
        message: `HTTP ${o.status} from the fake`,
        retryable: true,
        status: o.status,
        ...(o.retryAfterS === undefined ? {} : { retryAfterMs: o.retryAfterS * 1000 }),
      });
    case 'reset_mid_upload':
    case 'reset_after_upload':
      return new RxVoiceError({ code: 'connection', stage: 'transcribe', message: 'socket hang up', retryable: true });
    case 'malformed':
      return new RxVoiceError({ code: 'protocol', stage: 'transcribe', message: 'unparseable event in the stream', retryable: true });
    case 'auth':
      return new RxVoiceError({ code: 'auth', stage: 'transcribe', message: 'Incorrect API key provided', retryable: false, status: 401 });
  }
}

interface Attempt {
  readonly turnId: string;
  readonly samples: number[];
  completed: boolean;
}

/** A transcriber that fails requests as the schedule says, and records every sample each attempt got. */
function scheduledTranscriber(schedule: readonly Outcome[], scheduler: TestScheduler): Transcriber & { attempts: Attempt[] } {
  const attempts: Attempt[] = [];
  return {
    name: 'scheduled-faults',
    attempts,
    transcribe(request: TranscriptionRequest): Observable<TranscriptUpdate> {
      return new Observable<TranscriptUpdate>((subscriber) => {
        const n = attempts.length;
        const o = schedule[n] ?? { kind: 'ok' };
        const attempt: Attempt = { turnId: request.turnId ?? '?', samples: [], completed: false };
        attempts.push(attempt);
        if (o.kind === 'http' || o.kind === 'auth') {
          // Refused before the body: nothing consumed.
          const timer = scheduler.schedule(() => subscriber.error(errorFor(o)), 20);
          return () => timer.unsubscribe();
        }
        let chunks = 0;
        const sub = request.audio.subscribe({
          next: (samples) => {
            for (const s of samples) attempt.samples.push(s);
            if (o.kind === 'reset_mid_upload' && ++chunks > o.afterChunks) subscriber.error(errorFor(o));
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            attempt.completed = true;
            if (o.kind === 'reset_mid_upload') return void subscriber.error(errorFor(o));
            scheduler.schedule(() => {
              if (o.kind === 'ok') {
                subscriber.next({ text: `heard ${request.turnId}`, final: true });
                subscriber.complete();
              } else subscriber.error(errorFor(o));
            }, 50);
          },
        });
        return () => sub.unsubscribe();
      });
    },
  };
}

/** Distinct sample values, so a dropped, repeated or reordered frame shows up in the comparison. */
function callAudio(totalMs: number): Int16Array {
  const samples = new Int16Array((totalMs * 16000) / 1000);
  for (let i = 0; i < samples.length; i++) samples[i] = ((i * 7919) % 60000) - 30000;
  return samples;
}

const ofType = <T extends PipelineEventType>(events: readonly PipelineEvent[], type: T) => events.filter((e): e is EventOf<T> => e.type === type);

const scheduleArb = fc.record({
  utterances: fc.array(fc.record({ gapMs: fc.integer({ min: 1200, max: 4000 }), speechMs: fc.integer({ min: 400, max: 2500 }) }), { minLength: 1, maxLength: 4 }),
  outcomes: fc.array(outcome, { maxLength: 14 }),
  maxAttempts: fc.integer({ min: 1, max: 4 }),
});

describe('nothing lost under randomized transcription faults (cascaded, virtual time)', () => {
  it('every detected utterance ends in exactly one final transcript or one error naming it; no sample dropped', () => {
    // Across the runs, both endings must have been exercised (or the property proved little).
    const seen = { lost: 0, recoveredAfterRetry: 0 };
    fc.assert(
      fc.property(scheduleArb, ({ utterances, outcomes, maxAttempts }) => {
        const spans: [number, number][] = [];
        let t = 0;
        for (const u of utterances) {
          t += u.gapMs;
          spans.push([t, t + u.speechMs]);
          t += u.speechMs;
        }
        const totalMs = Math.ceil((t + 3000) / 20) * 20;
        const scheduler = new TestScheduler(() => undefined);
        const stt = scheduledTranscriber(outcomes, scheduler);
        const chat = fakeChatModel({ replies: utterances.map(() => 'OK.'), firstTokenMs: 50, tokenMs: 10, scheduler });
        const synthesizer = fakeSynthesizer({ firstByteMs: 20, msPerChar: 10, scheduler });
        const audio = callAudio(totalMs);
        const events: PipelineEvent[] = [];
        let completed = false;
        scheduler.run(() => {
          fromPcm(audio, 16000, { realtime: true, scheduler })
            .pipe(
              cascaded({
                providers: { transcriber: stt, chatModel: chat, synthesizer },
                vad: { probabilities: scriptedSpeech(spans) },
                retry: { maxAttempts, baseDelayMs: 100, maxDelayMs: 1000 },
                bargeIn: false,
                // The property is about transcription faults; the gaps between its utterances are the vad's to split.
                turnDetection: false,
                scheduler,
              }),
            )
            .subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
        });
        expect(completed).toBe(true);

        const turns = ofType(events, 'speech.started').map((e) => e.turnId);
        expect(turns.length).toBe(utterances.length);
        for (const turnId of turns) {
          const finals = ofType(events, 'transcript').filter((e) => e.turnId === turnId && e.final);
          const lost = ofType(events, 'error').filter((e) => e.turnId === turnId && e.stage === 'transcribe');
          // Exactly one ending, never both, never neither.
          expect(finals.length + lost.length, `${turnId}: ${JSON.stringify({ finals, lost })}`).toBe(1);
          if (lost.length === 1) {
            expect(lost[0]).toMatchObject({ utteranceLost: true });
            expect(lost[0]!.message.length).toBeGreaterThan(5);
          }

          // The utterance's chunks: indices 0..n, one final, and a gap-free slice of the caller's audio.
          const chunks = ofType(events, 'utterance.chunk').filter((e) => e.turnId === turnId);
          expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
          expect(chunks.filter((c) => c.final)).toHaveLength(1);
          expect(chunks.at(-1)!.final).toBe(true);
          const heard = chunks.flatMap((c) => Array.from(c.samples));
          const start = Math.round((chunks[0]!.startMs * 16000) / 1000);
          expect(heard).toEqual(Array.from(audio.subarray(start, start + heard.length)));
          // The speech itself is inside what was sent.
          const [a, b] = spans[turns.indexOf(turnId)]!;
          expect(chunks[0]!.startMs).toBeLessThanOrEqual(a);
          expect(chunks[0]!.startMs + (heard.length * 1000) / 16000).toBeGreaterThanOrEqual(b);

          // The attempt that produced the transcript received exactly those samples.
          const attempts = stt.attempts.filter((x) => x.turnId === turnId);
          expect(attempts.length).toBeGreaterThanOrEqual(1);
          // A speculative request (ended at a pause) that failed does not use up the retry budget.
          const speculative = ofType(events, 'metric').filter((m) => m.name === 'speculation' && m.turnId === turnId && m.detail?.outcome === 'started').length;
          expect(attempts.length).toBeLessThanOrEqual(maxAttempts + speculative);
          if (lost.length === 1) seen.lost++;
          if (finals.length === 1 && attempts.length > 1) seen.recoveredAfterRetry++;
          if (finals.length === 1) {
            const last = attempts.at(-1)!;
            expect(last.completed).toBe(true);
            // Preemptive: the upload may end at the pause, before the end-of-turn silence; then it holds
            // a prefix of the utterance's audio that still covers all of the speech.
            expect(last.samples).toEqual(heard.slice(0, last.samples.length));
            expect(chunks[0]!.startMs + (last.samples.length * 1000) / 16000).toBeGreaterThanOrEqual(b);
          }
        }
        // A turn that got its transcript got its reply: faults on one turn do not silence the next.
        for (const turnId of turns) {
          const final = ofType(events, 'transcript').find((e) => e.turnId === turnId && e.final);
          if (final) expect(ofType(events, 'assistant.done').some((e) => e.turnId === turnId)).toBe(true);
        }
      }),
      { numRuns: 15 },
    );
    expect(seen.lost).toBeGreaterThan(0);
    expect(seen.recoveredAfterRetry).toBeGreaterThan(0);
  });
});
