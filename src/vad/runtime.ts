import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Which ONNX runtime runs the Silero model. `onnxruntime-node` (native, ~0.05 ms per batched window) is an
 * optional dependency: its install script downloads extra binaries from outside the npm registry (NuGet, on
 * linux/x64), so on a machine that reaches only the registry that script fails and npm drops the package.
 * Then `onnxruntime-web` (WebAssembly, shipped inside its npm package) runs the same model, slower (see
 * bench/vad-runtime.ts). `RXVOICE_ORT=web` forces WebAssembly (benchmarks, tests).
 */
export type OrtName = 'onnxruntime-node' | 'onnxruntime-web';

/** The runtime's module (same InferenceSession/Tensor API in both packages) and its CommonJS entry for workers. */
export interface OrtRuntime {
  readonly name: OrtName;
  readonly ort: typeof import('onnxruntime-web');
  /** `require`-able path of the package, for the worker thread. */
  readonly requirePath: string;
}

let runtime: Promise<OrtRuntime> | undefined;

export function loadOrtRuntime(): Promise<OrtRuntime> {
  runtime ??= pick().catch((err: unknown) => {
    runtime = undefined;
    throw err;
  });
  return runtime;
}

async function pick(): Promise<OrtRuntime> {
  const names: OrtName[] = process.env.RXVOICE_ORT === 'web' ? ['onnxruntime-web'] : ['onnxruntime-node', 'onnxruntime-web'];
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const name of names) {
    try {
      // A variable specifier: onnxruntime-node may be absent (an optional dependency), so the types are the
      // web package's: both expose the same onnxruntime-common API.
      const specifier: string = name;
      const mod = (await import(specifier)) as typeof import('onnxruntime-web') & { default?: typeof import('onnxruntime-web') };
      const ort = mod.InferenceSession ? mod : mod.default!;
      return { name, ort, requirePath: require.resolve(name) };
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message.split('\n')[0] ?? ''}`);
    }
  }
  throw new Error(`no ONNX runtime could be loaded (${failures.join('; ')})`);
}

/** Path of the Silero v4 model (MIT, snakers4/silero-vad) shipped in rxvoice's `models/`. */
export function bundledSileroModelPath(): string {
  // src/vad/ in the repository, dist/src/vad/ in the package.
  for (const rel of ['../../models/silero_vad.onnx', '../../../models/silero_vad.onnx']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('the Silero model (models/silero_vad.onnx) is missing from the rxvoice package');
}
