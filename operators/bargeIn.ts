import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { frameEndMs } from '../src/audio/frame.js';
import type { PipelineEvent, TranscriptEvent } from '../src/events.js';
import type { PlaybackClock } from '../src/playback.js';
import { countWords } from '../src/text/segmenter.js';
import { bargeInThresholds, type BargeInPolicy } from '../src/bargein-policy.js';

/** When caller speech during a reply counts as a barge-in: the policy both chains share (src/bargein-policy.ts). */
export type { BargeInPolicy };

export interface BargeInOptions {
  /** The clock `tts` records reply audio in (the same instance): tells whether a reply is still active. */
  readonly playback: PlaybackClock;
  /** Default `{}`: any caller speech during a reply cuts it at once. */
  readonly policy?: BargeInPolicy;
  /** Ignore caller utterances that start while the assistant is speaking (no barge-in, no new turn). */
  readonly halfDuplex?: boolean;
  /** Ignore caller utterances that start within this many ms after the reply's audio started (echo). */
  readonly echoGuardMs?: number;
  /** After a false interruption (no words in the final transcript) emit `reply.resume` so `tts` re-speaks the rest. Default true. */
  readonly resume?: boolean;
  readonly scheduler?: SchedulerLike;
}

/** Caller speech that started during a reply and has not (yet) met the policy. */
interface Candidate {
  readonly replyTurn: string;
  readonly startedAudioMs: number;
  spokeLongEnough: boolean;
  words: number;
  timer?: Subscription;
}

/**
 * The barge-in policy. Placed after `transcribe` (it sees `speech.*`, partial and final transcripts and
 * `audio.in`) and before `llmStream`, it emits `reply.cancel` for the reply the caller talks over, which
 * `llmStream` (abort) and `tts` (stop, report `interruption`) act on downstream.
 *
 * ```
 * in:  --F-----------S---p----T--     F final transcript turn-1, S speech.started turn-2, p partial, T final turn-2
 * out: --F-----------S---(Cp)-T--     C reply.cancel {turnId: turn-1, byTurnId: turn-2, reason: barge_in}
 *                                         (policy { minWords: 2 }: C waits for a transcript with 2 words)
 * ```
 *
 * Which reply is active: the operator cannot see `assistant.done` (it flows downstream of it), so the reply to
 * turn R counts from R's final non-empty transcript until the PlaybackClock says its audio is over: `tts`
 * calls `markComplete(R)` when the reply's audio is all emitted (or the reply had none), and the reply stays
 * active while `isPlaying(R)`. A reply this operator cancelled is over at once.
 *
 * - policy `{ minSpeechMs, minWords }` (all given ones must hold): speech during an active reply cancels it
 *   with reason `barge_in` once the caller spoke `minSpeechMs` (audio time from `audio.in`, or the scheduler
 *   when no audio passes) and a transcript has `minWords` words. A final transcript with fewer words while the
 *   reply still plays is a backchannel ("mhm"): passed on with empty text, so no new reply starts.
 * - `false`: speech never cancels; a new non-empty final transcript cancels a still-active reply with reason
 *   `new_turn` (so does one that did not meet the policy), always before the transcript is passed on.
 * - False interruption: when the utterance that cut a reply ends with no words (or fewer than `minWords`), a
 *   `reply.resume` follows and `tts` speaks the unheard rest; the reply is active again.
 * - `halfDuplex`: an utterance that starts while reply audio is out is ignored: its `speech.*` and
 *   `transcript` events are dropped. `echoGuardMs`: the same for utterances starting within that many ms of
 *   the reply's first audio (a line that echoes the reply back).
 */
