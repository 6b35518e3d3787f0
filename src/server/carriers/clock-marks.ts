/**
 * For a carrier that reports nothing about playback (Vonage's WebSocket): plays the part of the mark echo.
 * The carrier plays queued audio at real time, so each chunk is taken as heard once the audio queued before
 * it (and itself) has had time to play; a clear drops what was still queued. One timer, for the next due
 * mark, whatever the queue length.
 */
/** Queued chunks the clock tracks at most. */
export const MAX_PENDING = 30_000;

export class ClockMarks {
  private readonly due: { at: number; name: string }[] = [];
  private queueEndsAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly echo: (name: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A chunk of `durationMs` was queued; `name` counts as played when it has had time to play. */
  queued(name: string, durationMs: number): void {
    this.queueEndsAt = Math.max(this.now(), this.queueEndsAt) + durationMs;
    // Bounded: beyond MAX_PENDING queued chunks (10 minutes of 20 ms frames) the oldest is taken as played.
    if (this.due.length >= MAX_PENDING) this.echo(this.due.shift()!.name);
    this.due.push({ at: this.queueEndsAt, name });
    if (this.due.length === 1) this.arm();
  }

  /** The carrier's queue was dropped: nothing queued will play. */
  clear(): void {
    this.due.length = 0;
    this.queueEndsAt = this.now();
    clearTimeout(this.timer);
  }

  stop(): void {
    this.clear();
  }

  private arm(): void {
    clearTimeout(this.timer);
    const next = this.due[0];
    if (!next) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.at - this.now()));
  }

  private fire(): void {
    const now = this.now();
    while (this.due.length > 0 && this.due[0]!.at <= now + 1) this.echo(this.due.shift()!.name);
    this.arm();
  }
}
