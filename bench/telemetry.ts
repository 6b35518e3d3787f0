/**
 * What metrics, logs and traces cost per turn (`npx tsx bench/telemetry.ts [--runs 5] [--calls 300]`).
 *
 * One real cascaded call (fixtures/demo-call.wav, 3 turns, the in-process sandbox, no pacing) is recorded
 * once; its events are then replayed through the server's wrappers, in the same process and interleaved
 * run by run: `off` (the bare events), `metrics` (ServerMetrics.instrument), `metrics+logs` (pino at info
 * into a discarding stream), and `metrics+logs+traces` (an OpenTelemetry SDK provider with a batch
 * processor and an exporter that drops spans). CPU time per turn, median of runs, and the ratio to `off`.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { readWavFile } from '../src/audio/wav.js';
import { fromPcm } from '../src/audio/sources.js';
import { buildChain, openProviders } from '../src/cli/session.js';
import type { AudioFrame } from '../src/audio/frame.js';
import type { PipelineEvent } from '../src/events.js';
import { runCall } from '../src/runner/call.js';
import { formatTable, summarize } from '../src/runner/report.js';
import { logCallEvents, serverLog } from '../src/server/logging.js';
import { ServerMetrics } from '../src/server/metrics.js';
import { traceCalls } from '../src/server/tracing.js';
import type { PipelineChoice, PipelineFactory } from '../src/server/types.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, calls: { type: 'string', default: '300' } } });
const runs = Number(values.runs);
const calls = Number(values.calls);

// --- record one real call ---
const root = join(import.meta.dirname, '..');
const audio = await readWavFile(join(root, 'fixtures', 'demo-call.wav'));
const providers = await openProviders({ profile: 'instant', scenario: join(root, 'examples', 'scenarios', 'demo.json') });
const recorded = await runCall({
  frames: fromPcm(audio.samples, audio.sampleRate, { realtime: false }),
  pipeline: await buildChain({ pipeline: 'cascaded' }, providers.endpoints),
});
await providers.close();
const events: PipelineEvent[] = recorded.events.map((e) => e.event);
const turns = new Set(events.filter((e) => e.type === 'speech.ended').map((e) => (e as { turnId: string }).turnId)).size;

// --- the variants ---
const replay: PipelineFactory = () => () => from(events);
const discard = new Writable({ write: (_c, _e, done) => done() });
const logger = pino({ level: 'info' }, discard);
const dropSpans: SpanExporter = { export: (_spans: ReadableSpan[], done) => done({ code: 0 }), shutdown: async () => {} };
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans, { maxQueueSize: 100_000 })] });
const metrics = new ServerMetrics(() => 0);
const models = { transcribe: 'gpt-4o-transcribe', llm: 'gpt-4o-mini', tts: 'eleven_flash_v2_5' };
const variants: Record<string, PipelineFactory> = {
  off: replay,
  metrics: metrics.instrument(replay),
  'metrics+logs': metrics.instrument(logCallEvents(replay, serverLog({ logger }))),
  'metrics+logs+traces': metrics.instrument(traceCalls(logCallEvents(replay, serverLog({ logger })), { tracerProvider }, models)),
};

const choice = (i: number): PipelineChoice => ({ pipeline: 'cascaded', sessionId: `call-${i}`, transport: 'rxvoice' }) as unknown as PipelineChoice;
const none = from([] as AudioFrame[]) as Observable<AudioFrame>;

async function cpuPerTurnUs(factory: PipelineFactory): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) await lastValueFrom(factory(choice(i))(none), { defaultValue: undefined });
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (calls * turns);
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (const factory of Object.values(variants)) await cpuPerTurnUs(factory); // warm-up (JIT)
for (let r = 0; r < runs; r++) {
  for (const [name, factory] of Object.entries(variants)) samples[name]!.push(await cpuPerTurnUs(factory));
  await tracerProvider.forceFlush();
}
const base = summarize(samples.off!).median!;
process.stdout.write(`recorded call: ${events.length} events, ${turns} turns; ${calls} replayed calls per run, ${runs} runs\n\n`);
process.stdout.write(
  `${formatTable(
    ['variant', 'CPU per turn (median)', 'added by telemetry', 'ratio to off'],
    Object.entries(samples).map(([name, s]) => {
      const median = summarize(s).median!;
      return [name, `${median.toFixed(1)} us`, `${(median - base).toFixed(1)} us`, `${(median / base).toFixed(2)}x`];
    }),
  )}\n`,
);
await tracerProvider.shutdown();
metrics.close();
