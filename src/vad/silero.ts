import { channel } from 'node:diagnostics_channel';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { RxVoiceError } from '../errors.js';
import { bundledSileroModelPath, loadOrtRuntime } from './runtime.js';
import { batchIntervalMs, runInWorker } from './batch-interval.js';

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

type Ort = typeof import('onnxruntime-web');
type Session = import('onnxruntime-web').InferenceSession;
type Tensor = import('onnxruntime-web').Tensor;

/** Path of the Silero v4 model shipped with rxvoice. */
export function sileroModelPath(): string {
  return bundledSileroModelPath();
}

interface Shared {
  readonly batcher: WindowBatcher;
}

/** Floats of one stream's recurrent state: 2 layers x 64 (h or c). */
const STATE_FLOATS = 2 * 64;

/**
 * Every batched model run is published here (node:diagnostics_channel: free while nobody listens), so a
 * server's metrics can time the VAD without the VAD knowing about metrics.
 */
export const VAD_BATCH_CHANNEL = 'rxvoice:vad.batch';
export interface VadBatchReport {
  /** Wall time of the run, including the hop to the worker thread when it ran there. */
  readonly durationMs: number;
  readonly windows: number;
  readonly inWorker: boolean;
}
const vadBatchChannel = channel(VAD_BATCH_CHANNEL);

/** Largest batch per run: a bigger one would hold the event loop for too long (~0.09 ms per window). */
const MAX_BATCH = 256;
/** Streams are counted over this much time: two windows of a paced stream, so none is missed. */
const STREAM_COUNT_PERIOD_MS = 64;

/** One stream's place in the batcher: its recurrent state, replaced in place after each run. */
interface BatchStream {
  readonly h: Float32Array;
  readonly c: Float32Array;
  /** Counting period in which the stream was last counted as active (see WindowBatcher.countStream). */
  period: number;
  /** Windows given to `SileroModel.process` and not answered yet (the batcher counts them down). */
  inFlight: number;
}

interface PendingWindow {
  readonly frame: Float32Array;
  readonly stream: BatchStream;
  readonly resolve: (p: number) => void;
  readonly reject: (err: unknown) => void;
}

/** Model outputs of one batch of n windows: output [n], hn and cn [2, n, 64]. Valid until the next run. */
interface BatchOutput {
  readonly output: Float32Array;
  readonly hn: Float32Array;
  readonly cn: Float32Array;
}

/**
 * Runs one batch: input [n, 512], h and c [2, n, 64] (views of the batcher's buffers, reused by the next
 * run: a runner copies what it keeps). One run at a time.
 */
type BatchRunner = (input: Float32Array, h: Float32Array, c: Float32Array, n: number) => Promise<BatchOutput>;

/**
 * Runs the windows of every stream as ONE batched model run ([B, 512] input, [2, B, 64] state). A run's
 * fixed cost (tensor setup, N-API, graph walk) dominates a single 32 ms window: ~0.2 ms for 1 window vs
 * ~0.09 ms per window in a batch of 8 or more. One batch is in flight at a time; windows that arrive
 * meanwhile form the next one, so batches grow with load (see batch-interval.ts for the wait between
 * runs and which thread runs them). Unbatched, 100 streams (3125 windows/s) needed
 * ~0.7 s of main thread per second and the frame lag grew without bound. The LSTM's rows are
 * independent: a stream's probability is the same (to float rounding, ~1e-7) as when run alone.
 */
class WindowBatcher {
  private pending: PendingWindow[] = [];
  private scheduled = false;
  private busy = false;
  private lastDispatch = Number.NEGATIVE_INFINITY;
  /** Packed inputs of a run, reused: no allocation per batch. */
  private readonly input = new Float32Array(MAX_BATCH * SILERO_FRAME_SAMPLES);
  private readonly h = new Float32Array(MAX_BATCH * STATE_FLOATS);
  private readonly c = new Float32Array(MAX_BATCH * STATE_FLOATS);
  /** Streams that submitted in the last complete counting period, and in the current one so far. */
  private activeStreams = 0;
  private counting = 0;
  private period = 0;
  private periodStart = Number.NEGATIVE_INFINITY;

