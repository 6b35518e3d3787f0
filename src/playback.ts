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
export class PlaybackClock {
  private readonly turns = new Map<string, { firstAt: number; emittedMs: number; reportedMs?: number }>();

  constructor(private readonly scheduler: SchedulerLike = asyncScheduler) {}

  emitted(turnId: string, durationMs: number): void {
    const turn = this.turns.get(turnId);
    if (turn) turn.emittedMs += durationMs;
    else this.turns.set(turnId, { firstAt: this.scheduler.now(), emittedMs: durationMs });
  }

  reportPlayed(turnId: string, playedMs: number): void {
    const turn = this.turns.get(turnId) ?? { firstAt: this.scheduler.now(), emittedMs: 0 };
    turn.reportedMs = Math.max(turn.reportedMs ?? 0, playedMs);
    this.turns.set(turnId, turn);
  }

  playedMs(turnId: string): number {
    const turn = this.turns.get(turnId);
    if (!turn) return 0;
    if (turn.reportedMs !== undefined) return Math.min(turn.reportedMs, Math.max(turn.emittedMs, turn.reportedMs));
    return Math.max(0, Math.min(this.scheduler.now() - turn.firstAt, turn.emittedMs));
  }

  emittedMs(turnId: string): number {
    return this.turns.get(turnId)?.emittedMs ?? 0;
  }

  /** True while emitted audio of the turn is still (estimated to be) playing. */
  isPlaying(turnId: string): boolean {
    const turn = this.turns.get(turnId);
    return turn !== undefined && this.playedMs(turnId) < turn.emittedMs;
  }

  forget(turnId: string): void {
    this.turns.delete(turnId);
  }
}
