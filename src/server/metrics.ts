import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OperatorFunction } from 'rxjs';
import { defer, finalize, tap } from 'rxjs';
import { toRxVoiceError, type ErrorCode, type ErrorStage } from '../errors.js';
import type { AudioFrame } from '../audio/frame.js';
import type { MetricName, PipelineEvent } from '../events.js';
import { VAD_BATCH_CHANNEL, type VadBatchReport } from '../vad/silero.js';
import type { PipelineFactory } from './types.js';

export const METRICS_PATH = '/metrics';

/** Per-turn latencies (ms from the end of speech) that get a histogram each, as the `metric` label. */
const LATENCIES = ['transcript_final', 'llm_first_token', 'tts_first_byte', 'first_audio_out'] as const satisfies readonly MetricName[];
type Latency = (typeof LATENCIES)[number];
const isLatency = (name: MetricName): name is Latency => (LATENCIES as readonly string[]).includes(name);

// Label values come only from these closed sets: anything else is folded into 'other', so a provider or a
// pipeline that invents a value cannot grow the series count (and no call or turn id can ever become a label).
const STAGES: readonly ErrorStage[] = ['input', 'audio', 'vad', 'chunk', 'transcribe', 'llm', 'tool', 'tts', 'realtime', 'transport', 'pipeline'];
const CODES: readonly ErrorCode[] = [
  'bad_audio', 'unsupported_sample_rate', 'bad_message', 'auth', 'rate_limited', 'provider_error', 'timeout',
  'connection', 'protocol', 'tool_failed', 'session_expired', 'max_utterance', 'internal',
];
const SPECULATION_OUTCOMES = ['started', 'used', 'discarded'] as const;
const RETRY_STAGES: readonly ErrorStage[] = ['transcribe', 'llm', 'tts', 'realtime'];
const bounded = (value: unknown, allowed: readonly string[]): string => (typeof value === 'string' && allowed.includes(value) ? value : 'other');

/** Why a call ended, from its WebSocket close code (the server closes with these; see serve.ts / session-host.ts). */
export type CallOutcome = 'completed' | 'shutdown' | 'idle_timeout' | 'refused' | 'dropped';
export function callOutcome(closeCode: number): CallOutcome {
  if (closeCode === 1000) return 'completed';
  if (closeCode === 1001) return 'shutdown';
  if (closeCode === 4408) return 'idle_timeout';
  if (closeCode === 1008) return 'refused';
  return 'dropped'; // 1005/1006: the peer vanished, or anything else abnormal
}

// Voice latencies live between ~50 ms and a few seconds; buckets in seconds, as Prometheus expects.
const LATENCY_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
// One batched VAD model run: tens of microseconds to a few ms.
const VAD_BUCKETS = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05];

export interface MetricsOptions {
  /**
   * Which provider serves each stage (e.g. `{ transcribe: 'openai', tts: 'elevenlabs' }`), the `provider`
   * label of errors and retries. Set by whoever builds the providers; a stage not named is 'other'.
   */
  readonly providers?: Partial<Readonly<Record<ErrorStage, string>>>;
}