  /**
   * @param inThread runs small batches at light load: waking the worker costs more than a small batch
   *   costs on the main thread.
   * @param worker runs the other batches (see runInWorker), off the main thread, when it started.
   */
  constructor(
    private readonly inThread: BatchRunner,
    private readonly worker: BatchRunner | undefined,
  ) {}

  /** Streams that sent a window in the last ~64 ms. */
  get streams(): number {
    return Math.max(this.activeStreams, this.counting);
  }

  submit(frame: Float32Array, stream: BatchStream): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.countStream(stream);
      this.pending.push({ frame, stream, resolve, reject });
      this.schedule();
    });
  }

  /** O(1) per window: a stream is counted once per period, by remembering the period it was counted in. */
  private countStream(stream: BatchStream): void {
    const now = performance.now();
    if (now - this.periodStart >= STREAM_COUNT_PERIOD_MS) {
      // A period with no window at all (idle) leaves no count behind.
      this.activeStreams = now - this.periodStart >= 2 * STREAM_COUNT_PERIOD_MS ? 0 : this.counting;
      this.counting = 0;
      this.period++;
      this.periodStart = now;
    }
    if (stream.period !== this.period) {
      stream.period = this.period;
      this.counting++;
    }
  }

  private schedule(): void {
    if (this.scheduled || this.busy || this.pending.length === 0) return;
    this.scheduled = true;
    const dispatch = (): void => {
      this.scheduled = false;
      if (this.busy || this.pending.length === 0) return;
      this.busy = true;
      this.lastDispatch = performance.now();
      const batch = this.pending.length <= MAX_BATCH ? this.pending : this.pending.slice(0, MAX_BATCH);
      this.pending = this.pending.length <= MAX_BATCH ? [] : this.pending.slice(MAX_BATCH);
      void this.runBatch(batch).finally(() => {
        this.busy = false;
        this.schedule();
      });
    };
    // After this turn's timers and socket reads: every stream that got audio in it joins the batch. With
    // several streams, runs are batchIntervalMs apart: 100 streams send ~12 windows per run instead of 1
    // (a run of 1 costs as much as a run of 4); a lone stream never waits.
    const wait = this.lastDispatch + batchIntervalMs(this.streams) - performance.now();
    if (wait > 0) setTimeout(dispatch, wait);
    else setImmediate(dispatch);
  }

  private async runBatch(batch: PendingWindow[]): Promise<void> {
    const n = batch.length;
    const input = this.input.subarray(0, n * SILERO_FRAME_SAMPLES);
    const h = this.h.subarray(0, n * STATE_FLOATS);
    const c = this.c.subarray(0, n * STATE_FLOATS);
    for (let b = 0; b < n; b++) {
      const w = batch[b]!;
      input.set(w.frame, b * SILERO_FRAME_SAMPLES);
      packState(w.stream.h, h, b, n);
      packState(w.stream.c, c, b, n);
    }
    let out: BatchOutput;
    try {
      const runner = this.worker && runInWorker(n, this.streams) ? this.worker : this.inThread;
      const started = performance.now();
      out = await runner(input, h, c, n);
      if (vadBatchChannel.hasSubscribers) {
        vadBatchChannel.publish({ durationMs: performance.now() - started, windows: n, inWorker: runner === this.worker } satisfies VadBatchReport);
      }
    } catch (err) {
      for (const w of batch) {
        w.stream.inFlight--;
        w.reject(err);
      }
      return;
    }
    for (let b = 0; b < n; b++) {
      const w = batch[b]!;
      unpackState(out.hn, w.stream.h, b, n);
      unpackState(out.cn, w.stream.c, b, n);
      w.stream.inFlight--;
      w.resolve(out.output[b]!);
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

const SESSION_OPTIONS = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
} as const;

/**
 * One model per process, shared by every stream: the recurrent state (h, c) is per stream (per
 * SileroModel), only the weights are shared (a session costs a few MB and ~50 ms to create). The model
 * runs in a worker thread: onnxruntime-node's `run` is synchronous on the calling thread, and on the main
 * thread it competed with every socket and operator of every call (at 100 calls, a third of a core).
 * Small batches (light load) still run here, where they are cheaper. Threads are pinned to 1: batched runs
 * are small. If the worker cannot start, every batch runs here.
 */
function loadShared(): Promise<Shared> {
  shared ??= (async () => {
    try {
      const modelPath = sileroModelPath();
      const inThread = await inThreadRunner(modelPath);
      const worker = await workerRunner((await loadOrtRuntime()).requirePath, modelPath).catch(() => undefined);
      return { batcher: new WindowBatcher(inThread, worker) };
    } catch (err) {
      shared = undefined; // let a later call try again
      throw new RxVoiceError({ code: 'internal', stage: 'vad', message: `cannot load the Silero model: ${(err as Error).message}`, cause: err });
    }
  })();
  return shared;
}

async function inThreadRunner(modelPath: string): Promise<BatchRunner> {
  // Loaded lazily so importing the vad with a scripted model never loads the native binding.
  const ort: Ort = (await loadOrtRuntime()).ort;
  const session: Session = await ort.InferenceSession.create(await readFile(modelPath), SESSION_OPTIONS);
  const sr: Tensor = new ort.Tensor('int64', BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]), []);
  return async (input, h, c, n) => {
    const out = await session.run({
      input: new ort.Tensor('float32', input, [n, SILERO_FRAME_SAMPLES]),
      sr,
      h: new ort.Tensor('float32', h, [2, n, 64]),
      c: new ort.Tensor('float32', c, [2, n, 64]),
    });
    return { output: out['output']!.data as Float32Array, hn: out['hn']!.data as Float32Array, cn: out['cn']!.data as Float32Array };
  };
}

