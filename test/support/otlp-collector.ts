import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in OpenTelemetry collector: keeps the body of every OTLP/HTTP `POST /v1/traces`. */
export interface OtlpCollector {
  /** The base URL (what OTEL_EXPORTER_OTLP_ENDPOINT takes); traces go to `${url}/v1/traces`. */
  readonly url: string;
  /** Raw request bodies to /v1/traces, in arrival order. */
  readonly bodies: readonly string[];
  close(): Promise<void>;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // an exporter's keep-alive socket must not hold the close
      }),
  };
}
