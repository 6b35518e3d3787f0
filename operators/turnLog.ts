import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { redactSecrets } from '../src/errors.js';
import type { CostEvent, PipelineEvent } from '../src/events.js';

/** One line of the turn log. */
export interface TurnLogRecord {
  /** Wall time when the line was written (ISO 8601). */
  readonly time: string;
  readonly turnId: string;
  /** The final transcript; absent when the utterance was lost (see `errors`). */
  readonly transcript?: string;
  /** The reply as generated. */
  readonly reply?: string;
  readonly interruption?: { readonly byTurnId: string; readonly playedMs: number; readonly heardText: string };
  readonly tools?: readonly { readonly name: string; readonly isError: boolean }[];
  readonly errors: readonly { readonly code: string; readonly stage: string; readonly message: string; readonly utteranceLost?: boolean }[];
  /** Metric name -> ms (the `stage_duration` ones as `stage_duration.<stage>`). */
  readonly metrics: Readonly<Record<string, number>>;
  /** What the turn cost (the `cost` event): US dollars, per stage, the call's total so far, and the usage. */
  readonly cost?: { readonly usd: number; readonly byStage: CostEvent['byStage']; readonly callUsd: number; readonly usage: CostEvent['usage'] };
  /** Set on a line that adds what arrived for a turn after its line was written (a late interruption). */
  readonly update?: true;
}

export interface TurnLogOptions {
  /**
   * How long a turn stays open after it settled (reply done and its audio started, utterance lost, or
   * nothing said) for late events (audio metrics, an interruption) before its line is written. Default
   * 1500 ms. A new turn, the end of the call or an unsubscribe write it at once.
   */
  readonly settleMs?: number;
  /** How long a finished reply may wait for its first audio before its line is written anyway. Default 10 000 ms. */
  readonly maxAudioWaitMs?: number;
  /** Wall clock for the `time` field; default `Date.now`. */
  readonly now?: () => number;
  readonly scheduler?: SchedulerLike;
}

interface OpenTurn {
  transcript?: string;
  reply?: string;
  interruption?: TurnLogRecord['interruption'];
  tools: { name: string; isError: boolean }[];
  errors: { code: string; stage: string; message: string; utteranceLost?: boolean }[];
  metrics: Record<string, number>;
  cost?: TurnLogRecord['cost'];
  timer?: Subscription;
  /** Reply audio seen: until then a finished reply is still waiting for its speech (and its audio metrics). */
  audioSeen: boolean;
  settledAt?: number;
  written: boolean;
  dirty: boolean;
}

/**
 * Writes a JSON Lines turn log as the call goes: one line per caller turn (time, turnId, transcript,
 * reply, interruption, tool calls, errors, metrics), appended and fsynced when the turn ends, so a crash
 * loses at most the turn in progress. Events pass through untouched.
 *
 * ```
 * events: -S1--T1--D1-m-------S2--T2--E2-----|     S speech.started, T transcript, D assistant.done, E error
 * file:   ----------------w1------------------w2   w one fsynced line (settleMs after D, or at S2 / the end)
 * ```
 *
 * Events for a turn whose line is already written (an interruption long after the reply) add a line
 * with `update: true`. The file is opened on subscribe (append mode) and closed on teardown.
 */
