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
import { INVALID_API_KEY_CLOSE } from '../../providers/openai-realtime/wire.js';
import { parseRequestTarget } from '../../server/request-target.js';

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
 * A fault text that asks for the auth refusal WITH an `error` event `invalid_api_key` before the close
 * (3000). A wrong key (and the plain `auth` fault) on the OpenAI route gets the close 3000 alone, as OpenAI
 * often does; the Azure route refuses both at the upgrade with HTTP 401.
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
      const url = parseRequestTarget(req.url);
      if (!url) return false;
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
      // OpenAI answers a refused key after the upgrade (close 3000); only Azure refuses it at the handshake.
      const closeForKey = !authEvent && route.vendor === 'openai' && fault?.kind === 'auth';
      if (fault !== undefined && !authEvent && !closeForKey) {
        const refusal = statusFaultResponse(fault, route.vendor);
        if (refusal !== undefined) {
          refuseUpgrade(socket, refusal.status, refusal.body, { 'x-rxvoice-fault': fault.kind, ...refusal.headers });
          return true;
        }
      }
      const authFailure = authEvent ? undefined : ctx.checkAuth(route.vendor, req.headers, url.searchParams);
      if (authFailure !== undefined && !(route.vendor === 'openai' && authFailure.status === 401)) {
        // Azure refuses a bad key at the HTTP upgrade (401), as the sandbox always did.
        refuseUpgrade(socket, authFailure.status, authFailure.body);
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (authFailure !== undefined || closeForKey) {
          // OpenAI accepts the upgrade for a bad key and closes at once with 3000 (invalid_api_key), often
          // without an error event first (observed in the field: a client must not read it as a drop).
          ws.close(INVALID_API_KEY_CLOSE, 'invalid_request_error.invalid_api_key');
          return;
        }
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
          ws.close(INVALID_API_KEY_CLOSE, 'invalid_request_error.invalid_api_key');
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
