import { asyncScheduler, Observable, timer, type OperatorFunction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { RxVoiceError, toRxVoiceError } from '../src/errors.js';
import { errorEvent, retryMetric, speculationMetric, type PipelineEvent, type TranscriptEvent, type UtteranceChunkEvent } from '../src/events.js';
import type { Transcriber } from '../src/providers/types.js';

/** Bounded retries with exponential backoff; a provider's `retry-after` wins over the backoff. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** Backoff before the 2nd attempt; doubles each time. Default 500 ms. */
  readonly baseDelayMs?: number;
  /** Default 8000 ms. */
  readonly maxDelayMs?: number;
}

/** Delay before attempt `attempt + 1` after a failed attempt `attempt` (1-based). */
export function retryDelayMs(retry: RetryOptions, attempt: number, err: RxVoiceError): number {
  if (err.retryAfterMs !== undefined) return err.retryAfterMs;
  const base = retry.baseDelayMs ?? 500;
  return Math.min(base * 2 ** (attempt - 1), retry.maxDelayMs ?? 8000);
}

export interface TranscribeOptions {
  readonly transcriber: Transcriber;
  /** ISO-639-1 hint; omitted means auto-detect (the detected language goes on in the transcript). */
  readonly language?: string;
  readonly prompt?: string;
  /** Emit partial transcripts (`final: false`) as the provider streams them. */
  readonly stream?: boolean;
  /** Retries for 429/5xx/resets; `false` for none. */
  readonly retry?: RetryOptions | false;
  /** Scheduler for retry delays (virtual time in marble tests). */
  readonly scheduler?: SchedulerLike;
  /**
   * End the upload at a `speech.paused` so the transcript is (nearly) ready when the turn ends (default
   * true). If the caller resumes, that request is dropped and a new one sends the whole utterance.
   */
  readonly preemptive?: boolean;
}

interface Utterance {
  readonly turnId: string;
  readonly sampleRate: UtteranceChunkEvent['sampleRate'];
  readonly chunks: Int16Array[];
  ended: boolean;
  readonly listeners: Set<Subscriber<Int16Array>>;
  attempt: number;
  request?: Subscription;
  wait?: Subscription;
  settled: boolean;
  /** The upload was ended at a `speech.paused`: its transcript waits for the turn to be decided. */
  speculating: boolean;
  /** The turn's end was decided (`speech.ended`, a new turn, the end of the input). */
  decided: boolean;
  /** A speculative attempt's final transcript, held until the turn is decided. */
  held?: TranscriptEvent;
  /** The speculative attempt failed (already counted as discarded). */
  speculationFailed?: boolean;
}

/**
 * Speech to text per utterance. At an utterance's first `utterance.chunk` it opens ONE transcription
 * request whose audio is the utterance as it arrives, so a streaming upload is nearly done when the
 * caller stops. The audio stays buffered until the transcript arrives: a retryable failure (429, 5xx,
 * reset) re-sends everything heard so far plus what arrives meanwhile. Every utterance ends in exactly one
 * final `transcript` (text '' when nothing was said) or one `error` with `utteranceLost: true`.
 * All events pass through.
 *
 * Preemptive: at the turn's `speech.paused` the upload is ended (the request answers while the vad is
 * still waiting for the end of the turn); its transcript goes out at once as a `preview` partial (for a
 * turn detector) and is held as the final one until `speech.ended`.
 * If `speech.resumed` comes first, that request is aborted and leaves no trace, and a new one sends the
 * whole utterance, the audio so far first. Each is counted as a `speculation` metric (started, used,
 * discarded).
 *
 * ```
 * in:  --c0--c1--c2(final)-------------->
 * out: --c0--c1--c2--------T------------>   T = transcript {final: true, text, language}
 *        (one request open from c0 to T; unsubscribing aborts it)
 * ```
 */
