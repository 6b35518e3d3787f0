import { Observable } from 'rxjs';
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import { redactSecrets, RxVoiceError } from '../../errors.js';
import type { OpenAIEndpoint } from '../env.js';
import type { RealtimeSession, RealtimeSessionConfig } from '../realtime-types.js';
import { openaiConnection } from './connection.js';
import type { OpenAIClientEvent, OpenAIServerEvent, OpenAIWireConnection } from './events.js';
import {
  clientEventWire,
  DEFAULT_REALTIME_MODEL,
  DEFAULT_TRANSCRIPTION_MODEL,
  INVALID_API_KEY_CLOSE,
  isAuthErrorEvent,
  normalizeServerEvent,
  realtimeTarget,
  sessionUpdate,
  type RealtimeDialect,
  type RealtimeTargetOptions,
} from './wire.js';

export interface OpenAIRealtimeOptions extends RealtimeTargetOptions {
  /** From `resolveEndpoints()`: the real vendor (OpenAI or Azure) or the sandbox. */
  readonly endpoint: OpenAIEndpoint;
  /** Sent as `x-rxvoice-call` so the sandbox keeps a scenario position per call (harmless elsewhere). */
  readonly callId?: string;
  /** Ping interval; a socket that misses two pongs is treated as dropped. Default 15 000 ms; 0 disables. */
  readonly keepAliveMs?: number;
  /** Give up on an upgrade that takes longer than this. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
}

/** OpenAI's documented cap on one realtime session ("The maximum duration of a Realtime session is 60 minutes", Realtime API guide). */
export const OPENAI_MAX_SESSION_MS = 60 * 60_000;
/** Azure OpenAI's ("The maximum session duration is 30 minutes", Azure OpenAI realtime audio how-to / quotas). */
export const AZURE_MAX_SESSION_MS = 30 * 60_000;

/** A wire-level session: one socket per `connect()`, GA event shapes both ways. */
export interface OpenAIWireSession {
  readonly name: string;
  readonly maxSessionMs: number;
  /** The protocol dialect the socket speaks (GA or the retired beta / Azure preview one). */
  readonly dialect: RealtimeDialect;
  connect(config: RealtimeSessionConfig): OpenAIWireConnection;
}

/**
 * The OpenAI / Azure OpenAI realtime provider, vendor-neutral: verbs and neutral events over
 * `openaiRealtimeSocket`.
 */
export function openaiRealtime(options: OpenAIRealtimeOptions): RealtimeSession {
  const socket = openaiRealtimeSocket(options);
  return {
    name: socket.name,
    maxSessionMs: socket.maxSessionMs,
    defaultTranscriptionModel: DEFAULT_TRANSCRIPTION_MODEL,
    connect: (config) => openaiConnection(socket.connect(config), config, socket.dialect),
  };
}

/**
 * The wire under `openaiRealtime`, over `ws`: one socket per `connect()`. Sends the `session.update`
 * first, renames beta events to GA names, turns a refused upgrade or an `invalid_api_key` error event into
 * an `auth` error, and the session cap (`session_expired` + close 1001) into a retryable
 * `session_expired` error so the operator reconnects.
 */
export function openaiRealtimeSocket(options: OpenAIRealtimeOptions): OpenAIWireSession {
  const target = realtimeTarget(options.endpoint, options);
  // `<vendor>:<model>`, as the other providers name themselves (the cost meter prices by the model part).
  const model = options.model ?? (options.endpoint.kind === 'azure' ? options.endpoint.deployments.realtime : DEFAULT_REALTIME_MODEL);
  const azure = options.endpoint.kind === 'azure';
  const name = `${azure ? 'azure-openai-realtime' : 'openai-realtime'}:${model}`;
  return {
    name,
    maxSessionMs: azure ? AZURE_MAX_SESSION_MS : OPENAI_MAX_SESSION_MS,
    dialect: target.dialect,
    connect: (config) => connectSocket(target, config, options),
  };
}

function connectSocket(
  target: ReturnType<typeof realtimeTarget>,
  config: RealtimeSessionConfig,
  options: OpenAIRealtimeOptions,
): OpenAIWireConnection {
  let socket: WebSocket | undefined;
  let closedByUs = false;
  let finished = false;
  const queue: string[] = [];

  const send = (event: OpenAIClientEvent | Record<string, unknown>): boolean => {
    if (finished || closedByUs) return false;
    const text = JSON.stringify(event);
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(text);
    else queue.push(text);
    return true;
  };

  const events = new Observable<OpenAIServerEvent>((subscriber) => {
    if (socket) {
      subscriber.error(new RxVoiceError({ code: 'internal', stage: 'realtime', message: 'A realtime connection can be subscribed once' }));
      return;
    }
    const headers: Record<string, string> = { ...target.headers };
    if (options.callId) headers['x-rxvoice-call'] = options.callId;
    const ws = new WebSocket(target.url, { headers, handshakeTimeout: options.connectTimeoutMs ?? 10_000 });
    socket = ws;
    let expired = false;
    let pingTimer: NodeJS.Timeout | undefined;
    let missedPongs = 0;

    const fail = (err: RxVoiceError): void => {
      if (finished) return;
      finished = true;
      subscriber.error(err);
    };

    ws.on('upgrade', () => undefined);
    ws.on('unexpected-response', (req, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const body = redactSecrets(Buffer.concat(chunks).toString('utf8').slice(0, 500));
        const detail = errorMessageOf(body) ?? `HTTP ${status}`;
        const code = status === 401 || status === 403 ? 'auth' : status === 429 ? 'rate_limited' : 'provider_error';
        fail(
          new RxVoiceError({
            code,
            stage: 'realtime',
            status,
            retryable: status === 429 || status >= 500,
            message:
              code === 'auth'
                ? `Realtime connection refused: the API key was not accepted (${status}: ${detail})`
                : `Realtime connection refused with HTTP ${status}: ${detail}`,
          }),
        );
        req.destroy();
        ws.terminate();
      });
      res.on('error', () => req.destroy());
    });
    ws.on('open', () => {
      ws.send(JSON.stringify(sessionUpdate(config, target.dialect)));
      for (const text of queue.splice(0)) ws.send(text);
      const keepAliveMs = options.keepAliveMs ?? 15_000;
      if (keepAliveMs > 0) {
        pingTimer = setInterval(() => {
          if (missedPongs >= 2) {
            ws.terminate();
            return;
          }
          missedPongs++;
          ws.ping();
        }, keepAliveMs);
        pingTimer.unref();
      }
    });
    ws.on('pong', () => {
      missedPongs = 0;
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (finished) return;
      const text = isBinary ? '' : data.toString();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        subscriber.next({ type: 'client.protocol_error', message: `Unparseable realtime message: ${redactSecrets(text.slice(0, 80))}` });
        return;
      }
      if (!parsed || typeof parsed !== 'object' || typeof (parsed as { type?: unknown }).type !== 'string') {
        subscriber.next({ type: 'client.protocol_error', message: 'Realtime message without a type' });
        return;
      }
      const event = normalizeServerEvent(parsed as OpenAIServerEvent);
      if (event.type === 'error') {
        if (isAuthErrorEvent(event)) {
          fail(new RxVoiceError({ code: 'auth', stage: 'realtime', status: 401, message: `Realtime session refused the API key: ${serverErrorMessage(event)}` }));
          ws.close(1000);
          return;
        }
        if ((event.error as { code?: unknown } | undefined)?.code === 'session_expired') {
          // The close (1001) follows; it is reported as a retryable session_expired error.
          expired = true;
          return;
        }
      }
      subscriber.next(event);
    });
    ws.on('error', (err: Error) => {
      fail(new RxVoiceError({ code: 'connection', stage: 'realtime', retryable: true, message: `Realtime socket error: ${err.message}`, cause: err }));
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (pingTimer) clearInterval(pingTimer);
      if (finished) return;
      if (closedByUs) {
        finished = true;
        subscriber.complete();
        return;
      }
      if (code === INVALID_API_KEY_CLOSE || /invalid_api_key/.test(reason.toString())) {
        fail(new RxVoiceError({ code: 'auth', stage: 'realtime', status: 401, message: `Realtime session refused the API key (close ${code})` }));
        return;
      }
      if (expired || code === 1001) {
        fail(new RxVoiceError({ code: 'session_expired', stage: 'realtime', retryable: true, message: `Realtime session ended by the server (${code}): ${redactSecrets(reason.toString()) || 'maximum duration'}` }));
        return;
      }
      fail(new RxVoiceError({ code: 'connection', stage: 'realtime', retryable: true, message: `Realtime socket closed unexpectedly (${code}${reason.length ? `: ${redactSecrets(reason.toString())}` : ''})` }));
    });

    return () => {
      if (pingTimer) clearInterval(pingTimer);
      closedByUs = true;
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    };
  });

  return {
    events,
    send: (event) => send(clientEventWire(event, target.dialect)),
    close: () => {
      closedByUs = true;
      if (socket && socket.readyState === WebSocket.OPEN) socket.close(1000);
      else if (socket && socket.readyState === WebSocket.CONNECTING) socket.terminate();
    },
  };
}

function serverErrorMessage(event: OpenAIServerEvent): string {
  const error = event.error as { message?: unknown; code?: unknown } | undefined;
  const message = typeof error?.message === 'string' ? error.message : 'error';
  return redactSecrets(message);
}

function errorMessageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
  } catch {
    return body.trim() === '' ? undefined : body.trim();
  }
}