/**
 * One server's metrics, in its own registry (several servers in one process must not share counters).
 * Fed from the pipeline events each call emits; read as the Prometheus text format on `/metrics`.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly liveCalls: Gauge;
  private readonly callsStarted: Counter;
  private readonly callsEnded: Counter;
  private readonly latency: Histogram;
  private readonly stageDuration: Histogram;
  private readonly interruptions: Counter;
  private readonly errors: Counter;
  private readonly speculations: Counter;
  private readonly retries: Counter;
  private readonly endOfTurnWait: Histogram;
  private readonly droppedAudio: Counter;
  private readonly vadBatch: Histogram;
  private readonly cost: Counter;
  private readonly callCost: Histogram;
  private readonly onVadBatch: (report: unknown) => void;
  private readonly providers: Partial<Readonly<Record<ErrorStage, string>>>;

  constructor(liveCalls: () => number, options: MetricsOptions = {}) {
    this.providers = options.providers ?? {};
    const registers = [this.registry];
    this.liveCalls = new Gauge({
      name: 'rxvoice_live_calls',
      help: 'Calls connected right now.',
      registers,
      collect() {
        this.set(liveCalls());
      },
    });
    this.callsStarted = new Counter({ name: 'rxvoice_calls_started_total', help: 'Calls accepted (WebSocket opened).', labelNames: ['transport'], registers });
    this.callsEnded = new Counter({ name: 'rxvoice_calls_ended_total', help: 'Calls ended, by outcome.', labelNames: ['transport', 'outcome'], registers });
    this.latency = new Histogram({
      name: 'rxvoice_turn_latency_seconds',
      help: 'Per-turn latency from the end of the caller\'s speech, by milestone.',
      labelNames: ['metric'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.stageDuration = new Histogram({
      name: 'rxvoice_stage_duration_seconds',
      help: 'Time a pipeline stage took, by stage.',
      labelNames: ['stage'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.interruptions = new Counter({ name: 'rxvoice_interruptions_total', help: 'Replies cut by the caller speaking over them.', registers });
    this.errors = new Counter({ name: 'rxvoice_errors_total', help: 'Error events, by stage, provider and code.', labelNames: ['stage', 'provider', 'code'], registers });
    this.speculations = new Counter({ name: 'rxvoice_speculative_requests_total', help: 'Speculative requests, by outcome.', labelNames: ['outcome'], registers });
    this.retries = new Counter({ name: 'rxvoice_retries_total', help: 'Provider requests retried, by stage, provider and code.', labelNames: ['stage', 'provider', 'code'], registers });
    this.endOfTurnWait = new Histogram({
      name: 'rxvoice_end_of_turn_wait_seconds',
      help: 'Silence the turn detector waited after the caller\'s last speech before ending the turn.',
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2],
      registers,
    });
    this.droppedAudio = new Counter({ name: 'rxvoice_dropped_audio_bytes_total', help: 'Reply audio dropped because a client did not read it fast enough.', labelNames: ['transport'], registers });
    this.vadBatch = new Histogram({ name: 'rxvoice_vad_batch_seconds', help: 'Time of one batched VAD model run (all streams of this process).', buckets: VAD_BUCKETS, registers });
    this.cost = new Counter({ name: 'rxvoice_cost_usd_total', help: 'What calls cost at the price table, in US dollars, by stage (transcribe, reply, tts).', labelNames: ['stage'], registers });
    this.callCost = new Histogram({
      name: 'rxvoice_call_cost_usd',
      help: 'What one call cost in total, in US dollars, observed when it ends.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    for (const stage of ['transcribe', 'reply', 'tts']) this.cost.inc({ stage }, 0);
    this.onVadBatch = (report) => this.vadBatch.observe((report as VadBatchReport).durationMs / 1000);
    subscribe(VAD_BATCH_CHANNEL, this.onVadBatch);
    // Event-loop lag (nodejs_eventloop_lag_*), heap, GC and CPU: prom-client's own, in this registry only.
    collectDefaultMetrics({ register: this.registry });
    for (const metric of LATENCIES) this.latency.zero({ metric });
  }

  callStarted(transport: string): void {
    this.callsStarted.inc({ transport });
  }

  callEnded(transport: string, closeCode: number, droppedAudioBytes = 0): void {
    this.callsEnded.inc({ transport, outcome: callOutcome(closeCode) });
    if (droppedAudioBytes > 0) this.droppedAudio.inc({ transport }, droppedAudioBytes);
  }

  /** Stops listening to process-wide reports (the VAD's); the registry stays readable. */
  close(): void {
    unsubscribe(VAD_BATCH_CHANNEL, this.onVadBatch);
  }

  private provider(stage: unknown): string {
    const name = typeof stage === 'string' ? this.providers[stage as ErrorStage] : undefined;
    return name ?? 'other';
  }

  observe(event: PipelineEvent): void {
    switch (event.type) {
      case 'metric':
        if (isLatency(event.name)) this.latency.observe({ metric: event.name }, event.valueMs / 1000);
        else if (event.name === 'stage_duration') this.stageDuration.observe({ stage: bounded(event.stage, STAGES) }, event.valueMs / 1000);
        else if (event.name === 'speculation') this.speculations.inc({ outcome: bounded(event.detail?.outcome, SPECULATION_OUTCOMES) });
        else if (event.name === 'retry') {
          this.retries.inc({ stage: bounded(event.stage, RETRY_STAGES), provider: this.provider(event.stage), code: bounded(event.detail?.code, CODES) });
        }
        return;
      case 'speech.ended':
        if (event.reason === 'silence') this.endOfTurnWait.observe(Math.max(0, event.decidedAudioMs - event.audioMs) / 1000);
        return;
      case 'interruption':
        // A `resumed` report closes the books on a reply already counted when it was first cut.
        if (!event.resumed) this.interruptions.inc();
        return;
      case 'error':
        this.errors.inc({ stage: bounded(event.stage, STAGES), provider: this.provider(event.stage), code: bounded(event.code, CODES) });
        return;
      case 'cost':
        for (const [stage, usd] of Object.entries(event.byStage)) if (usd > 0) this.cost.inc({ stage }, usd);
        return;
      default:
        return;
    }
  }

  /** Wraps a pipeline factory so every call's events (and a pipeline that fails outright) are counted. */
  instrument(factory: PipelineFactory): PipelineFactory {
    return (choice) => {
      const pipeline = factory(choice);
      const counted: OperatorFunction<AudioFrame, PipelineEvent> = (source) =>
        defer(() => {
          let callUsd: number | undefined;
          return pipeline(source).pipe(
            tap({
              next: (event) => {
                if (event.type === 'cost') callUsd = event.callUsd;
                this.observe(event);
              },
              error: (err: unknown) => {
                const e = toRxVoiceError(err, 'pipeline');
                this.errors.inc({ stage: bounded(e.stage, STAGES), provider: this.provider(e.stage), code: bounded(e.code, CODES) });
              },
            }),
            finalize(() => {
              if (callUsd !== undefined) this.callCost.observe(callUsd);
            }),
          );
        });
      return counted;
    };
  }

  /** Answers `/metrics` (unauthenticated, like the probes); false for any other path. */
  answer(req: IncomingMessage, res: ServerResponse, path: string, fail: (err: unknown) => void): boolean {
    if (path !== METRICS_PATH) return false;
    this.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      fail,
    );
    return true;
  }
}
