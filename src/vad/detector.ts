import { concatSamples } from '../audio/pcm.js';
import { type AudioFrame } from '../audio/frame.js';
import { assertSampleRate } from '../audio/reframe.js';
import { createResampler, type StreamingResampler } from '../audio/resample.js';
import { RxVoiceError, toRxVoiceError } from '../errors.js';
import { SILERO_FRAME_SAMPLES, SILERO_SAMPLE_RATE, SileroModel, type SpeechProbabilityModel } from './silero.js';
import { VadStateMachine, type VadConfig, type VadTransition } from './state-machine.js';
import { EnergyGate, energyDb, type EnergyGateConfig } from './gate.js';

const WINDOW_MS = (SILERO_FRAME_SAMPLES * 1000) / SILERO_SAMPLE_RATE; // 32 ms

export interface SpeechDetectorOptions extends Partial<VadConfig> {
  /**
   * Where speech probabilities come from: a model instance (tests script one with `scriptedVad`), or a
   * factory called once per stream. Default: Silero v4, one recurrent state per stream.
   */
  readonly probabilities?: SpeechProbabilityModel | (() => SpeechProbabilityModel | Promise<SpeechProbabilityModel>);
  /**
   * Skip the model on windows too quiet to be speech (see src/vad/gate.ts): same decisions, a fraction of
   * the CPU on a mostly silent caller. `false` runs the model on every window. Default: on with the
   * default Silero model, off with a model given in `probabilities` (a scripted model is told every window).
   */
  readonly energyGate?: boolean | Partial<EnergyGateConfig>;
}

type MaybePromise<T> = T | Promise<T>;

/** A skipped window replayed to the model when the gate wakes: it moves the state, its result is unused. */
class Warmup {
  constructor(readonly frame: Float32Array) {}
}

/** A window for the model, `null` for one the gate skipped (probability 0), or a warm-up replay. */
type Window = Float32Array | null | Warmup;

/** What `cut` returns when no window completed (most 20 ms frames): never mutated. */
const NO_WINDOWS: readonly Window[] = [];
/** Window buffers kept for reuse per stream: one push rarely completes more. */
const POOL_LIMIT = 16;

function isPromise<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof (v as Promise<T> | undefined)?.then === 'function';
}

/**
 * The streaming vad engine: any supported rate in, 16 kHz 512-sample windows to the model, probabilities
 * to the state machine. Results are synchronous when the model is (scripted tests in virtual time) and a
 * Promise otherwise. Calls must not overlap: wait for one `push` before the next.
 */
export class VadEngine {
  readonly machine: VadStateMachine;
  private model: SpeechProbabilityModel | undefined;
  private loading: Promise<void> | undefined;
  private loadError: RxVoiceError | undefined;
  private loadErrorReported = false;
  private resampler: StreamingResampler | undefined;
  private readonly window = new Float32Array(SILERO_FRAME_SAMPLES);
  private filled = 0;
  /** Sum of squares of the window being filled (for the gate). */
  private squares = 0;
  private readonly gate: EnergyGate | undefined;
  /** The last skipped windows (a ring of `warmupWindows`), replayed to the model when the gate wakes. */
  private skipped: Float32Array | undefined;
  private skippedCount = 0;
  private skippedNext = 0;
  private windowsDone = 0;
  /** Window copies the built-in model is done with (it copies each into its batch), reused by `admit`. */
  private readonly pool: Float32Array[] = [];
  private baseMs: number | undefined;
  private released = false;

  constructor(private readonly options: SpeechDetectorOptions = {}) {
    this.machine = new VadStateMachine(options);
    const source = options.probabilities;
    const gate = options.energyGate ?? source === undefined;
    if (gate !== false) {
      this.gate = new EnergyGate(gate === true ? {} : gate, this.machine.config.negativeThreshold);
      this.skipped = new Float32Array(this.gate.config.warmupWindows * SILERO_FRAME_SAMPLES);
    }
    if (source === undefined) {
      this.loading = SileroModel.load().then(
        (m) => this.adopt(m),
        (err: unknown) => this.fail(err),
      );
    } else if (typeof source === 'function') {
      try {
        const made = source();
        if (isPromise(made)) this.loading = made.then((m) => this.adopt(m), (err: unknown) => this.fail(err));
        else this.model = made;
      } catch (err) {
        this.fail(err);
      }
    } else {
      this.model = source;
    }
  }

