import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { PipelineEvent } from '../src/events.js';
import type { PlaybackClock } from '../src/playback.js';

export interface IdlePromptOptions {
  /** The clock `tts` records reply audio in: the silence counts from when the assistant's audio finished playing. */
  readonly playback: PlaybackClock;
  /** Silence (ms) before the prompt. Default 8000. */
  readonly afterMs?: number;
  /** What is asked; default "Are you still there?". A function gets the prompt's count (1, 2...). */
  readonly text?: string | ((count: number) => string);
  /** Prompts per silence before the hang-up (or before giving up). Default 1. */
  readonly maxPrompts?: number;
  /** Silence (ms) after the last prompt was heard before the polite hang-up; omitted: never hang up. */
  readonly hangupAfterMs?: number;
  /** Said before hanging up; default "I'll hang up now. Goodbye!"; `''`: hang up without a word. */
  readonly hangupText?: string;
  readonly scheduler?: SchedulerLike;
}

export const DEFAULT_IDLE_PROMPT = 'Are you still there?';
export const DEFAULT_IDLE_HANGUP = "I'll hang up now. Goodbye!";
export const DEFAULT_IDLE_AFTER_MS = 8000;

/** How often the clock is asked again while reply audio is still playing (it has no "ended" signal). */
const RECHECK_MS = 50;

/**
 * Speaks up when the caller goes quiet. The silence counts from the end of the assistant's audio (as the
 * PlaybackClock estimates the sink's playback); caller speech, a final transcript with words (its reply is
 * on the way), a reply being generated or spoken, and a pending tool call all stop the count. After `afterMs` of silence it emits `idle.prompt` and the prompt as a
 * reply of its own (`idle-1`, `idle-2`...: `assistant.text` segment + `assistant.done`, which `tts` speaks);
 * after `maxPrompts` unanswered prompts and `hangupAfterMs` more, the goodbye and a `call.end`. Caller speech
 * starts the count of prompts over. Place it right before `tts`.
 *
 * ```
 * in:  --D1------------------------------S2--      D1 assistant.done turn-1 (audio already played), S2 speech.started
 * out: --D1-------(ptd)----------(tdE)---S2--      afterMs after D1: p idle.prompt, t/d the prompt idle-1;
 *                                                   hangupAfterMs after idle-1 was heard: the goodbye idle-2, E call.end
 * ```
 * Holds two timers at most; nothing it keeps grows with the call.
 */
export function idlePrompt(options: IdlePromptOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const afterMs = options.afterMs ?? DEFAULT_IDLE_AFTER_MS;
  const maxPrompts = Math.max(0, options.maxPrompts ?? 1);
  const clock = options.playback;
  const promptText = (count: number): string => (typeof options.text === 'function' ? options.text(count) : (options.text ?? DEFAULT_IDLE_PROMPT));
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      let timer: Subscription | undefined;
      let callerSpeaking = false;
      let replying: string | undefined; // a reply whose text is still coming (or about to)
      let lastDone: string | undefined; // the last turn whose reply ended
      const pendingTools = new Set<string>();
      let lastCallerTurn: string | undefined;
      let lastReply: string | undefined; // the reply whose audio the silence waits for
      let prompts = 0;
      let ids = 0;
      let ended = false;

      const disarm = (): void => {
        timer?.unsubscribe();
        timer = undefined;
      };

      const busy = (): boolean => ended || callerSpeaking || replying !== undefined || pendingTools.size > 0;

      /** Waits for the last reply's audio to be over, then counts the silence. */
      const arm = (): void => {
        disarm();
        if (busy()) return;
        // A reply the clock has not heard the end of (not all emitted, or still playing) is still on.
        if (lastReply !== undefined && (!clock.isComplete(lastReply) || clock.isPlaying(lastReply))) {
          const left = clock.emittedMs(lastReply) - clock.playedMs(lastReply);
          timer = scheduler.schedule(arm, Math.max(RECHECK_MS, left));
          return;
        }
        const hangup = prompts >= maxPrompts;
        if (hangup && options.hangupAfterMs === undefined) return; // prompted enough; wait for the caller
        const delay = hangup ? options.hangupAfterMs! : afterMs;
        const silentFrom = scheduler.now();
        timer = scheduler.schedule(() => {
          timer = undefined;
          if (busy()) return;
          if (hangup) hangUp();
          else prompt(scheduler.now() - silentFrom);
        }, delay);
      };

      const speak = (turnId: string, text: string): void => {
        subscriber.next({ type: 'assistant.text', turnId, delta: text, segment: true });
        subscriber.next({ type: 'assistant.done', turnId, text, finishReason: 'idle' });
      };

      const prompt = (silentMs: number): void => {
        prompts += 1;
        const turnId = `idle-${++ids}`;
        const text = promptText(prompts);
        subscriber.next({
          type: 'idle.prompt',
          turnId,
          ...(lastCallerTurn === undefined ? {} : { afterTurnId: lastCallerTurn }),
          count: prompts,
          silentMs,
          atMs: scheduler.now(),
        });
        lastReply = turnId;
        speak(turnId, text);
        arm();
      };

      const hangUp = (): void => {
        ended = true;
        const text = options.hangupText ?? DEFAULT_IDLE_HANGUP;
        const turnId = text === '' ? undefined : `idle-${++ids}`;
        if (turnId !== undefined) speak(turnId, text);
        subscriber.next({ type: 'call.end', reason: 'idle', ...(turnId === undefined ? {} : { turnId }), atMs: scheduler.now() });
      };

      const subscription = source.subscribe({
        next: (event) => {
          subscriber.next(event);
          switch (event.type) {
            case 'speech.started':
              callerSpeaking = true;
              lastCallerTurn = event.turnId;
              prompts = 0;
              disarm();
              return;
            case 'speech.ended':
              callerSpeaking = false;
              arm(); // a reply may follow (and stop the count); a cough gets none
              return;
            case 'transcript':
              // Words were said: a reply is coming, the silence is not the caller's yet. A late transcript (the
              // realtime session's, after the reply) changes nothing.
              if (event.final && event.text.trim() !== '' && lastDone !== event.turnId && replying === undefined) {
                replying = event.turnId;
                disarm();
              }
              return;
            case 'assistant.text':
              if (event.turnId.startsWith('idle-')) return;
              replying = event.turnId;
              lastReply = event.turnId;
              disarm();
              return;
            case 'tool.call':
              pendingTools.add(event.callId);
              disarm();
              return;
            case 'tool.result':
              pendingTools.delete(event.callId);
              return;
            case 'assistant.done':
            case 'reply.cancel':
              if (event.turnId.startsWith('idle-')) return;
              if (replying === event.turnId || replying === undefined) replying = undefined;
              lastDone = event.turnId;
              if (event.type === 'assistant.done') lastReply = event.turnId;
              pendingTools.clear(); // a finished or cancelled reply leaves no tool running
              arm();
              return;
            case 'error':
              if (event.turnId !== undefined && replying === event.turnId && event.stage !== 'tts') {
                replying = undefined;
                pendingTools.clear();
                arm();
              }
              return;
            default:
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          disarm();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        disarm();
      };
    });
}
