/**
 * Cost of `import 'rxvoice'` (built dist/, `npm run build` first): wall time and RSS in a fresh process,
 * median of 5, next to `import 'rxjs'` alone in the same run as a baseline for the machine's load.
 * Vendor SDKs (openai, @elevenlabs/elevenlabs-js) load on first use, not here.
 * Run: npx tsx bench/import.ts
 */
import { execFileSync } from 'node:child_process';

function measure(specifier: string): { ms: number; rssMb: number } {
  const runs = Array.from({ length: 5 }, () => {
    const out = execFileSync(process.execPath, [
      '--input-type=module', '-e',
      `const t0 = performance.now(); await import(${JSON.stringify(specifier)}); console.log(JSON.stringify({ ms: performance.now() - t0, rssMb: process.memoryUsage().rss / 1e6 }))`,
    ], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
    return JSON.parse(out) as { ms: number; rssMb: number };
  });
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[2]!;
  return { ms: median(runs.map((r) => r.ms)), rssMb: median(runs.map((r) => r.rssMb)) };
}

const rows: Array<[string, string]> = [
  ['rxjs (baseline)', 'rxjs'],
  ['rxvoice', './dist/src/index.js'],
  ['rxvoice/operators', './dist/operators/index.js'],
  ['@elevenlabs/elevenlabs-js (not loaded by rxvoice)', '@elevenlabs/elevenlabs-js'],
];
const base = measure('rxjs').ms;
for (const [label, specifier] of rows) {
  const r = measure(specifier);
  console.log(`${label.padEnd(50)} ${r.ms.toFixed(0).padStart(5)} ms  ${r.rssMb.toFixed(0).padStart(4)} MB RSS  ${(r.ms / base).toFixed(1)}x rxjs`);
}