  private adopt(model: SpeechProbabilityModel): void {
    this.loading = undefined;
    if (this.released) void model.release?.();
    else this.model = model;
  }

  private fail(err: unknown): void {
    this.loading = undefined;
    this.loadError = toRxVoiceError(err, 'vad');
  }

  /** Audio time the engine has consumed so far (end of the last complete window). */
  get processedMs(): number {
    return (this.baseMs ?? 0) + this.windowsDone * WINDOW_MS;
  }

  /** Feeds one frame; returns the transitions decided by the windows it completed. */
  push(frame: AudioFrame): MaybePromise<VadTransition[]> {
    assertSampleRate(frame.sampleRate, 'vad');
    this.baseMs ??= frame.startMs;
    let pcm16: Int16Array;
    if (frame.sampleRate === SILERO_SAMPLE_RATE && !this.resampler) {
      pcm16 = frame.samples;
    } else {
      const chunks: Int16Array[] = [];
      if (this.resampler && this.resampler.fromRate !== frame.sampleRate) {
        chunks.push(this.resampler.flush()); // a rate change: finish the old run continuously
        this.resampler = undefined;
      }
      if (frame.sampleRate !== SILERO_SAMPLE_RATE) {
        this.resampler ??= createResampler(frame.sampleRate, SILERO_SAMPLE_RATE);
        chunks.push(this.resampler.push(frame.samples));
      } else {
        chunks.push(frame.samples);
      }
      pcm16 = concatSamples(chunks);
    }
    return this.run(this.cut(pcm16));
  }

  /** The stream ended: the held-back tail is processed (zero-padded window) and an open utterance closed. */
  finish(): MaybePromise<VadTransition[]> {
    const tail = this.resampler ? this.resampler.flush() : new Int16Array(0);
    this.resampler = undefined;
    const windows = [...this.cut(tail)];
    const endMs = this.processedMs + (this.filled * 1000) / SILERO_SAMPLE_RATE + windows.length * WINDOW_MS;
    if (this.filled > 0) {
      this.window.fill(0, this.filled);
      this.admit(windows);
      this.filled = 0;
      this.squares = 0;
    }
    const close = (ts: VadTransition[]) => [...ts, ...this.machine.end(endMs)];
    const result = this.run(windows);
    return isPromise(result) ? result.then(close) : close(result);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const model = this.model;
    this.model = undefined;
    await model?.release?.();
  }

  /**
   * Splits 16 kHz samples into complete windows, keeping the remainder for later. A window the gate
   * skips is `null` (no copy made).
   */
  private cut(pcm16: Int16Array): readonly Window[] {
    let windows: Window[] | undefined;
    const window = this.window;
    let i = 0;
    while (i < pcm16.length) {
      const n = Math.min(SILERO_FRAME_SAMPLES - this.filled, pcm16.length - i);
      // Converted straight into the window (same scale as pcm16ToFloat32): no per-frame float copy.
      let squares = this.squares;
      for (let k = 0; k < n; k++) {
        const v = pcm16[i + k]! / 32768;
        window[this.filled + k] = v;
        squares += v * v;
      }
      this.squares = squares;
      this.filled += n;
      i += n;
      if (this.filled === SILERO_FRAME_SAMPLES) {
        windows ??= [];
        this.admit(windows);
        this.filled = 0;
        this.squares = 0;
      }
    }
    return windows ?? NO_WINDOWS;
  }

  /** A window buffer, from the pool when one is free. */
  private copyOf(samples: Float32Array): Float32Array {
    const copy = this.pool.pop() ?? new Float32Array(SILERO_FRAME_SAMPLES);
    copy.set(samples);
    return copy;
  }

  /**
   * The model answered on this window: its buffer can be reused. Only with the built-in model, which
   * copies the window into its batch before answering; a model given in `probabilities` may keep it.
   */
  private recycle(frame: Float32Array): void {
    if (this.model instanceof SileroModel && this.pool.length < POOL_LIMIT) this.pool.push(frame);
  }

