/**
 * Silero VAD speed per ONNX runtime: onnxruntime-node (native, used when its install script succeeded)
 * vs onnxruntime-web (WebAssembly, the fallback on a registry-only machine). Both in this process, same
 * model, same random windows; median of 5 runs of 200 model calls each, batch of 1 and of 32 windows.
 * Run: npx tsx bench/vad-runtime.ts
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { bundledSileroModelPath } from '../src/vad/runtime.js';

type Ort = typeof import('onnxruntime-web');

async function load(name: string): Promise<Ort> {
  const mod = (await import(name)) as Ort & { default?: Ort };
  return mod.InferenceSession ? mod : mod.default!;
}

async function msPerWindow(ort: Ort, batch: number): Promise<number> {
  const session = await ort.InferenceSession.create(await readFile(bundledSileroModelPath()), {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  const input = Float32Array.from({ length: 512 * batch }, (_, i) => Math.sin(i / 7) * 0.3);
  const runs: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) {
      await session.run({
        input: new ort.Tensor('float32', input, [batch, 512]), sr,
        h: new ort.Tensor('float32', new Float32Array(128 * batch), [2, batch, 64]),
        c: new ort.Tensor('float32', new Float32Array(128 * batch), [2, batch, 64]),
      });
    }
    if (r > 0) runs.push((performance.now() - t0) / (200 * batch)); // run 0 warms up
  }
  await session.release();
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
}

const results: Record<string, Record<number, number>> = {};
for (const name of ['onnxruntime-node', 'onnxruntime-web']) {
  try {
    const ort = await load(name);
    if (name === 'onnxruntime-web') (ort.env as { wasm: { numThreads: number } }).wasm.numThreads = 1;
    results[name] = { 1: await msPerWindow(ort, 1), 32: await msPerWindow(ort, 32) };
  } catch (err) {
    console.log(`${name}: not available (${(err as Error).message})`);
  }
}
console.log('runtime            ms/window (batch 1)  ms/window (batch 32)');
for (const [name, r] of Object.entries(results)) {
  console.log(`${name.padEnd(18)} ${r[1]!.toFixed(3).padStart(19)}  ${r[32]!.toFixed(3).padStart(20)}`);
}
const n = results['onnxruntime-node'];
const w = results['onnxruntime-web'];
if (n && w) console.log(`web / node: ${(w[1]! / n[1]!).toFixed(1)}x (batch 1), ${(w[32]! / n[32]!).toFixed(1)}x (batch 32); a 32 ms window is real time`);
