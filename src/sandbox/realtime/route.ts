import type { IncomingHttpHeaders } from 'node:http';
import type { Protocol } from './config.js';

/** What the upgrade URL and headers say about the session to open. */
export interface RealtimeRoute {
  readonly vendor: 'openai' | 'azure';
  readonly protocol: Protocol;
  readonly kind: 'realtime' | 'transcription';
  readonly model: string;
  /** Key from the `openai-insecure-api-key.<key>` subprotocol (browsers cannot set headers). */
  readonly subprotocolKey?: string;
}

export type RouteResult =
  | { readonly ok: true; readonly route: RealtimeRoute }
  | { readonly ok: false; readonly status: number; readonly body: unknown }
  | undefined;

const KEY_PROTOCOL = 'openai-insecure-api-key.';
const BETA_PROTOCOL = 'openai-beta.realtime-v1';
/** Azure's first api-version of the GA realtime protocol; older (and `-preview`) versions speak beta. */
const AZURE_GA_API_VERSION = '2025-08-28';

export function offeredProtocols(headers: IncomingHttpHeaders): string[] {
  const raw = headers['sec-websocket-protocol'];
  return (Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function openaiError(message: string, param: string | null, code: string): unknown {
  return { error: { message, type: 'invalid_request_error', param, code } };
}

/**
 * Recognises the realtime URL forms (OpenAI Realtime API reference): OpenAI `/v1/realtime?model=|intent=`, Azure GA
 * `/openai/v1/realtime?model=<deployment>`, Azure preview `/openai/realtime?api-version=&deployment=`.
 * Returns undefined for any other path, so the upgrade can go to another surface.
 */
export function matchRoute(url: URL, headers: IncomingHttpHeaders): RouteResult {
  const path = url.pathname.replace(/\/+$/, '');
  const protocols = offeredProtocols(headers);
  const betaHeader = /realtime=v1/.test(String(headers['openai-beta'] ?? '')) || protocols.includes(BETA_PROTOCOL);
  const keyProtocol = protocols.find((p) => p.startsWith(KEY_PROTOCOL));
  const subprotocolKey = keyProtocol === undefined ? {} : { subprotocolKey: keyProtocol.slice(KEY_PROTOCOL.length) };
  const q = url.searchParams;
  const intent = q.get('intent');
  if (path === '/v1/realtime' || path === '/openai/v1/realtime') {
    const vendor = path === '/v1/realtime' ? 'openai' : 'azure';
    const model = q.get('model');
    if (intent === 'transcription') {
      return { ok: true, route: { vendor, protocol: betaHeader ? 'beta' : 'ga', kind: 'transcription', model: model ?? '', ...subprotocolKey } };
    }
    if (model === null || model === '') {
      return { ok: false, status: 400, body: openaiError("Missing required parameter: 'model'.", 'model', 'missing_required_parameter') };
    }
    return { ok: true, route: { vendor, protocol: betaHeader ? 'beta' : 'ga', kind: 'realtime', model, ...subprotocolKey } };
  }
  if (path === '/openai/realtime') {
    const apiVersion = q.get('api-version');
    const deployment = q.get('deployment');
    if (apiVersion === null || apiVersion === '') {
      return { ok: false, status: 404, body: { error: { code: '404', message: 'Resource not found' } } };
    }
    if (deployment === null || deployment === '') {
      return { ok: false, status: 400, body: { error: { code: 'BadRequest', message: "Missing required query parameter 'deployment'." } } };
    }
    const preview = apiVersion.includes('preview') || apiVersion < AZURE_GA_API_VERSION;
    return {
      ok: true,
      route: { vendor: 'azure', protocol: betaHeader || preview ? 'beta' : 'ga', kind: intent === 'transcription' ? 'transcription' : 'realtime', model: deployment, ...subprotocolKey },
    };
  }
  return undefined;
}