  /** Adds the full window to `windows` as the gate says (a copy, `null`, or warm-ups then a copy). */
  private admit(windows: Window[]): void {
    const verdict = this.gate?.admit(energyDb(this.squares / SILERO_FRAME_SAMPLES)) ?? 'run';
    const ring = this.skipped;
    if (verdict === 'skip' && ring) {
      ring.set(this.window, this.skippedNext * SILERO_FRAME_SAMPLES);
      this.skippedNext = (this.skippedNext + 1) % (ring.length / SILERO_FRAME_SAMPLES);
      this.skippedCount++;
      windows.push(null);
      return;
    }
    if (verdict === 'wake' && ring) {
      const slots = ring.length / SILERO_FRAME_SAMPLES;
      const n = Math.min(this.skippedCount, slots);
      for (let k = 0; k < n; k++) {
        const slot = (this.skippedNext - n + k + slots) % slots;
        windows.push(new Warmup(this.copyOf(ring.subarray(slot * SILERO_FRAME_SAMPLES, (slot + 1) * SILERO_FRAME_SAMPLES))));
      }
      this.skippedCount = 0;
    }
    windows.push(this.copyOf(this.window));
  }

  private run(windows: readonly Window[]): MaybePromise<VadTransition[]> {
    if (windows.length === 0) return [];
    if (this.loading) return this.loading.then(() => this.run(windows));
    if (this.released) return [];
    if (this.loadError) {
      // Report a model that cannot load once; afterwards frames pass with no speech decisions.
      for (const w of windows) if (!(w instanceof Warmup)) this.windowsDone++;
      if (this.loadErrorReported) return [];
      this.loadErrorReported = true;
      throw this.loadError;
    }
    const model = this.model!;
    const out: VadTransition[] = [];
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!;
      if (w === null) {
        this.decide(0, out, false);
        continue;
      }
      const frame = w instanceof Warmup ? w.frame : w;
      const p = model.process(frame);
      if (isPromise(p)) return this.runAsync(model, windows, i, p, out);
      this.recycle(frame);
      if (!(w instanceof Warmup)) this.decide(p, out, true);
    }
    return out;
  }

  private async runAsync(
    model: SpeechProbabilityModel,
    windows: readonly Window[],
    from: number,
    first: Promise<number>,
    out: VadTransition[],
  ): Promise<VadTransition[]> {
    const p = await first;
    const head = windows[from]!;
    this.recycle(head instanceof Warmup ? head.frame : head);
    if (!(head instanceof Warmup)) this.decide(p, out, true);
    for (let i = from + 1; i < windows.length; i++) {
      if (this.released) break;
      const w = windows[i]!;
      if (w === null) {
        this.decide(0, out, false);
      } else if (w instanceof Warmup) {
        await model.process(w.frame);
        this.recycle(w.frame);
      } else {
        const q = await model.process(w);
        this.recycle(w);
        this.decide(q, out, true);
      }
    }
    return out;
  }

  /** @param ran the model gave `p` (false: the gate skipped the window, p is 0) */
  private decide(p: number, out: VadTransition[], ran: boolean): void {
    if (ran) this.gate?.observe(p);
    const startMs = this.processedMs;
    this.windowsDone++;
    for (const t of this.machine.push(Number.isFinite(p) ? p : 0, startMs, WINDOW_MS)) out.push(t);
  }
}


export interface SpeechDetector {
  /** Feeds a frame (any supported rate); resolves with the transitions it caused. Calls are queued in order. */
  push(frame: AudioFrame): Promise<VadTransition[]>;
  /** End of the audio: closes an open utterance (`end_of_stream`). */
  end(): Promise<VadTransition[]>;
  /** True while inside an utterance. */
  readonly speaking: boolean;
  release(): Promise<void>;
}

/**
 * A plain-callback streaming detector (no RxJS), for servers that hold audio in their own buffers, such as
 * the sandbox's realtime server VAD.
 */
export function createSpeechDetector(options: SpeechDetectorOptions = {}): SpeechDetector {
  const engine = new VadEngine(options);
  let chain: Promise<unknown> = Promise.resolve();
  const enqueue = (step: () => MaybePromise<VadTransition[]>): Promise<VadTransition[]> => {
    const next = chain.then(step);
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    push: (frame) => enqueue(() => engine.push(frame)),
    end: () => enqueue(() => engine.finish()),
    get speaking() {
      return engine.machine.speaking;
    },
    release: () => engine.release(),
  };
}
