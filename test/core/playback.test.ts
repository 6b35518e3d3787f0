import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { PlaybackClock } from '../../src/playback.js';

describe('PlaybackClock', () => {
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