/**
 * Floats of each region of the memory shared with the worker, in order: input, h, c (main -> worker),
 * output, hn, cn (worker -> main). Sized for MAX_BATCH; one run at a time uses it.
 */
const SHARED_REGIONS = [MAX_BATCH * SILERO_FRAME_SAMPLES, MAX_BATCH * STATE_FLOATS, MAX_BATCH * STATE_FLOATS, MAX_BATCH, MAX_BATCH * STATE_FLOATS, MAX_BATCH * STATE_FLOATS] as const;

/** Float32Array views of the shared regions, in SHARED_REGIONS order. */
function sharedViews(memory: SharedArrayBuffer): Float32Array[] {
  let offset = 0;
  return SHARED_REGIONS.map((floats) => {
    const view = new Float32Array(memory, offset * 4, floats);
    offset += floats;
    return view;
  });
}

/**
 * The worker's code, plain CommonJS (it runs the same under tsx, vitest and the built package). Batches
 * travel through shared memory, the messages are ids: transferring six buffers per batch and copying
 * the outputs cost more CPU than the copies into shared memory. onnxruntime refuses tensors on shared
 * memory, so the worker copies into its own reused buffers.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const ort = require(workerData.ortPath);
const [sIn, sH, sC, sOut, sHn, sCn] = workerData.regions.map((r) => new Float32Array(workerData.memory, r[0] * 4, r[1]));
const lIn = new Float32Array(sIn.length), lH = new Float32Array(sH.length), lC = new Float32Array(sC.length);
const view = (local, shared, len) => { const v = local.subarray(0, len); v.set(shared.subarray(0, len)); return v; };
ort.InferenceSession.create(readFileSync(workerData.modelPath), workerData.options).then((session) => {
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(${SILERO_SAMPLE_RATE})]), []);
  parentPort.on('message', ({ id, n }) => {
    session.run({
      input: new ort.Tensor('float32', view(lIn, sIn, n * ${SILERO_FRAME_SAMPLES}), [n, ${SILERO_FRAME_SAMPLES}]), sr,
      h: new ort.Tensor('float32', view(lH, sH, n * ${STATE_FLOATS}), [2, n, 64]), c: new ort.Tensor('float32', view(lC, sC, n * ${STATE_FLOATS}), [2, n, 64]),
    }).then((out) => {
      sOut.set(out.output.data); sHn.set(out.hn.data); sCn.set(out.cn.data);
      parentPort.postMessage(id);
    }, (err) => parentPort.postMessage({ id, error: String((err && err.message) || err) }));
  });
  parentPort.postMessage({ ready: true });
}, (err) => parentPort.postMessage({ fatal: String((err && err.message) || err) }));
`;

/** A number: that run's results are in shared memory. */
type WorkerReply = number | { readonly id?: number; readonly ready?: true; readonly fatal?: string; readonly error?: string };