export function bargeIn(options: BargeInOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const clock = options.playback;
  const policy = options.policy ?? {};
  const { minSpeechMs, minWords } = bargeInThresholds(policy);
  const resume = options.resume ?? true;

  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      let replyTurn: string | undefined;
      const cancelled = new Set<string>();
      const candidates = new Map<string, Candidate>();
      /** Caller turn -> the reply it cut (until its final transcript says whether it was real). */
      const interrupted = new Map<string, string>();
      const ignored = new Set<string>();
      let lastAudioMs: number | undefined;

      const isActive = (turnId: string): boolean => !cancelled.has(turnId) && (!clock.isComplete(turnId) || clock.isPlaying(turnId));
      const isSpeaking = (turnId: string): boolean => clock.startedAt(turnId) !== undefined && isActive(turnId);

      const cancelReply = (turnId: string, byTurnId: string, reason: 'barge_in' | 'new_turn'): void => {
        cancelled.add(turnId);
        if (cancelled.size > 256) cancelled.delete(cancelled.values().next().value as string);
        subscriber.next({ type: 'reply.cancel', turnId, byTurnId, reason });
      };

      const drop = (turnId: string): void => {
        candidates.get(turnId)?.timer?.unsubscribe();
        candidates.delete(turnId);
      };

      const check = (byTurnId: string): void => {
        const c = candidates.get(byTurnId);
        if (!c) return;
        if (!isActive(c.replyTurn)) return drop(byTurnId); // the reply ended by itself meanwhile
        if ((minSpeechMs > 0 && !c.spokeLongEnough) || c.words < minWords) return;
        drop(byTurnId);
        interrupted.set(byTurnId, c.replyTurn);
        cancelReply(c.replyTurn, byTurnId, 'barge_in');
      };

      const onSpeechStarted = (turnId: string, audioMs: number): boolean => {
        const reply = replyTurn;
        if (reply === undefined || reply === turnId || !isActive(reply)) return true;
        const startedAt = clock.startedAt(reply);
        const echo = options.echoGuardMs !== undefined && startedAt !== undefined && scheduler.now() - startedAt < options.echoGuardMs;
        if ((options.halfDuplex && isSpeaking(reply)) || (echo && isSpeaking(reply))) {
          ignored.add(turnId);
          if (ignored.size > 64) ignored.delete(ignored.values().next().value as string);
          return false;
        }
        if (policy === false) return true;
        const candidate: Candidate = { replyTurn: reply, startedAudioMs: audioMs, spokeLongEnough: minSpeechMs === 0, words: 0 };
        candidates.set(turnId, candidate);
        if (minSpeechMs > 0) {
          const alreadyMs = lastAudioMs === undefined ? 0 : Math.max(0, lastAudioMs - audioMs);
          candidate.timer = scheduler.schedule(() => {
            candidate.spokeLongEnough = true;
            check(turnId);
          }, Math.max(0, minSpeechMs - alreadyMs));
        }
        return true;
      };

      /** Returns the transcript to pass on (maybe emptied), or undefined to drop it. */
      const onFinal = (event: TranscriptEvent): TranscriptEvent | undefined => {
        const words = countWords(event.text);
        const candidate = candidates.get(event.turnId);
        drop(event.turnId);
        const cut = interrupted.get(event.turnId);
        interrupted.delete(event.turnId);
        const tooFew = words === 0 || words < minWords;
        if (cut !== undefined && tooFew) {
          // A false interruption: the reply goes on where the caller stopped hearing it.
          if (resume) {
            cancelled.delete(cut);
            replyTurn = cut;
            subscriber.next({ type: 'reply.resume', turnId: cut, byTurnId: event.turnId });
          }
          return words === 0 ? event : { ...event, text: '' };
        }
        if (candidate && tooFew && isActive(candidate.replyTurn)) return words === 0 ? event : { ...event, text: '' }; // backchannel
        if (words === 0) return event;
        const reply = replyTurn;
        if (reply !== undefined && reply !== event.turnId && isActive(reply)) cancelReply(reply, event.turnId, 'new_turn');
        replyTurn = event.turnId;
        return event;
      };

      const subscription = source.subscribe({
        next: (event) => {
          switch (event.type) {
            case 'audio.in':
              subscriber.next(event);
              lastAudioMs = frameEndMs(event.frame);
              // Per caller frame: nothing to copy or loop over unless someone talks over a reply.
              if (candidates.size === 0 || minSpeechMs === 0) return;
              for (const [turnId, c] of [...candidates]) {
                if (minSpeechMs > 0 && !c.spokeLongEnough && lastAudioMs - c.startedAudioMs >= minSpeechMs) {
                  c.spokeLongEnough = true;
                  check(turnId);
                }
              }
              return;
            case 'speech.started':
              if (!onSpeechStarted(event.turnId, event.audioMs)) return;
              subscriber.next(event);
              check(event.turnId); // with no thresholds the cut is immediate
              return;
            case 'speech.ended': {
              if (ignored.has(event.turnId)) return;
              const c = candidates.get(event.turnId);
              if (c) {
                c.timer?.unsubscribe();
                if (event.audioMs - c.startedAudioMs >= minSpeechMs) c.spokeLongEnough = true;
                check(event.turnId);
              }
              subscriber.next(event);
              return;
            }
            case 'transcript': {
              if (ignored.has(event.turnId)) {
                if (event.final) ignored.delete(event.turnId);
                return;
              }
              const c = candidates.get(event.turnId);
              if (c) {
                c.words = Math.max(c.words, countWords(event.text));
                check(event.turnId);
              }
              if (!event.final) return subscriber.next(event);
              const out = onFinal(event);
              if (out) subscriber.next(out);
              return;
            }
            default:
              subscriber.next(event);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        subscription.unsubscribe();
        for (const c of candidates.values()) c.timer?.unsubscribe();
        candidates.clear();
      };
    });
}
