import { asyncScheduler, Observable, type Observer, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { errorEvent, type MetricEvent, type PipelineEvent } from '../src/events.js';
import { concatSamples } from '../src/audio/pcm.js';
import { toRxVoiceError } from '../src/errors.js';
import type { EndOfTurnRequest, TurnDetector, TurnVerdict } from '../src/turn/types.js';

export type { EndOfTurnRequest, TurnDetector, TurnDetectorInput, TurnVerdict } from '../src/turn/types.js';
export { textTurnDetector, type TextTurnDetectorOptions } from '../src/turn/text-detector.js';

export interface TurnDetectorOptions {
  readonly detector: TurnDetector;
  /** Where the verdicts go: give the same Subject to `vad({ endOfTurn })`. */
  readonly requests: Observer<EndOfTurnRequest>;
  /** Silence that ends a turn judged done; default 0: at once (the pause has already lasted `pauseMs`). */
  readonly doneSilenceMs?: number;
  /** Silence that ends a turn judged not done, and the longest wait for a verdict; default 1200 ms. */
  readonly holdSilenceMs?: number;
  /**
   * Turn ids whose reply is ready while the turn is still open (a preemptive reply held until the turn ends).
   * Waiting for a verdict then costs latency: a paused turn without a verdict yet ends at `readySilenceMs`
   * (default undefined: the vad's own `silenceMs`, at once when that much silence has passed). A later
   * verdict still applies ("not yet" holds the turn again; the vad ends it once the silence it asks for has passed).
   */
  readonly replyReady?: Observable<string>;
  readonly readySilenceMs?: number;
  /** Maps a verdict to the silence that ends the turn, instead of the two above. */
  readonly silenceFor?: (verdict: TurnVerdict) => number;
  /** Audio kept per turn for detectors that read audio; default 30 s (the vad's longest utterance). */
  readonly maxAudioMs?: number;
  readonly scheduler?: SchedulerLike;
}

interface OpenTurn {
  paused: boolean;
  /** Bumped at every pause and resume: a verdict about an older pause is dropped. */
  epoch: number;
  silenceAtPauseMs: number;
  pausedAt: number;
  asked: boolean;
  /** A verdict (or a failure) came for the current pause. */
  decided: boolean;
  abort?: AbortController;
  readonly audio: Int16Array[];
  audioSamples: number;
  sampleRate?: number;
}

export const DEFAULT_HOLD_SILENCE_MS = 1200;
const MAX_OPEN_TURNS = 4;

/**
 * End of turn that depends on what was said. At each `speech.paused` it holds the turn (up to
 * `holdSilenceMs`) and asks the detector, with the pause's `preview` transcript (text detectors) or the
 * turn's audio (audio detectors); the verdict becomes the silence the vad waits for before `speech.ended`:
 * `doneSilenceMs` for a turn that reads complete, `holdSilenceMs` for one that trails off. Speech after the
 * pause drops the verdict (the vad goes back to its own `silenceMs`); a failing detector is reported as a
 * non-fatal `error` and the vad's `silenceMs` decides. Every verdict is a `turn_verdict` metric. All events
 * pass through untouched.
 *
 * ```
 * in:       --S--c--P--p("What time is it?")-------E--
 * requests: -----------h-----------------------d------     h = hold 1200 ms, d = done: end now (0 ms)
 * out:      --S--c--P--p-----------------------m-E--     m = turn_verdict metric; E = speech.ended (from the vad)
 * ```
 */
export function turnDetector(options: TurnDetectorOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const detector = options.detector;
  const uses = detector.uses ?? 'text';
  const wantsText = uses !== 'audio';
  const wantsAudio = uses !== 'text';
  const holdMs = options.holdSilenceMs ?? DEFAULT_HOLD_SILENCE_MS;
  const doneMs = options.doneSilenceMs ?? 0;
  const silenceFor = options.silenceFor ?? ((v: TurnVerdict) => (v.done ? doneMs : holdMs));
  const maxAudioMs = options.maxAudioMs ?? 30_000;
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const turns = new Map<string, OpenTurn>();

      const ask = (turnId: string, turn: OpenTurn, text: string | undefined, language: string | undefined): void => {
        turn.asked = true;
        const epoch = turn.epoch;
        const abort = new AbortController();
        turn.abort = abort;
        const silenceMs = turn.silenceAtPauseMs + Math.max(0, scheduler.now() - turn.pausedAt);
        const current = () => turns.get(turnId) === turn && turn.epoch === epoch && turn.paused && !subscriber.closed;
        const decided = (verdict: TurnVerdict) => {
          if (!current()) return;
          turn.decided = true;
          const waitMs = Math.max(0, silenceFor(verdict));
          subscriber.next(verdictMetric(turnId, verdict, waitMs, detector.name, scheduler.now()));
          options.requests.next({ turnId, silenceMs: waitMs });
        };
        const failed = (err: unknown) => {
          if (!current()) return;
          turn.decided = true;
          const e = toRxVoiceError(err, 'vad', 'provider_error');
          subscriber.next(errorEvent({ code: e.code, stage: 'vad', message: `turn detector '${detector.name}': ${e.message}` }, turnId));
          options.requests.next({ turnId, silenceMs: undefined });
        };
        try {
          const verdict = detector.decide(
            {
              turnId,
              silenceMs,
              ...(text === undefined ? {} : { text }),
              ...(language ? { language } : {}),
              ...(wantsAudio && turn.sampleRate ? { audio: concatSamples(turn.audio), sampleRate: turn.sampleRate } : {}),
            },
            abort.signal,
          );
          if (isPromiseLike(verdict)) verdict.then(decided, failed);
          else decided(verdict);
        } catch (err) {
          failed(err);
        }
      };

      const reopen = (turn: OpenTurn) => {
        turn.epoch++;
        turn.abort?.abort();
        turn.abort = undefined;
        turn.asked = false;
        turn.decided = false;
      };

      const sub = source.subscribe({
        next: (event) => {
          subscriber.next(event);
          switch (event.type) {
            case 'speech.started':
              // Bounded: a turn leaves at its speech.ended; a stream that lost those keeps the newest few.
              if (turns.size >= MAX_OPEN_TURNS) turns.delete(turns.keys().next().value as string);
              turns.set(event.turnId, { paused: false, epoch: 0, silenceAtPauseMs: 0, pausedAt: 0, asked: false, decided: false, audio: [], audioSamples: 0 });
              break;
            case 'utterance.chunk': {
              const turn = turns.get(event.turnId);
              if (!turn || !wantsAudio || event.samples.length === 0) break;
              turn.sampleRate = event.sampleRate;
              if (((turn.audioSamples + event.samples.length) * 1000) / event.sampleRate > maxAudioMs) break;
              turn.audio.push(event.samples);
              turn.audioSamples += event.samples.length;
              break;
            }
            case 'speech.paused': {
              const turn = turns.get(event.turnId);
              if (!turn) break;
              reopen(turn);
              turn.paused = true;
              turn.silenceAtPauseMs = Math.max(0, event.decidedAudioMs - event.audioMs);
              turn.pausedAt = scheduler.now();
              // Hold the turn while the detector reads it; its verdict shortens or keeps the hold.
              options.requests.next({ turnId: event.turnId, silenceMs: holdMs });
              if (!wantsText) ask(event.turnId, turn, undefined, undefined);
              break;
            }
            case 'transcript': {
              const turn = turns.get(event.turnId);
              if (turn && event.preview && wantsText && turn.paused && !turn.asked) ask(event.turnId, turn, event.text, event.language);
              break;
            }
            case 'metric': {
              // The pause's speculative transcription failed: no preview will come, let the vad decide.
              const turn = event.name === 'speculation' && event.detail?.outcome === 'discarded' ? turns.get(event.turnId) : undefined;
              if (turn && turn.paused && !turn.asked && wantsText) options.requests.next({ turnId: event.turnId, silenceMs: undefined });
              break;
            }
            case 'speech.resumed': {
              const turn = turns.get(event.turnId);
              if (!turn) break;
              reopen(turn);
              turn.paused = false;
              break;
            }
            case 'speech.ended': {
              const turn = turns.get(event.turnId);
              if (turn) reopen(turn);
              turns.delete(event.turnId);
              break;
            }
            default:
              break;
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      const ready = options.replyReady?.subscribe((turnId) => {
        const turn = turns.get(turnId);
        if (turn && turn.paused && !turn.decided) options.requests.next({ turnId, silenceMs: options.readySilenceMs });
      });
      return () => {
        sub.unsubscribe();
        ready?.unsubscribe();
        for (const turn of turns.values()) turn.abort?.abort();
        turns.clear();
      };
    });
}

function verdictMetric(turnId: string, verdict: TurnVerdict, waitMs: number, detector: string, atMs: number): MetricEvent {
  return {
    type: 'metric',
    turnId,
    name: 'turn_verdict',
    valueMs: waitMs,
    stage: 'vad',
    atMs,
    detail: { done: verdict.done, confidence: verdict.confidence, detector, ...(verdict.reason ? { reason: verdict.reason } : {}) },
  };
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === 'function';
}