async function workerRunner(ortPath: string, modelPath: string): Promise<BatchRunner> {
  const { Worker } = await import('node:worker_threads');
  const memory = new SharedArrayBuffer(SHARED_REGIONS.reduce((sum, floats) => sum + floats, 0) * 4);
  const [sIn, sH, sC, sOut, sHn, sCn] = sharedViews(memory) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const regions = sharedViews(memory).map((v) => [v.byteOffset / 4, v.length]);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, modelPath, options: SESSION_OPTIONS, memory, regions } });
  const waiting = new Map<number, { resolve: (o: BatchOutput) => void; reject: (e: unknown) => void; n: number }>();
  let nextId = 0;
  let broken: Error | undefined;
  const failAll = (err: Error): void => {
    broken = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
    worker.unref();
  };
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: WorkerReply) => {
      if (typeof m !== 'number') {
        if (m.ready) return resolve();
        if (m.fatal !== undefined) {
          reject(new Error(m.fatal));
          return void worker.terminate();
        }
      }
      const id = typeof m === 'number' ? m : m.id!;
      const w = waiting.get(id);
      if (!w) return;
      waiting.delete(id);
      // Only pending runs keep the process alive: an idle model never holds a CLI open.
      if (waiting.size === 0) worker.unref();
      if (typeof m !== 'number') w.reject(new Error(m.error));
      else w.resolve({ output: sOut.subarray(0, w.n), hn: sHn.subarray(0, w.n * STATE_FLOATS), cn: sCn.subarray(0, w.n * STATE_FLOATS) });
    });
    worker.on('error', (err) => {
      reject(err);
      failAll(err);
    });
    worker.on('exit', (code) => failAll(new Error(`the Silero worker exited (${code})`)));
  });
  worker.unref();
  return (input, h, c, n) =>
    new Promise<BatchOutput>((resolve, reject) => {
      if (broken) return reject(new RxVoiceError({ code: 'internal', stage: 'vad', message: broken.message, cause: broken }));
      const id = nextId++;
      sIn.set(input);
      sH.set(h);
      sC.set(c);
      waiting.set(id, { resolve, reject, n });
      worker.ref();
      worker.postMessage({ id, n });
    });
}

/**
 * Silero VAD v4 run frame by frame (streaming), with its own recurrent state. Windows of all streams in
 * the process are batched into shared model runs (see WindowBatcher).
 */
export class SileroModel implements SpeechProbabilityModel {
  private readonly stream: BatchStream = { h: new Float32Array(STATE_FLOATS), c: new Float32Array(STATE_FLOATS), period: -1, inFlight: 0 };
  /** The last window submitted: a window given while one is in flight waits for its state. */
  private last: Promise<number> | undefined;
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
    // Windows of one stream are sequential (each needs the state the previous one left). The usual
    // caller waits for each answer: then the window is submitted at once, with no promise besides its own.
    const run = (): Promise<number> => this.shared.batcher.submit(frame, this.stream);
    const result = this.stream.inFlight === 0 || !this.last ? run() : this.last.then(run, run);
    this.stream.inFlight++;
    this.last = result;
    return result;
  }

  reset(): void {
    this.stream.h.fill(0);
    this.stream.c.fill(0);
  }

  /** Drops this stream's state. The shared session lives as long as the process. */
  async release(): Promise<void> {
    this.released = true;
  }
}
