import { channel } from 'node:diagnostics_channel';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { RxVoiceError } from '../errors.js';
import { bundledSileroModelPath, loadOrtRuntime } from './runtime.js';

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

/** Largest batch per run: a bigger one would hold the event loop for too long (~0.05 ms per window). */
const MAX_BATCH = 256;
/** Shortest time between two batch runs: up to this much added delay buys bigger batches under load. */
const MIN_BATCH_INTERVAL_MS = 4;
/** Smallest batch sent to the worker thread (smaller ones run on the calling thread, see WindowBatcher). */
const WORKER_MIN_BATCH = 8;

interface PendingWindow {
  readonly frame: Float32Array;
  /** The stream's h and c before this window; replaced in place by the results. */
  readonly h: Float32Array;
  readonly c: Float32Array;
  readonly resolve: (p: number) => void;
  readonly reject: (err: unknown) => void;
}

/** Model outputs of one batch of n windows: output [n], hn and cn [2, n, 64]. */
interface BatchOutput {
  readonly output: Float32Array;
  readonly hn: Float32Array;
  readonly cn: Float32Array;
}

/** Runs one batch: input [n, 512], h and c [2, n, 64]. */
type BatchRunner = (input: Float32Array, h: Float32Array, c: Float32Array, n: number) => Promise<BatchOutput>;

/**
 * Runs the windows of every stream as ONE batched model run ([B, 512] input, [2, B, 64] state). A run's
 * fixed cost (tensor setup, N-API, graph walk) dominates a single 32 ms window: ~0.23 ms for 1 window vs
 * ~0.05 ms per window in a batch of 25-100. One batch is in flight at a time; windows that arrive
 * meanwhile form the next one, so batches grow with load. Unbatched, 100 streams (3125 windows/s) needed
 * ~0.7 s of main thread per second and the frame lag grew without bound. The LSTM's rows are
 * independent: a stream's probability is the same (to float rounding, ~1e-7) as when run alone.
 */
class WindowBatcher {
  private pending: PendingWindow[] = [];
  private scheduled = false;
  private busy = false;
  private lastDispatch = Number.NEGATIVE_INFINITY;

  /**
   * @param inThread runs small batches: waking the worker costs ~0.5 ms of CPU per batch, more than a small
   *   batch costs on the main thread.
   * @param worker runs batches of WORKER_MIN_BATCH windows or more, off the main thread, when it started.
   */
  constructor(
    private readonly inThread: BatchRunner,
    private readonly worker: BatchRunner | undefined,
  ) {}

  submit(frame: Float32Array, h: Float32Array, c: Float32Array): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ frame, h, c, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.busy || this.pending.length === 0) return;
    this.scheduled = true;
    const dispatch = (): void => {
      this.scheduled = false;
      if (this.busy || this.pending.length === 0) return;
      this.busy = true;
      this.lastDispatch = performance.now();
      void this.runBatch(this.pending.splice(0, MAX_BATCH)).finally(() => {
        this.busy = false;
        this.schedule();
      });
    };
    // After this turn's timers and socket reads: every stream that got audio in it joins the batch. Under
    // load, batches are at least MIN_BATCH_INTERVAL_MS apart: a lone stream never waits, but 100 streams
    // send ~12 windows per run instead of 1 (a run of 1 costs as much as a run of 4).
    const wait = this.lastDispatch + MIN_BATCH_INTERVAL_MS - performance.now();
    if (wait > 0) setTimeout(dispatch, wait);
    else setImmediate(dispatch);
  }

  private async runBatch(batch: PendingWindow[]): Promise<void> {
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
    let out: BatchOutput;
    try {
      const runner = this.worker && n >= WORKER_MIN_BATCH ? this.worker : this.inThread;
      const started = performance.now();
      out = await runner(input, h, c, n);
      if (vadBatchChannel.hasSubscribers) {
        vadBatchChannel.publish({ durationMs: performance.now() - started, windows: n, inWorker: runner === this.worker } satisfies VadBatchReport);
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (let b = 0; b < n; b++) {
      const w = batch[b]!;
      unpackState(out.hn, w.h, b, n);
      unpackState(out.cn, w.c, b, n);
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

/** The worker's code, plain CommonJS (it runs the same under tsx, vitest and the built package). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const ort = require(workerData.ortPath);
ort.InferenceSession.create(readFileSync(workerData.modelPath), workerData.options).then((session) => {
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(${SILERO_SAMPLE_RATE})]), []);
  parentPort.on('message', ({ id, input, h, c, n }) => {
    session.run({
      input: new ort.Tensor('float32', input, [n, ${SILERO_FRAME_SAMPLES}]), sr,
      h: new ort.Tensor('float32', h, [2, n, 64]), c: new ort.Tensor('float32', c, [2, n, 64]),
    }).then((out) => {
      const output = Float32Array.from(out.output.data), hn = Float32Array.from(out.hn.data), cn = Float32Array.from(out.cn.data);
      parentPort.postMessage({ id, output, hn, cn }, [output.buffer, hn.buffer, cn.buffer]);
    }, (err) => parentPort.postMessage({ id, error: String((err && err.message) || err) }));
  });
  parentPort.postMessage({ ready: true });
}, (err) => parentPort.postMessage({ fatal: String((err && err.message) || err) }));
`;

interface WorkerReply {
  readonly id?: number;
  readonly ready?: true;
  readonly fatal?: string;
  readonly error?: string;
  readonly output?: Float32Array;
  readonly hn?: Float32Array;
  readonly cn?: Float32Array;
}

async function workerRunner(ortPath: string, modelPath: string): Promise<BatchRunner> {
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, modelPath, options: SESSION_OPTIONS } });
  const waiting = new Map<number, { resolve: (o: BatchOutput) => void; reject: (e: unknown) => void }>();
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
      if (m.ready) return resolve();
      if (m.fatal !== undefined) {
        reject(new Error(m.fatal));
        return void worker.terminate();
      }
      const w = waiting.get(m.id!);
      if (!w) return;
      waiting.delete(m.id!);
      // Only pending runs keep the process alive: an idle model never holds a CLI open.
      if (waiting.size === 0) worker.unref();
      if (m.error !== undefined) w.reject(new Error(m.error));
      else w.resolve({ output: m.output!, hn: m.hn!, cn: m.cn! });
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
      waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, input, h, c, n }, [input.buffer as ArrayBuffer, h.buffer as ArrayBuffer, c.buffer as ArrayBuffer]);
    });
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