export function turnLog(path: string, options: TurnLogOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  const settleMs = options.settleMs ?? 1500;
  const maxAudioWaitMs = options.maxAudioWaitMs ?? 10_000;
  const now = options.now ?? Date.now;
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      let fd: number | undefined;
      const turns = new Map<string, OpenTurn>();

      const turn = (turnId: string): OpenTurn => {
        let t = turns.get(turnId);
        if (!t) turns.set(turnId, (t = { tools: [], errors: [], metrics: {}, audioSeen: false, written: false, dirty: false }));
        return t;
      };

      const write = (turnId: string): void => {
        const t = turns.get(turnId);
        if (!t || !t.dirty || fd === undefined) return;
        t.timer?.unsubscribe();
        t.timer = undefined;
        const record: TurnLogRecord = {
          time: new Date(now()).toISOString(),
          turnId,
          ...(t.transcript === undefined ? {} : { transcript: t.transcript }),
          ...(t.reply === undefined ? {} : { reply: t.reply }),
          ...(t.interruption ? { interruption: t.interruption } : {}),
          ...(t.tools.length > 0 ? { tools: t.tools } : {}),
          errors: t.errors,
          metrics: t.metrics,
          ...(t.cost ? { cost: t.cost } : {}),
          ...(t.written ? { update: true as const } : {}),
        };
        try {
          writeSync(fd, `${redactSecrets(JSON.stringify(record))}\n`);
          fsyncSync(fd);
        } catch (err) {
          fail(err);
          return;
        }
        t.written = true;
        t.dirty = false;
        // An update line carries only what is new.
        t.errors = [];
        t.tools = [];
        t.metrics = {};
        delete t.interruption;
        delete t.cost;
        // Keep the map small on long calls: written turns only need their id remembered.
        if (turns.size > 64) for (const [id, old] of turns) if (old.written && !old.dirty && id !== turnId) turns.delete(id);
      };

      // The log must never take the call down: report once, stop logging, keep passing events.
      const fail = (err: unknown): void => {
        if (fd === undefined) return;
        try {
          if (fd >= 0) closeSync(fd);
        } catch {
          // already unusable
        }
        fd = undefined;
        const message = redactSecrets(`turn log ${path} failed: ${err instanceof Error ? err.message : String(err)}`);
        subscriber.next({ type: 'error', code: 'internal', stage: 'pipeline', message, retryable: false });
      };

      const settle = (turnId: string): void => {
        const t = turn(turnId);
        t.timer?.unsubscribe();
        t.settledAt ??= scheduler.now();
        t.timer = scheduler.schedule(() => {
          // A reply whose speech has not started yet (slow TTS) is waited for, up to `maxAudioWaitMs`.
          const waiting = t.reply !== undefined && t.reply !== '' && !t.audioSeen && t.errors.length === 0;
          if (waiting && scheduler.now() - t.settledAt! < maxAudioWaitMs) settle(turnId);
          else write(turnId);
        }, settleMs);
      };

      const writeAll = (): void => {
        for (const id of [...turns.keys()]) write(id);
      };

      const observe = (event: PipelineEvent): void => {
        switch (event.type) {
          case 'speech.started':
            // A new caller turn: whatever older turns hold is as complete as it gets.
            for (const id of [...turns.keys()]) if (id !== event.turnId) write(id);
            turn(event.turnId).dirty = true;
            return;
          case 'transcript':
            if (!event.final) return;
            Object.assign(turn(event.turnId), { transcript: event.text, dirty: true });
            if (event.text.trim() === '') settle(event.turnId);
            return;
          case 'assistant.done':
            Object.assign(turn(event.turnId), { reply: event.text, dirty: true });
            settle(event.turnId);
            return;
          case 'assistant.audio': {
            const t = turns.get(event.turnId);
            if (t && !t.audioSeen) {
              t.audioSeen = true;
              if (t.timer) settle(event.turnId);
            }
            return;
          }
          case 'tool.result':
            turn(event.turnId).tools.push({ name: event.name, isError: event.isError });
            turn(event.turnId).dirty = true;
            return;
          case 'interruption': {
            const t = turn(event.turnId);
            t.interruption = { byTurnId: event.byTurnId, playedMs: event.playedMs, heardText: event.heardText };
            t.dirty = true;
            settle(event.turnId);
            return;
          }
          case 'cost': {
            const t = turn(event.turnId);
            t.cost = { usd: event.usd, byStage: event.byStage, callUsd: event.callUsd, usage: event.usage };
            t.dirty = true;
            if (t.timer) settle(event.turnId);
            return;
          }
          case 'metric': {
            const t = turn(event.turnId);
            t.metrics[event.name === 'stage_duration' ? `stage_duration.${event.stage ?? '?'}` : event.name] = Math.round(event.valueMs);
            t.dirty = true;
            if (t.timer) settle(event.turnId);
            return;
          }
          case 'error': {
            if (event.turnId === undefined) return;
            const t = turn(event.turnId);
            t.errors.push({ code: event.code, stage: event.stage, message: event.message, ...(event.utteranceLost ? { utteranceLost: true } : {}) });
            t.dirty = true;
            // A lost utterance, or a failed reply, ends the turn.
            if (event.utteranceLost || event.stage === 'llm' || event.stage === 'realtime') settle(event.turnId);
            return;
          }
          default:
            return;
        }
      };

      try {
        fd = openSync(path, 'a');
      } catch (err) {
        fd = -1; // so `fail` reports it
        fail(err);
      }
      const subscription = source.subscribe({
        next: (event) => {
          try {
            observe(event);
          } catch (err) {
            fail(err);
          }
          subscriber.next(event);
        },
        error: (err: unknown) => {
          writeAll();
          subscriber.error(err);
        },
        complete: () => {
          writeAll();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        writeAll();
        for (const t of turns.values()) t.timer?.unsubscribe();
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      };
    });
}
