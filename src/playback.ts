import { asyncScheduler, type SchedulerLike } from 'rxjs';

/**
 * How much of each reply the caller has actually heard. Barge-in cuts the history to what was played, so
 * this is measured at the sink, not at the synthesizer. The chain records audio as it hands it on
 * (`emitted`); a sink that knows its real playback position (Twilio marks, a browser's report) calls
 * `reportPlayed`, which then overrides the estimate for that turn.
 *
 * Without a report the estimate assumes the sink plays from the first frame at real time:
 * `min(now - firstFrameTime, emittedMs)`.
 */
/** Turns a clock remembers; older ones are forgotten (a client naming turns in reports cannot grow it). */
export const MAX_TRACKED_TURNS = 256;

export class PlaybackClock {
  private readonly turns = new Map<
    string,
    { firstAt: number; emittedMs: number; reportedMs?: number; complete?: boolean; firstEmitAt?: number }
  >();

  constructor(private readonly scheduler: SchedulerLike = asyncScheduler) {}

  emitted(turnId: string, durationMs: number): void {
    const turn = this.turns.get(turnId);
    const now = this.scheduler.now();
    if (turn) {
      turn.emittedMs += durationMs;
      turn.firstEmitAt ??= now;
    } else this.track(turnId, { firstAt: now, emittedMs: durationMs, firstEmitAt: now });
  }

  /** How many turns the clock holds (at most `MAX_TRACKED_TURNS`). */
  get trackedTurns(): number {
    return this.turns.size;
  }

  private track(turnId: string, turn: { firstAt: number; emittedMs: number; reportedMs?: number; complete?: boolean; firstEmitAt?: number }): void {
    if (!this.turns.has(turnId) && this.turns.size >= MAX_TRACKED_TURNS) {
      this.turns.delete(this.turns.keys().next().value as string);
    }
    this.turns.set(turnId, turn);
  }

  reportPlayed(turnId: string, playedMs: number): void {
    const turn = this.turns.get(turnId) ?? { firstAt: this.scheduler.now(), emittedMs: 0 };
    turn.reportedMs = Math.max(turn.reportedMs ?? 0, playedMs);
    this.track(turnId, turn);
  }

  playedMs(turnId: string): number {
    const turn = this.turns.get(turnId);
    if (!turn) return 0;
    if (turn.reportedMs !== undefined) return Math.min(turn.reportedMs, Math.max(turn.emittedMs, turn.reportedMs));
    return Math.max(0, Math.min(this.scheduler.now() - (turn.firstEmitAt ?? turn.firstAt), turn.emittedMs));
  }

  emittedMs(turnId: string): number {
    return this.turns.get(turnId)?.emittedMs ?? 0;
  }

  /** True while emitted audio of the turn is still (estimated to be) playing. */
  isPlaying(turnId: string): boolean {
    const turn = this.turns.get(turnId);
    return turn !== undefined && this.playedMs(turnId) < turn.emittedMs;
  }

  /** Scheduler time when the turn's first audio was emitted, if any was. */
  startedAt(turnId: string): number | undefined {
    return this.turns.get(turnId)?.firstEmitAt;
  }

  /** All of the turn's reply audio has been emitted (or the reply ended without audio): no more will come. */
  markComplete(turnId: string): void {
    const turn = this.turns.get(turnId);
    if (turn) turn.complete = true;
    else this.track(turnId, { firstAt: this.scheduler.now(), emittedMs: 0, complete: true });
  }

  isComplete(turnId: string): boolean {
    return this.turns.get(turnId)?.complete === true;
  }

  /**
   * The reply is still going: its audio is not all emitted yet (`markComplete` not called), or what was
   * emitted is still playing. A turn the clock never heard of is not active.
   */
  isActive(turnId: string): boolean {
    const turn = this.turns.get(turnId);
    return turn !== undefined && (turn.complete !== true || this.isPlaying(turnId));
  }

  /**
   * The reply was cut (barge-in): the sink drops what it had not played, so what was played is all there
   * is. Returns the played ms at the cut.
   */
  cut(turnId: string): number {
    const played = this.playedMs(turnId);
    const turn = this.turns.get(turnId) ?? { firstAt: this.scheduler.now(), emittedMs: 0 };
    turn.emittedMs = played;
    turn.reportedMs = played;
    turn.complete = true;
    this.turns.set(turnId, turn);
    return played;
  }

  forget(turnId: string): void {
    this.turns.delete(turnId);
  }
}
