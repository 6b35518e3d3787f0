import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { ErrorStage } from '../src/errors.js';
import type { MetricEvent, MetricName, PipelineEvent } from '../src/events.js';

export interface TurnMetricsOptions {
  /** Clock for every measurement (default `asyncScheduler`; a `TestScheduler` in marble tests). */
  readonly scheduler?: SchedulerLike;
  /** How many turns' timings to remember (older ones are forgotten). Default 64. */
  readonly maxTurns?: number;
}

interface TurnTimes {
  /** Scheduler time of the true end of speech. */
  speechEnd?: number;
  transcriptFinal?: number;
  firstToken?: number;
  ttsFirstByte?: number;
  firstAudio?: number;
}

/**
 * Per-turn latency metrics. Placed at the END of a chain: passes every event through unchanged and adds
 * `metric` events, each measured from the true end of the caller's speech (the scheduler time when
 * `speech.ended` passed, minus the end-of-turn silence the vad waited: `decidedAudioMs - audioMs`).
 *
 * ```
 * in:  --E------T----x--a-->     E speech.ended, T final transcript, x first assistant.text, a first assistant.audio
 * out: --(Em)---(Tm)-(xm)-(a m m m m)-->
 *        speech_end  transcript_final  llm_first_token  tts_first_byte? first_audio_out + stage_duration x3
 * ```
 *
 * - `speech_end`: valueMs = audio time of the end of speech.
 * - `transcript_final`, `llm_first_token`, `tts_first_byte`, `first_audio_out`: valueMs = ms since the end of speech.
 * - `tts_first_byte`: taken from an upstream `tts_first_byte` metric (e.g. `tts`'s, whose valueMs counts
 *   from its request), rewritten to count from the end of speech, the original kept in `detail.sinceRequestMs`;
 *   without one, the first `assistant.audio` of the turn counts as the first byte.
 * - `stage_duration` (with the first audio): `transcribe` (speech end -> final transcript), `llm` (final
 *   transcript -> first token), `tts` (first token -> first audio); `pipeline` is the total, end of speech
 *   -> first audio. A stage whose start was not seen (e.g. realtime without a transcript yet) is omitted.
 *
 * Turns are matched by `turnId`; a reply's events carry the turn id of the utterance they answer.
 */
export function turnMetrics(options: TurnMetricsOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const maxTurns = options.maxTurns ?? 64;
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const turns = new Map<string, TurnTimes>();
      const turn = (turnId: string): TurnTimes => {
        let t = turns.get(turnId);
        if (!t) {
          t = {};
          turns.set(turnId, t);
          if (turns.size > maxTurns) turns.delete(turns.keys().next().value as string);
        }
        return t;
      };
      const metric = (
        turnId: string,
        name: MetricName,
        valueMs: number,
        at: number,
        extra: { stage?: ErrorStage; detail?: MetricEvent['detail'] } = {},
      ): void => {
        subscriber.next({ type: 'metric', turnId, name, valueMs: round(valueMs), atMs: at, ...extra });
      };
      const sinceEnd = (t: TurnTimes, at: number): number | undefined =>
        t.speechEnd === undefined ? undefined : at - t.speechEnd;

      return source.subscribe({
        next: (event) => {
          // Per frame (caller audio, reply audio after the first): nothing to time, not even the clock.
          if (event.type === 'audio.in' || (event.type === 'assistant.audio' && turns.get(event.turnId)?.firstAudio !== undefined)) {
            return subscriber.next(event);
          }
          const now = scheduler.now();
          if (event.type === 'metric' && event.name === 'tts_first_byte') {
            // Re-expressed from the end of speech so all of a turn's metrics share one origin.
            const t = turn(event.turnId);
            if (t.ttsFirstByte !== undefined) return;
            t.ttsFirstByte = event.atMs;
            const since = sinceEnd(t, event.atMs);
            if (since === undefined) subscriber.next(event);
            else
              metric(event.turnId, 'tts_first_byte', since, event.atMs, {
                ...(event.stage ? { stage: event.stage } : {}),
                detail: { ...event.detail, sinceRequestMs: event.valueMs },
              });
            return;
          }
          subscriber.next(event);
          switch (event.type) {
            case 'speech.ended': {
              const t: TurnTimes = {};
              turns.delete(event.turnId);
              turns.set(event.turnId, t);
              if (turns.size > maxTurns) turns.delete(turns.keys().next().value as string);
              t.speechEnd = now - Math.max(0, event.decidedAudioMs - event.audioMs);
              metric(event.turnId, 'speech_end', event.audioMs, now, {
                detail: { decidedAfterMs: event.decidedAudioMs - event.audioMs, reason: event.reason },
              });
              break;
            }
            case 'transcript': {
              if (!event.final) break;
              const t = turn(event.turnId);
              if (t.transcriptFinal !== undefined) break;
              t.transcriptFinal = now;
              const since = sinceEnd(t, now);
              if (since !== undefined) metric(event.turnId, 'transcript_final', since, now, { stage: 'transcribe' });
              break;
            }
            case 'assistant.text': {
              const t = turn(event.turnId);
              if (t.firstToken !== undefined || event.delta === '') break;
              t.firstToken = now;
              const since = sinceEnd(t, now);
              if (since !== undefined) metric(event.turnId, 'llm_first_token', since, now, { stage: 'llm' });
              break;
            }
            case 'assistant.audio': {
              const t = turn(event.turnId);
              if (t.firstAudio !== undefined) break;
              t.firstAudio = now;
              if (t.ttsFirstByte === undefined) {
                t.ttsFirstByte = now;
                const since = sinceEnd(t, now);
                if (since !== undefined) metric(event.turnId, 'tts_first_byte', since, now, { stage: 'tts' });
              }
              const since = sinceEnd(t, now);
              if (since === undefined) break;
              metric(event.turnId, 'first_audio_out', since, now);
              const stage = (name: ErrorStage, from: number | undefined, to: number | undefined): void => {
                if (from !== undefined && to !== undefined) metric(event.turnId, 'stage_duration', to - from, now, { stage: name });
              };
              stage('transcribe', t.speechEnd, t.transcriptFinal);
              stage('llm', t.transcriptFinal, t.firstToken);
              stage('tts', t.firstToken, t.firstAudio);
              stage('pipeline', t.speechEnd, t.firstAudio);
              break;
            }
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
