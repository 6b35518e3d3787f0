import { describe, expect, it } from 'vitest';
import { EnergyGate, energyDb } from '../../src/vad/gate.js';

/** Feeds (dB, probability the model would give) pairs; returns the verdicts, observing what ran. */
function drive(gate: EnergyGate, steps: readonly [number, number][]): string {
  return steps
    .map(([db, p]) => {
      const v = gate.admit(db);
      if (v !== 'skip') gate.observe(p);
      return v === 'run' ? 'r' : v === 'skip' ? '-' : 'W';
    })
    .join('');
}

const quiet = (n: number, p = 0.01): [number, number][] => Array.from({ length: n }, () => [-95, p]);
const loud = (n: number, p = 0.9): [number, number][] => Array.from({ length: n }, () => [-20, p]);

describe('energy gate state logic', () => {
  it('skips quiet windows only after the hangover, and wakes on the first loud one', () => {
    const gate = new EnergyGate({ hangoverWindows: 3 });
    // r = model ran, - = skipped, W = woke (replay then run)
    expect(drive(gate, [...quiet(5), ...loud(2), ...quiet(5), ...loud(1)])).toBe('rrr--Wrrrr--W');
  });

  it('never skips while the model still calls quiet windows speech', () => {
    const gate = new EnergyGate({ hangoverWindows: 2 });
    expect(drive(gate, [...loud(2), ...quiet(4, 0.6), ...quiet(3, 0.1)])).toBe('rrrrrrrr-');
  });

  it('never skips a window above the ceiling, whatever the learnt floor', () => {
    const gate = new EnergyGate({ hangoverWindows: 1, ceilingDb: -50 });
    const steady: [number, number][] = Array.from({ length: 6 }, () => [-45, 0.01]);
    expect(drive(gate, steady)).toBe('rrrrrr');
  });

  it('learns the floor per stream: quiet is relative to it, and the floor rises slowly', () => {
    const gate = new EnergyGate({ hangoverWindows: 1, marginDb: 10, floorRiseDbPerWindow: 1 });
    expect(drive(gate, [[-80, 0.01], [-75, 0.01], [-65, 0.01]])).toBe('r-W');
    expect(gate.floor).toBe(-78); // -80, then +1 per window
  });

  it('energyDb: mean square in dBFS, digital silence at -120', () => {
    expect(energyDb(1)).toBe(0);
    expect(energyDb(0.01)).toBeCloseTo(-20, 9);
    expect(energyDb(0)).toBe(-120);
  });
});
