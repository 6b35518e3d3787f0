import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { parseRequestTarget } from '../server/request-target.js';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createElevenLabsHandler } from './elevenlabs/index.js';
import { notFoundBody, sendJson, sendProviderError } from './errors.js';
import { type ProfileName, resolveProfile } from './profiles.js';
import { createRealtimeHandler } from './realtime/index.js';
import { type SandboxStats, SandboxState } from './state.js';
import type { LatencyProfile, Scenario } from './types.js';
import { parseScenario } from './scenario.js';
import { synthesizeSpeech } from './speech.js';
import { routeHttp } from './routes.js';
import { createCarrierRestHandler, type CarrierRestHandler } from './carriers/index.js';
import { createTwilioHandler, type TwilioHandler, type TwilioSandboxOptions } from './twilio/index.js';

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 'instant'. */
  readonly profile?: ProfileName | LatencyProfile;
  /** A scenario object, or the path of a scenario JSON file. */
  readonly scenario?: Scenario | string;
  /** When set, only this key is accepted; otherwise any non-empty key is. */
  readonly apiKey?: string;
  /** Realtime session limit (default 60 min, as OpenAI's). */
  readonly maxSessionMs?: number;
  /**
   * Compile the speech synthesizer before answering (default true; once per process, ~0.5 s, seconds on a
   * loaded machine), so the first reply's latency is the profile's and not the WASM start-up's.
   */
  readonly warmUp?: boolean;
  /**
   * Seed of the profile's per-request delays (default 1), so a run is reproducible: the n-th request of
   * a kind (transcription, chat, text-to-speech, realtime response) always draws the same delay.
   */
  readonly seed?: number;
  /**
   * Cheap mode for load tests (default false): speech synthesised, resampled and encoded once per
   * (text, voice, speed, format) and served from memory; same wire protocol, same injected latency.
   */
  readonly cheap?: boolean;
  /** The Twilio REST API and simulated callees (who answers which number). */
  readonly twilio?: TwilioSandboxOptions;
}

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** url + '/v1', for `new OpenAI({ baseURL })`. */
  readonly openaiBaseURL: string;
  /** For `new AzureOpenAI({ endpoint })`. */
  readonly azureEndpoint: string;
  readonly elevenlabsBaseURL: string;
  /** ws://127.0.0.1:PORT */
  readonly wsURL: string;
  readonly port: number;
  readonly profile: LatencyProfile;
  readonly stats: SandboxStats;
  /** Twilio calls the sandbox placed (REST API), with what happened on each. */
  readonly twilio: Pick<TwilioHandler, 'calls' | 'call'>;
  /** What the Telnyx, Plivo and Vonage call-control REST APIs were asked. */
  readonly carriers: Pick<CarrierRestHandler, 'actions'>;
  /** Replaces the scenario; utterance positions and request counters start again. */
  setScenario(scenario: Scenario): void;
  close(): Promise<void>;
}

export const DEFAULT_MAX_SESSION_MS = 60 * 60 * 1000;

function loadScenario(scenario: Scenario | string | undefined): Scenario | undefined {
  if (typeof scenario !== 'string') return scenario;
  return parseScenario(JSON.parse(readFileSync(scenario, 'utf8')) as unknown, scenario);
}

/** Starts the sandbox: one HTTP server, one port, every vendor surface (HTTP routes and WebSockets). */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const profile = resolveProfile(options.profile);
  const scenario = loadScenario(options.scenario);
  const state = new SandboxState({
    profile,
    maxSessionMs: options.maxSessionMs ?? DEFAULT_MAX_SESSION_MS,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(scenario ? { scenario } : {}),
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.cheap ? { cheap: true } : {}),
  });
  const realtime = createRealtimeHandler(state);
  const elevenlabs = createElevenLabsHandler(state);
  const twilio = createTwilioHandler(options.twilio);
  const carrierRest = createCarrierRestHandler();
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    void handleRequest(req, res).catch((err: unknown) => {
      // A bug in a route must answer 500, not kill the server every test shares.
      if (!res.headersSent) sendProviderError(res, 'openai', 500, { message: `Sandbox error: ${String(err)}`, type: 'server_error' });
      else res.destroy();
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseRequestTarget(req.url);
    if (!url) {
      req.resume();
      sendJson(res, 400, { error: { message: 'Bad request target.', type: 'invalid_request_error', param: null, code: null } });
      return;
    }
    // The real APIs allow browser calls (CORS); so does the sandbox, so browser examples can use it directly.
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('x-request-id', `req_${randomUUID().replace(/-/g, '')}`);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (await elevenlabs.handleHttp(req, res, url)) return;
    if (await twilio.handleHttp(req, res, url)) return;
    if (await carrierRest.handleHttp(req, res, url)) return;
    if (await routeHttp(state, req, res, url)) return;
    const flavor = url.pathname.startsWith('/openai/') ? 'azure' : 'openai';
    req.resume();
    sendJson(res, 404, notFoundBody(flavor, req.method ?? 'GET', url.pathname));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // A throw costs this one socket, never the sandbox every test (or `rxvoice serve`) shares.
    try {
      const url = parseRequestTarget(req.url);
      if (!url) {
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":{"message":"Bad request target."}}');
        return;
      }
      if (realtime.handleUpgrade(req, socket, head)) return;
      if (elevenlabs.handleUpgrade(req, socket, head, url)) return;
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n' + JSON.stringify(notFoundBody('openai', 'GET', url.pathname)));
    } catch {
      socket.destroy();
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (options.warmUp ?? true) await synthesizeSpeech('Ready.', 16000).catch(() => undefined);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    openaiBaseURL: `${url}/v1`,
    azureEndpoint: url,
    elevenlabsBaseURL: url,
    wsURL: `ws://${host}:${address.port}`,
    port: address.port,
    profile,
    stats: state.stats,
    twilio: { calls: twilio.calls, call: twilio.call },
    carriers: { actions: carrierRest.actions },
    setScenario: (next: Scenario) => state.setScenario(next),
    close: () => {
      closing ??= (async () => {
        await Promise.allSettled([realtime.close(), elevenlabs.close(), twilio.close()]);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      })();
      return closing;
    },
  };
}