export function transcribe(options: TranscribeOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const retry = options.retry === false ? { maxAttempts: 1 } : (options.retry ?? {});
  const maxAttempts = Math.max(1, retry.maxAttempts ?? 3);
  const preemptive = options.preemptive ?? true;
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const utterances = new Map<string, Utterance>();
      const finished = new Set<string>();
      let sourceDone = false;

      const maybeComplete = (): void => {
        if (sourceDone && utterances.size === 0) subscriber.complete();
      };

      const settle = (u: Utterance, event: PipelineEvent): void => {
        if (u.settled) return;
        u.settled = true;
        u.request?.unsubscribe();
        u.wait?.unsubscribe();
        utterances.delete(u.turnId);
        finished.add(u.turnId);
        if (finished.size > 256) finished.delete(finished.values().next().value as string);
        for (const l of u.listeners) l.complete();
        u.listeners.clear();
        subscriber.next(event);
        maybeComplete();
      };

      const audioOf = (u: Utterance): Observable<Int16Array> =>
        new Observable<Int16Array>((audio) => {
          for (const c of u.chunks) audio.next(c);
          if (u.ended) {
            audio.complete();
            return undefined;
          }
          u.listeners.add(audio);
          return () => u.listeners.delete(audio);
        });

      const attempt = (u: Utterance): void => {
        u.attempt += 1;
        let gotFinal = false;
        const request = options.transcriber
          .transcribe({
            audio: audioOf(u),
            sampleRate: u.sampleRate,
            turnId: u.turnId,
            ...(options.language ? { language: options.language } : {}),
            ...(options.prompt ? { prompt: options.prompt } : {}),
            ...(options.stream ? { stream: true } : {}),
          })
          .subscribe({
            next: (update) => {
              if (u.settled) return;
              const language = update.language ?? options.language;
              const transcript: PipelineEvent = {
                type: 'transcript',
                turnId: u.turnId,
                text: update.text.trim(),
                final: update.final,
                ...(language ? { language } : {}),
              };
              if (update.final) {
                gotFinal = true;
                if (u.speculating && !u.decided) {
                  u.held = transcript as TranscriptEvent;
                  // What was said before the pause, for a turn detector; the final waits for the decision.
                  subscriber.next({ ...(transcript as TranscriptEvent), final: false, preview: true });
                } else settle(u, transcript);
              } else if (options.stream && !u.speculating) subscriber.next(transcript);
            },
            error: (err: unknown) => {
              u.request = undefined;
              if (u.settled) return;
              const e = toRxVoiceError(err, 'transcribe', 'provider_error');
              if (u.speculating && !u.decided) {
                // A speculative request that failed costs nothing yet and is not retried: the turn's end
                // (or the resumed speech) sends a fresh one; it does not use up the retry budget. No preview will come.
                u.attempt = Math.max(0, u.attempt - 1);
                u.speculationFailed = true;
                subscriber.next(speculationMetric(u.turnId, 'transcribe', 'discarded', scheduler.now(), { failed: true }));
              } else if (e.retryable && u.attempt < maxAttempts) {
                const delayMs = retryDelayMs(retry, u.attempt, e);
                subscriber.next(retryMetric(u.turnId, 'transcribe', delayMs, scheduler.now(), e.code, u.attempt));
                u.wait = timer(delayMs, scheduler).subscribe(() => {
                  u.wait = undefined;
                  attempt(u);
                });
              } else {
                const message = u.attempt > 1 ? `${e.message} (after ${u.attempt} attempts)` : e.message;
                settle(u, errorEvent({ code: e.code, stage: 'transcribe', message, retryable: e.retryable }, u.turnId, true));
              }
            },
            complete: () => {
              u.request = undefined;
              if (!gotFinal && !u.settled && !(u.speculating && !u.decided)) {
                settle(
                  u,
                  errorEvent(
                    new RxVoiceError({ code: 'protocol', stage: 'transcribe', message: 'the transcriber finished without a final transcript' }),
                    u.turnId,
                    true,
                  ),
                );
              }
            },
          });
        if (!u.settled && !request.closed) u.request = request;
      };

      const onChunk = (event: UtteranceChunkEvent): void => {
        if (finished.has(event.turnId)) return;
        let u = utterances.get(event.turnId);
        const fresh = u === undefined;
        if (!u) {
          u = { turnId: event.turnId, sampleRate: event.sampleRate, chunks: [], ended: false, listeners: new Set(), attempt: 0, settled: false, speculating: false, decided: false };
          utterances.set(event.turnId, u);
        }
        if (event.samples.length > 0) {
          u.chunks.push(event.samples);
          for (const l of [...u.listeners]) l.next(event.samples);
        }
        if (event.final) endAudio(u);
        if (fresh) attempt(u);
      };

      const onPaused = (turnId: string): void => {
        const u = utterances.get(turnId);
        if (!preemptive || !u || u.settled || u.ended || u.speculating) return;
        u.speculating = true;
        subscriber.next(speculationMetric(turnId, 'transcribe', 'started', scheduler.now()));
        endAudio(u);
      };

      const onResumed = (turnId: string): void => {
        const u = utterances.get(turnId);
        if (!u || u.settled || !u.speculating || u.decided) return;
        u.speculating = false;
        u.held = undefined;
        const failed = u.speculationFailed;
        u.speculationFailed = false;
        // The aborted speculative request does not count against the retry budget.
        if (u.request && !failed) u.attempt = Math.max(0, u.attempt - 1);
        u.request?.unsubscribe();
        u.request = undefined;
        u.wait?.unsubscribe();
        u.wait = undefined;
        u.ended = false;
        if (!failed) subscriber.next(speculationMetric(turnId, 'transcribe', 'discarded', scheduler.now()));
        attempt(u);
      };

      /** The turn is over: a held transcript goes out now; a speculative request still running is adopted. */
      const onDecided = (u: Utterance): void => {
        if (u.settled || u.decided) return;
        u.decided = true;
        endAudio(u);
        if (!u.speculating) return;
        if (!u.speculationFailed) subscriber.next(speculationMetric(u.turnId, 'transcribe', 'used', scheduler.now()));
        if (u.held) settle(u, u.held);
        else if (!u.request && !u.wait) attempt(u); // the speculative request failed: the real one now
      };

      const endAudio = (u: Utterance): void => {
        u.ended = true;
        for (const l of [...u.listeners]) l.complete();
        u.listeners.clear();
      };

      const sub = source.subscribe({
        next: (event) => {
          subscriber.next(event);
          if (event.type === 'utterance.chunk') onChunk(event);
          else if (event.type === 'speech.paused') onPaused(event.turnId);
          else if (event.type === 'speech.resumed') onResumed(event.turnId);
          else if (event.type === 'speech.ended') {
            const u = utterances.get(event.turnId);
            if (u) onDecided(u);
          } else if (event.type === 'speech.started') {
            for (const u of [...utterances.values()]) if (u.turnId !== event.turnId) onDecided(u);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          // An utterance cut by the end of the input still gets its transcript.
          for (const u of [...utterances.values()]) {
            endAudio(u);
            onDecided(u);
          }
          maybeComplete();
        },
      });
      return () => {
        sub.unsubscribe();
        for (const u of utterances.values()) {
          u.request?.unsubscribe();
          u.wait?.unsubscribe();
        }
        utterances.clear();
      };
    });
}
