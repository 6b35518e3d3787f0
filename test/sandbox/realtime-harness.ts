import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import OpenAI, { AzureOpenAI } from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { WebSocket } from 'ws';
import { synthesizeSpeech } from '../../src/sandbox/speech.js';
import { createRealtimeHandler, type RealtimeHandlerOptions } from '../../src/sandbox/realtime/index.js';
import { resolveProfile } from '../../src/sandbox/profiles.js';
import { SandboxState } from '../../src/sandbox/state.js';
import type { LatencyProfile, Scenario } from '../../src/sandbox/types.js';

export interface RealtimeSandbox {
  readonly url: string;
  readonly openaiBaseURL: string;
  readonly azureEndpoint: string;
  readonly wsURL: string;
  close(): Promise<void>;
}

/**
 * The sandbox as users start it (`startSandbox`), every surface on one port. Set RXVOICE_REALTIME_ALONE=1 to
 * mount the realtime handler alone on its own HTTP server instead (with the same `SandboxState`), which
 * keeps these tests independent of the other surfaces while they are being worked on.
 */
export async function startRealtimeSandbox(
  options: { scenario?: Scenario; profile?: LatencyProfile | 'instant' | 'typical'; apiKey?: string; maxSessionMs?: number } & RealtimeHandlerOptions = {},
): Promise<RealtimeSandbox> {
  if (process.env.RXVOICE_REALTIME_ALONE !== '1' && options.detector === undefined) {
    const { startSandbox } = await import('../../src/sandbox/server.js');
    const sandbox = await startSandbox({
      profile: options.profile ?? 'instant',
      ...(options.scenario ? { scenario: options.scenario } : {}),
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.maxSessionMs ? { maxSessionMs: options.maxSessionMs } : {}),
    });
    return sandbox;
  }
  const state = new SandboxState({
    profile: resolveProfile(options.profile ?? 'instant'),
    maxSessionMs: options.maxSessionMs ?? 60 * 60 * 1000,
    ...(options.scenario ? { scenario: options.scenario } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  const handler = createRealtimeHandler(state, options.detector ? { detector: options.detector } : {});
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    if (!handler.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    azureEndpoint: url,
    wsURL: `ws://127.0.0.1:${port}`,
    async close() {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A server event as the tests read it. */
export type Received = { type: string; [key: string]: unknown };

/**
 * The SDK always builds a `wss://` URL from the base URL; the sandbox speaks plain `ws://`. Handing `ws` a
 * plain TCP `createConnection` keeps everything else in the SDK unchanged.
 */
export const plainTcp = {
  createConnection: ((options: { host?: string; hostname?: string; port?: number | string }) =>
    connect(Number(options.port), options.hostname ?? options.host ?? '127.0.0.1')) as never,
};

/** Records every event a socket receives and lets a test wait for the next one matching. */
export class EventLog {
  readonly events: Received[] = [];
  readonly raw: string[] = [];
  private waiters: { match: (e: Received) => boolean; from: number; resolve: (e: Received) => void }[] = [];

  push(text: string): void {
    this.raw.push(text);
    let event: Received;
    try {
      event = JSON.parse(text) as Received;
    } catch {
      return;
    }
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(event)) return true;
      w.resolve(event);
      return false;
    });
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  /** Resolves with the first event (already received at or after index `from`, or later) that matches. */
  waitFor(type: string, predicate: (e: Received) => boolean = () => true, from = 0, timeoutMs = 20_000): Promise<Received> {
    const match = (e: Received) => e.type === type && predicate(e);
    const found = this.events.slice(from).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}; got ${this.types().join(', ')}`)), timeoutMs);
      this.waiters.push({
        match,
        from,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}

export function openSdk(baseURL: string, model = 'gpt-realtime', headers: Record<string, string> = {}) {
  const client = new OpenAI({ apiKey: 'sk-sandbox-test-key', baseURL });
  const rt = new OpenAIRealtimeWS({ model, options: { ...plainTcp, headers } }, client);
  const log = new EventLog();
  rt.socket.on('message', (data) => log.push(String(data)));
  const errors: Error[] = [];
  rt.on('error', (err) => errors.push(err));
  const opened = new Promise<void>((resolve, reject) => {
    rt.socket.once('open', () => resolve());
    rt.socket.once('error', reject);
  });
  return { rt, log, errors, opened };
}

export async function openAzureSdk(endpoint: string, apiVersion: string, deployment: string) {
  const client = new AzureOpenAI({ apiKey: 'azure-sandbox-key', endpoint, apiVersion, deployment });
  const rt = await OpenAIRealtimeWS.azure(client, { options: { ...plainTcp } } as never);
  const log = new EventLog();
  rt.socket.on('message', (data) => log.push(String(data)));
  rt.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    rt.socket.once('open', () => resolve());
    rt.socket.once('error', reject);
  });
  return { rt, log, url: rt.url.toString() };
}

export interface RawSession {
  ws: WebSocket;
  log: EventLog;
  send(event: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

/** A plain `ws` client: sees every frame, including ones that are not JSON. */
export function openRaw(url: string, headers: Record<string, string> = { authorization: 'Bearer sk-sandbox-test-key' }, protocols?: string[]): Promise<RawSession> {
  const ws = new WebSocket(url, protocols, { headers });
  const log = new EventLog();
  ws.on('message', (data) => log.push(String(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, log, send: (e) => ws.send(typeof e === 'string' ? e : JSON.stringify(e)), closed }));
    ws.once('error', reject);
  });
}

/** The status and body of a refused upgrade. */
export function upgradeRefusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    ws.on('open', () => reject(new Error('upgrade unexpectedly accepted')));
    ws.on('error', () => {});
  });
}

/** Real speech followed by silence, as PCM16 at `rate`, ready to stream. */
export async function speechWithSilence(text: string, rate: 24000 | 8000 = 24000, silenceMs = 1200, leadMs = 300): Promise<Int16Array> {
  const speech = await synthesizeSpeech(text, rate);
  const lead = new Int16Array(Math.round((rate * leadMs) / 1000));
  const tail = new Int16Array(Math.round((rate * silenceMs) / 1000));
  const out = new Int16Array(lead.length + speech.samples.length + tail.length);
  out.set(lead);
  out.set(speech.samples, lead.length);
  return out;
}

export function pcmBase64(samples: Int16Array): string {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64');
}

/** Sends audio as 100 ms appends (no pacing: the sandbox decides on audio time, not wall time). */
export function appendAudio(send: (event: unknown) => void, samples: Int16Array, rate = 24000, encode: (s: Int16Array) => string = pcmBase64): void {
  const chunk = rate / 10;
  for (let i = 0; i < samples.length; i += chunk) {
    send({ type: 'input_audio_buffer.append', audio: encode(samples.subarray(i, i + chunk)) });
  }
}
