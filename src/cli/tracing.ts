import type { TracerProvider } from '@opentelemetry/api';

export interface CliTracing {
  readonly tracerProvider?: TracerProvider;
  /** Flushes spans still queued; called once the server has drained. */
  shutdown(): Promise<void>;
}

const OFF: CliTracing = { shutdown: async () => {} };

/**
 * `rxvoice serve` exports spans over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the OpenTelemetry convention. The SDK is not a dependency
 * of rxvoice (a library must not force one on its users): it is loaded only then, and a missing one is named.
 */
export async function cliTracing(env: NodeJS.ProcessEnv, warn: (line: string) => void): Promise<CliTracing> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return OFF;
  try {
    const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
    // The exporter reads the endpoint, headers and timeout from the OTEL_EXPORTER_OTLP_* variables itself.
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'rxvoice' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1000 })],
    });
    return { tracerProvider: provider, shutdown: () => provider.shutdown() };
  } catch {
    warn('OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry SDK is not installed: npm install @opentelemetry/sdk-trace-base @opentelemetry/exporter-trace-otlp-http @opentelemetry/resources');
    return OFF;
  }
}
