import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MAX_TRACKED_TURNS, PlaybackClock } from '../../src/playback.js';

describe('PlaybackClock', () => {
  it('a flood of reports for made-up turn ids keeps at most MAX_TRACKED_TURNS turns, the newest ones', () => {
    const clock = new PlaybackClock(new VirtualTimeScheduler());
    clock.emitted('turn-1', 500);
    for (let i = 0; i < 20_000; i++) clock.reportPlayed(`made-up-${i}`, i);
    expect(clock.trackedTurns).toBe(MAX_TRACKED_TURNS);
    expect(clock.playedMs('made-up-19999')).toBe(19_999);
    // The oldest is forgotten; a real turn that is still emitting is tracked again on its next frame.
    expect(clock.emittedMs('turn-1')).toBe(0);
    clock.emitted('turn-2', 100);
    expect(clock.emittedMs('turn-2')).toBe(100);
    expect(clock.trackedTurns).toBe(MAX_TRACKED_TURNS);
  });

  it('estimates real-time playback from the first frame, capped at what was emitted', () => {
    const scheduler = new VirtualTimeScheduler();
    const clock = new PlaybackClock(scheduler);
    clock.emitted('turn-1', 400);
    scheduler.schedule(() => {
      expect(clock.playedMs('turn-1')).toBe(250);
      expect(clock.isPlaying('turn-1')).toBe(true);
    }, 250);
    scheduler.schedule(() => {
      expect(clock.playedMs('turn-1')).toBe(400);
      expect(clock.isPlaying('turn-1')).toBe(false);
    }, 900);
    scheduler.flush();
  });

  it('prefers what the sink reports over the estimate', () => {
    const scheduler = new VirtualTimeScheduler();
    const clock = new PlaybackClock(scheduler);
    clock.emitted('turn-2', 1000);
    clock.reportPlayed('turn-2', 120);
    scheduler.schedule(() => expect(clock.playedMs('turn-2')).toBe(120), 800);
    scheduler.flush();
    expect(clock.playedMs('unknown')).toBe(0);
  });
});
