import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SandboxContext } from '../context.js';
import { statusFaultResponse } from '../faults.js';
import { CALL_HEADER, FAULT_HEADER, type FaultSpec } from '../types.js';
import { HeardAudio } from './heard-audio.js';
import { matchRoute } from './route.js';
import { RealtimeSession } from './session.js';
import { createSileroTurnDetector } from './silero-turn-detector.js';
import type { TurnDetectorFactory } from './turn-detector.js';
import { refuseUpgrade } from './upgrade-errors.js';
import { AUTH_CLOSE_CODE } from '../../providers/openai-realtime/session.js';

/** The sandbox's realtime WebSocket surface (OpenAI GA/beta, Azure forms). */
export interface RealtimeHandler {
  /** Takes the upgrade if the path is a realtime path; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes every open session. */
  close(): Promise<void>;
}

export interface RealtimeHandlerOptions {
  /** Server VAD behind `turn_detection`; default: the project's Silero detector (`createEnergyTurnDetector` is the cheap alternative). */
  readonly detector?: TurnDetectorFactory;
}

/**
 * A fault text that asks for the "accepted, then refused" auth failure: the upgrade succeeds and the
 * session sends an `error` event `invalid_api_key` and closes (1008), as OpenAI has been seen doing,
 * instead of the HTTP 401 at the upgrade that the plain `auth` fault (and a wrong key) gets.
 */
export const AUTH_EVENT_FAULT = 'auth_event';

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function createRealtimeHandler(ctx: SandboxContext, options: RealtimeHandlerOptions = {}): RealtimeHandler {
  const detector = options.detector ?? createSileroTurnDetector;
  const sessions = new Map<WebSocket, RealtimeSession>();
  const heard = new HeardAudio();
  const wss = new WebSocketServer({
    noServer: true,
    // Browsers offer ["realtime", "openai-insecure-api-key.<key>", ...]: the server selects "realtime".
    handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false),
  });

  function open(ws: WebSocket, session: RealtimeSession): void {
    sessions.set(ws, session);
    ws.on('message', (data, isBinary) => session.receive(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary));
    ws.on('close', () => {
      session.dispose();
      sessions.delete(ws);
    });
    ws.on('error', () => session.dispose());
  }

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://sandbox.local');
      const matched = matchRoute(url, req.headers);
      if (matched === undefined) return false;
      if (!matched.ok) {
        refuseUpgrade(socket, matched.status, matched.body);
        return true;
      }
      const route = matched.route;
      const rawFault = url.searchParams.get('fault') ?? header(req, FAULT_HEADER);
      const authEvent = rawFault?.trim().startsWith(AUTH_EVENT_FAULT) ?? false;
      const fault: FaultSpec | undefined = ctx.takeFault('realtime', authEvent ? 'auth' : rawFault);
      if (fault !== undefined && !authEvent) {
        const refusal = statusFaultResponse(fault, route.vendor);
        if (refusal !== undefined) {
          refuseUpgrade(socket, refusal.status, refusal.body, { 'x-rxvoice-fault': fault.kind, ...refusal.headers });
          return true;
        }
      }
      const authFailure = authEvent ? undefined : ctx.checkAuth(route.vendor, req.headers, url.searchParams);
      if (authFailure !== undefined && route.vendor === 'azure') {
        refuseUpgrade(socket, authFailure.status, authFailure.body);
        return true;
      }
      if (authFailure !== undefined) {
        // OpenAI accepts the upgrade for a bad key, then closes with 3000 and
        // `invalid_request_error.invalid_api_key`, with no error event (issue #11); Azure answers 401 above.
        wss.handleUpgrade(req, socket, head, (ws) => ws.close(AUTH_CLOSE_CODE, 'invalid_request_error.invalid_api_key'));
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (authEvent) {
          ws.send(
            JSON.stringify({
              type: 'error',
              event_id: 'event_rxvoiceAuthFault00000',
              error: {
                type: 'invalid_request_error',
                code: 'invalid_api_key',
                message: 'Incorrect API key provided (rxvoice sandbox fault auth_event).',
                param: null,
                event_id: null,
              },
            }),
          );
          ws.close(1008, 'invalid_api_key');
          return;
        }
        const callKey = url.searchParams.get('call') ?? header(req, CALL_HEADER);
        const transport = {
          send: (text: string) => {
            if (ws.readyState === ws.OPEN) ws.send(text);
          },
          close: (code: number, reason: string) => ws.close(code, reason),
          destroy: () => ws.terminate(),
        };
        const session = new RealtimeSession(
          {
            ctx,
            protocol: route.protocol,
            kind: route.kind,
            model: route.model || 'gpt-4o-transcribe',
            detectorFactory: detector,
            heard,
            ...(callKey === undefined ? {} : { callKey }),
            ...(fault === undefined ? {} : { fault }),
          },
          transport,
        );
        open(ws, session);
      });
      return true;
    },

    async close() {
      const closing = [...sessions.keys()].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            const timer = setTimeout(() => {
              ws.terminate();
              resolve();
            }, 500);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            sessions.get(ws)?.shutdown(1001, 'Server shutting down');
          }),
      );
      await Promise.all(closing);
      sessions.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
