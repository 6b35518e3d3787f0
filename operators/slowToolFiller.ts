import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Conversation } from '../src/conversation.js';
import type { PipelineEvent } from '../src/events.js';

export interface SlowToolFillerOptions {
  /** A tool still running after this many ms is slow. Default 1000; per tool name in `thresholds`. */
  readonly thresholdMs?: number;
  /** Per-tool thresholds (ms) by tool name; `Infinity` never announces that tool. */
  readonly thresholds?: Readonly<Record<string, number>>;
  /**
   * What is said; default "One moment, let me check that."; `''` says nothing (the `tool.slow` event alone,
   * for a thinking sound played by `backgroundAudio`). A function gets the tool's name.
   */
  readonly text?: string | ((toolName: string) => string);
  /**
   * The history `llmStream` writes: the filler is added to the turn as the assistant's own words, so the
   * interruption that cuts the turn to what was heard drops it when it was not heard (and keeps it when it
   * was). Without it, the filler is never in the history.
   */
  readonly conversation?: Conversation;
  readonly scheduler?: SchedulerLike;
}

export const DEFAULT_FILLER_TEXT = 'One moment, let me check that.';
export const DEFAULT_SLOW_TOOL_MS = 1000;

/** Tool calls watched at once; a model cannot make the operator hold more timers than this. */
const MAX_WATCHED_CALLS = 32;

/**
 * Fills the silence while a tool is slow. Each `tool.call` starts a timer (its tool's threshold); if the
 * turn has no `tool.result` for it by then, `tool.slow` is emitted and, once per turn, a short filler as an
 * `assistant.text` segment of the same turn, so `tts` speaks it in the reply's own synthesis and a barge-in
 * cuts it like any reply. The result, `assistant.done`, `reply.cancel` or an `llm` error of the turn stop
 * its timers. Place it right before `tts` (after `sentences`); needs the streamed tts.
 *
 * ```
 * in:  --c-------------r--a--D      c tool.call, r tool.result (1.3 s later), a reply text, D done
 * out: --c------(sf)---r--a--D      1 s after c: s tool.slow, f the filler (assistant.text segment)
 * ```
 */
export function slowToolFiller(options: SlowToolFillerOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const thresholdOf = (name: string): number => options.thresholds?.[name] ?? options.thresholdMs ?? DEFAULT_SLOW_TOOL_MS;
  const fillerOf = (name: string): string => (typeof options.text === 'function' ? options.text(name) : (options.text ?? DEFAULT_FILLER_TEXT));
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const timers = new Map<string, { turnId: string; timer: Subscription }>();
      // Per turn: whether reply text was spoken (the filler then needs a space) and whether it already got one.
      const turns = new Map<string, { spoke: boolean; filled: boolean }>();
      const turn = (turnId: string): { spoke: boolean; filled: boolean } => {
        let t = turns.get(turnId);
        if (!t) {
          t = { spoke: false, filled: false };
          turns.set(turnId, t);
          if (turns.size > 16) turns.delete(turns.keys().next().value as string);
        }
        return t;
      };
      const stop = (callId: string): void => {
        timers.get(callId)?.timer.unsubscribe();
        timers.delete(callId);
      };
      const stopTurn = (turnId: string): void => {
        for (const [callId, t] of [...timers]) if (t.turnId === turnId) stop(callId);
      };

      const slow = (turnId: string, callId: string, name: string, waitedMs: number): void => {
        timers.delete(callId);
        const state = turn(turnId);
        const text = state.filled ? '' : fillerOf(name);
        state.filled = true;
        subscriber.next({ type: 'tool.slow', turnId, callId, name, waitedMs, ...(text ? { filler: text } : {}), atMs: scheduler.now() });
        if (text === '') return;
        const delta = state.spoke ? ` ${text} ` : `${text} `;
        options.conversation?.addAside(turnId, delta);
        subscriber.next({ type: 'assistant.text', turnId, delta, segment: true });
      };

      const subscription = source.subscribe({
        next: (event) => {
          subscriber.next(event);
          switch (event.type) {
            case 'tool.call': {
              const ms = thresholdOf(event.name);
              if (!Number.isFinite(ms) || timers.size >= MAX_WATCHED_CALLS) return;
              stop(event.callId);
              const { turnId, callId, name } = event;
              timers.set(callId, { turnId, timer: scheduler.schedule(() => slow(turnId, callId, name, ms), Math.max(0, ms)) });
              return;
            }
            case 'tool.result':
              stop(event.callId);
              return;
            case 'assistant.text':
              if (event.delta.trim() !== '') turn(event.turnId).spoke = true;
              return;
            case 'assistant.done':
            case 'reply.cancel':
              stopTurn(event.turnId);
              turns.delete(event.turnId);
              return;
            case 'error':
              if (event.turnId !== undefined && event.stage === 'llm') stopTurn(event.turnId);
              return;
            default:
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          for (const callId of [...timers.keys()]) stop(callId);
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        for (const callId of [...timers.keys()]) stop(callId);
      };
    });
}
