import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { answerHealth, EventLoopLag } from './health.js';
import { logCallEvents, serverLog } from './logging.js';
import { ServerMetrics } from './metrics.js';
import { traceCalls } from './tracing.js';
import { enforceBudget } from './budget.js';
import { honourCallEnd } from './call-end.js';
import { handleRxvoiceSession } from './rxvoice-protocol.js';
import { parseRequestTarget } from './request-target.js';
import { isAuthorized, isOriginAllowed } from './security.js';
import { SessionHost } from './session-host.js';
import { defaultStaticDir, serveStatic } from './static.js';
import { carrierRoute, handleCarrierSession, placeTwilioCall, type CarrierRoute } from './carriers/index.js';
import { answerCarrierWebhook } from './carriers/webhooks.js';
import type { RunningServer, ServeOptions, TransportName } from './types.js';

export const STREAM_PATH = '/v1/stream';
export const TWILIO_PATH = '/twilio';

const DEFAULTS = {
  maxMessageBytes: 256 * 1024,
  maxSessions: 100,
  idleTimeoutMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  finishGraceMs: 15_000,
  maxEventLoopLagMs: 200,
  maxCallUsd: undefined as number | undefined,
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Answers an upgrade with a plain HTTP error: the client gets a status and a reason, and no socket. */
function refuseUpgrade(socket: Duplex, status: number, reason: string, headers: Readonly<Record<string, string>> = {}): void {
  const body = JSON.stringify({ error: reason });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Serves pipelines behind sockets: the rxvoice protocol on `/v1/stream`, Twilio Media Streams on
 * `/twilio`, and the browser page on `/`. Every connection gets its own pipeline from `pipelineFactory`.
 * Checks run before the upgrade, so a refused client gets an HTTP status and never a socket.
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const limits = { ...DEFAULTS, ...options.limits };
  const log = serverLog(options);
  const staticDir = options.staticDir === false ? undefined : (options.staticDir ?? defaultStaticDir());
  const sessions = new Map<string, SessionHost>();
  let reserved = 0; // upgrades accepted but not yet open, so a burst cannot overshoot maxSessions
  let closing = false;
  const lag = new EventLoopLag();
  const metrics = new ServerMetrics(() => sessions.size, options.metrics);
  // Each call's events feed, in turn: its log lines, its spans, the server's metrics.
  const observed = metrics.instrument(traceCalls(logCallEvents(options.pipelineFactory, log, options.logCalls), options.tracing, options.models));
  // The pipeline may end the call itself (an idle caller's polite hang-up).
  const ending = honourCallEnd(observed, (id, reason) => void sessions.get(id)?.finish(`pipeline asked to end the call (${reason})`));
  const pipelineFactory =
    limits.maxCallUsd === undefined
      ? ending
      : enforceBudget(ending, limits.maxCallUsd, (id, callUsd) => {
          const host = sessions.get(id);
          if (!host) return;
          log(`call budget exceeded ($${callUsd.toFixed(4)} > $${limits.maxCallUsd}): ending the call after this reply`, { callId: id }, 'warn');
          void host.finish('call budget exceeded');
        });
  const health = () => ({
    draining: closing,
    liveCalls: sessions.size + reserved,
    maxCalls: limits.maxSessions,
    eventLoopLagMs: lag.p99Ms(),
    maxEventLoopLagMs: limits.maxEventLoopLagMs,
  });

  const http = createServer((req, res) => {
    // A stranger's request must never throw out of here: one bad request would end every live call.
    try {
      handleRequest(req, res);
    } catch (err) {
      failRequest(res, err);
    }
  });

  const failRequest = (res: ServerResponse, err: unknown): void => {
    log(`http: request handler failed: ${err instanceof Error ? err.message : String(err)}`, {}, 'error');
    if (res.headersSent) res.destroy();
    else res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
  };

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = parseRequestTarget(req.url);
    if (!url) {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('bad request target');
      return;
    }
    const path = url.pathname;
    if (answerHealth(req, res, path, health)) return;
    if (metrics.answer(req, res, path, (err) => failRequest(res, err))) return;
    if (answerCarrierWebhook(req, res, url, options, log)) return; // carriers asking what to do with a call
    void (staticDir ? serveStatic(staticDir, req, res, path) : Promise.resolve(false)).then(
      (served) => {
        if (!served) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      },
      (err: unknown) => failRequest(res, err),
    );
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // An unexpected throw costs this one socket, never the process.
    try {
      handleUpgrade(req, socket, head);
    } catch (err) {
      log(`http: upgrade handler failed: ${err instanceof Error ? err.message : String(err)}`, {}, 'error');
      socket.destroy();
    }
  });

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = parseRequestTarget(req.url);
    if (!url) return refuseUpgrade(socket, 400, 'bad request target');
    // Phone carriers (Twilio, Telnyx, Plivo, Vonage, Exotel) each have a path and their own upgrade check.
    const carrier = carrierRoute(url.pathname);
    const transport = url.pathname === STREAM_PATH ? 'rxvoice' : carrier?.name;
    if (!transport) return refuseUpgrade(socket, 404, `no WebSocket endpoint at ${url.pathname}`);
    if (closing) return refuseUpgrade(socket, 503, 'server shutting down', { 'Retry-After': '5' });
    if (!isOriginAllowed(options.allowedOrigins, req.headers.origin, req.headers.host)) return refuseUpgrade(socket, 403, 'origin not allowed');
    const carrierAuth = carrier ? carrier.authorize(req, url, options) : 'default';
    if (carrierAuth !== 'ok' && carrierAuth !== 'default') return refuseUpgrade(socket, 401, carrierAuth.refused);
    if (carrierAuth === 'default' && !isAuthorized(options.auth, req, url)) {
      return refuseUpgrade(socket, 401, 'authentication required: Authorization: Bearer <token> or ?token=<signed token>', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    if (sessions.size + reserved >= limits.maxSessions) {
      return refuseUpgrade(socket, 503, `session limit reached (${limits.maxSessions} live sessions)`, { 'Retry-After': '5' });
    }
    // Reserved until the handshake ends either way (ws drops a bad handshake without calling back).
    reserved++;
    let settled = false;
    const settle = (): void => {
      if (!settled) reserved--;
      settled = true;
    };
    socket.once('close', settle);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      settle();
      try {
        openSession(ws, transport, carrier, url, req, socket);
      } catch (err) {
        log(`http: session setup failed: ${err instanceof Error ? err.message : String(err)}`, {}, 'error');
        ws.terminate();
      }
    });
  };

  const openSession = (ws: WebSocket, transport: TransportName, carrier: CarrierRoute | undefined, url: URL, req: IncomingMessage, socket: Duplex): void => {
    const id = randomUUID();
    const host = new SessionHost(ws, {
      id,
      transport,
      factory: pipelineFactory,
      allow: options.allow,
      systemPrompt: options.systemPrompt,
      recording: options.recording,
      maxBufferedBytes: limits.maxBufferedBytes,
      idleTimeoutMs: limits.idleTimeoutMs,
      finishGraceMs: limits.finishGraceMs,
      log,
      socket,
    });
    sessions.set(id, host);
    metrics.callStarted(transport);
    log('connected', { callId: id, transport });
    ws.once('close', (code: number) => {
      sessions.delete(id);
      metrics.callEnded(transport, code, host.stats().droppedAudioBytes);
      log('closed', { callId: id, closeCode: code });
    });
    ws.on('error', (err: Error) => log(`socket error: ${err.message}`, { callId: id }, 'warn'));
    if (carrier) handleCarrierSession(ws, host, carrier.create(url), (start, endStream) => carrier.control?.(req, options, start, { endStream }), options.answeringMachine);
    else handleRxvoiceSession(ws, host);
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = http.address() as AddressInfo;
  const hostName = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${hostName}:${address.port}`,
    port: address.port,
    placeCall: (call) => placeTwilioCall(options, call, `ws://${hostName}:${address.port}`),
    sessions: () => [...sessions.values()].map((s) => s.stats()),
    async close(deadlineMs = 10_000) {
      if (closing) return;
      closing = true;
      // The listener stays open while draining: probes read 503 on /readyz and new calls get 503 +
      // Retry-After (a load balancer retries elsewhere) instead of a refused connection.
      const live = [...sessions.values()];
      for (const session of live) session.notify({ type: 'shutdown', deadlineMs });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(live.map((s) => s.closed)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs))),
      ]);
      clearTimeout(timer);
      for (const session of sessions.values()) session.close(1001, 'server shutting down');
      await Promise.all(live.map((s) => s.released));
      await Promise.all([...sessions.values()].map((s) => s.released));
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await stopped;
      wss.close();
      lag.stop();
      metrics.close();
    },
  };
}
