/**
 * The energy gate: decides, per 32 ms window, whether the speech model needs to run at all. A window far
 * below what the stream has shown as speech-free level cannot be speech; a caller is silent most of a
 * call (while the agent talks), and there the model's run is wasted. Skipped windows count as "not
 * speech" (probability 0) for the state machine.
 *
 * Why decisions stay the same as without the gate:
 * - only quiet windows are skipped: below `floorDb + marginDb` (the floor is learnt per stream: the
 *   quietest window so far, rising slowly so a stream that gets noisier re-learns it) and never above
 *   `ceilingDb`, whatever the floor (a loud stream always runs the model);
 * - only after `hangoverWindows` quiet windows in a row whose model probability was below the
 *   negative threshold: the model itself has seen the speech end;
 * - the recurrent state is frozen while windows are skipped, and the model's state after a long silence
 *   is not the frozen one (starts came up to 64 ms off on the fixtures when resumed from it). So on the first loud
 *   window (`wake`) the engine first runs the model on the last `warmupWindows` skipped windows, results
 *   unused: the LSTM forgets, and after those its state is the ungated one to float noise.
 * `test/vad/gate-equality.test.ts` checks that starts and ends match the ungated vad on every fixture.
 */

export interface EnergyGateConfig {
  /** A window this many dB above the stream's floor always runs the model. */
  readonly marginDb: number;
  /** A window louder than this (dBFS) always runs the model, whatever the floor. */
  readonly ceilingDb: number;
  /** Quiet windows the model still sees (and must call non-speech) before the gate skips any. */
  readonly hangoverWindows: number;
  /** How fast the learnt floor rises when the stream gets louder (dB per window). */
  readonly floorRiseDbPerWindow: number;
  /** Skipped windows replayed to the model, results unused, before the window that wakes the gate. */
  readonly warmupWindows: number;
}

/** What to do with a window: run the model, skip it, or replay the skipped tail first then run it. */
export type GateVerdict = 'run' | 'skip' | 'wake';

export const DEFAULT_ENERGY_GATE: EnergyGateConfig = {
  marginDb: 10,
  ceilingDb: -50,
  hangoverWindows: 4,
  floorRiseDbPerWindow: 0.05,
  warmupWindows: 8,
};

/** Mean-square energy of a window of floats in [-1, 1], in dBFS (-120 for digital silence). */
export function energyDb(meanSquare: number): number {
  return meanSquare > 1e-12 ? 10 * Math.log10(meanSquare) : -120;
}

/** Per-stream gate state. Pure and synchronous (unit-tested with scripted energies and probabilities). */
export class EnergyGate {
  readonly config: EnergyGateConfig;
  private floorDb: number | undefined;
  /** Quiet windows in a row that the model ran on and called non-speech. */
  private quietRun = 0;
  /** True while windows are being skipped. */
  private closed = false;
  /** The window `admit` let through was quiet (waiting for `observe`). */
  private pendingQuiet = false;

  constructor(
    config: Partial<EnergyGateConfig> = {},
    /** Below this probability a window the model saw counts towards the hangover. */
    private readonly negativeThreshold = 0.35,
  ) {
    this.config = { ...DEFAULT_ENERGY_GATE, ...config };
  }

  /** True while the gate skips windows. */
  get skipping(): boolean {
    return this.closed;
  }

  /** The learnt floor (dBFS), undefined before the first window. */
  get floor(): number | undefined {
    return this.floorDb;
  }

  /**
   * What to do with a window of this energy. Unless it is 'skip', report the model's probability with
   * `observe` before the next window.
   */
  admit(db: number): GateVerdict {
    const c = this.config;
    this.floorDb = this.floorDb === undefined || db < this.floorDb ? db : this.floorDb + c.floorRiseDbPerWindow;
    const quiet = db < Math.min(c.ceilingDb, this.floorDb + c.marginDb);
    if (!quiet) {
      const woke = this.closed;
      this.closed = false;
      this.quietRun = 0;
      return woke ? 'wake' : 'run';
    }
    if (this.closed) return 'skip';
    this.pendingQuiet = true;
    return 'run';
  }

  /** The model's probability for the window `admit` let through. */
  observe(probability: number): void {
    const quiet = this.pendingQuiet;
    this.pendingQuiet = false;
    if (!quiet || probability >= this.negativeThreshold) {
      this.quietRun = 0;
      return;
    }
    this.quietRun++;
    if (this.quietRun >= this.config.hangoverWindows) this.closed = true;
  }
}
