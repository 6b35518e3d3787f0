import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { plivoSignatureV3 } from '../../server/carriers/auth.js';
import { sendJson } from '../errors.js';

/**
 * The call-control REST APIs of Telnyx, Plivo and Vonage, as the sandbox answers them offline: each
 * request is authenticated the carrier's way, validated, recorded (`actions()`), and answered in the
 * carrier's documented shape. Where the real carrier fetches a URL next (Plivo's transfer `aleg_url`,
 * Vonage's `onAnswer` whisper), the sandbox fetches it too, signed when the carrier signs, and records what
 * it got. The media streams themselves stay with whoever opened them (a test's carrier emulator).
 *
 * Hostile-edge bounds: bodies over 64 KiB get 413, bad JSON 400, at most 256 actions are kept (oldest
 * forgotten), fetched documents are cut to 64 KiB and time out after 5 s, only http(s) URLs are fetched.
 */

export type SandboxCarrier = 'telnyx' | 'plivo' | 'vonage';

/** One call-control request the sandbox accepted. */
export interface SandboxCarrierAction {
  readonly carrier: SandboxCarrier;
  readonly callId: string;
  /** `hangup`, `transfer`, `send_dtmf` (Telnyx names; Plivo and Vonage requests map onto them). */
  readonly action: 'hangup' | 'transfer' | 'send_dtmf';
  /** The request's JSON body (Plivo's form or JSON). */
  readonly body: Readonly<Record<string, unknown>>;
  /** What the sandbox fetched next (Plivo transfer XML, Vonage whisper NCCO), or `error: ...`. */
  fetched?: string;
  /** Plivo: the `<Dial confirmSound>` XML fetched in turn (played to the person taking over). */
  whisper?: string;
}

export const MAX_CARRIER_BODY_BYTES = 64 * 1024;
const MAX_ACTIONS = 256;
const FETCH_TIMEOUT_MS = 5000;
const MAX_FETCHED_BYTES = 64 * 1024;

const TELNYX = /^\/v2\/calls\/([^/]{1,256})\/actions\/([a-z_]{1,32})$/;
const PLIVO = /^\/v1\/Account\/([^/]{1,64})\/Call\/([^/]{1,128})\/(DTMF\/)?$/;
const VONAGE = /^\/v1\/calls\/([^/]{1,128})(\/dtmf)?$/;
const DIGITS = /^[0-9A-Da-d*#wWp]{1,64}$/;

class BodyTooLarge extends Error {}

async function readBounded(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_CARRIER_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON object body, a form body (Plivo's SDKs send JSON, older clients forms), `{}` when empty, undefined when neither. */
function parseBody(req: IncomingMessage, raw: Buffer): Record<string, unknown> | undefined {
  const text = raw.toString('utf8');
  if (!text.trim()) return {};
  if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function fetchBounded(url: string, init: RequestInit): Promise<string> {
  if (!/^https?:\/\//.test(url)) return 'error: only http(s) urls are fetched';
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    const text = (await res.text()).slice(0, MAX_FETCHED_BYTES);
    return res.ok ? text : `error: ${res.status} ${text.slice(0, 200)}`;
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  }
}

const bearer = (req: IncomingMessage): string | undefined => /^Bearer\s+(\S{1,8192})$/.exec(req.headers.authorization ?? '')?.[1];

/** A Vonage application JWT's claims, when the token is a well-formed, unexpired RS256 JWT with an application_id. */
function vonageClaims(token: string | undefined): Record<string, unknown> | undefined {
  const parts = token?.split('.');
  if (!parts || parts.length !== 3) return undefined;
  try {
    const head = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (head.alg !== 'RS256' || typeof claims.application_id !== 'string' || !parts[2]) return undefined;
    if (typeof claims.exp === 'number' && claims.exp < Date.now() / 1000) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

export function createCarrierRestHandler() {
  const actions: SandboxCarrierAction[] = [];
  const record = (action: SandboxCarrierAction): SandboxCarrierAction => {
    actions.push(action);
    if (actions.length > MAX_ACTIONS) actions.shift();
    return action;
  };

  /** Telnyx Call Control v2: `POST /v2/calls/{call_control_id}/actions/{command}`, Bearer API key; `{"data":{"result":"ok"}}`. */
  async function telnyx(req: IncomingMessage, res: ServerResponse, callId: string, command: string): Promise<void> {
    const error = (status: number, code: string, title: string, detail: string) => sendJson(res, status, { errors: [{ code, title, detail }] });
    if (!bearer(req)) return error(401, '10009', 'Authentication failed', 'The API key is missing or invalid.');
    if (req.method !== 'POST') return error(405, '10405', 'Method not allowed', 'Use POST.');
    if (command !== 'hangup' && command !== 'transfer' && command !== 'send_dtmf') return error(404, '10404', 'Resource not found', `Unknown command ${command}.`);
    const body = parseBody(req, await readBounded(req));
    if (!body) return error(400, '10002', 'Invalid JSON', 'The request body is not a JSON object.');
    if (command === 'transfer' && (typeof body.to !== 'string' || !body.to)) return error(422, '10015', 'Invalid value', "The 'to' parameter is required.");
    if (command === 'send_dtmf' && (typeof body.digits !== 'string' || !DIGITS.test(body.digits))) return error(422, '10015', 'Invalid value', "The 'digits' parameter is invalid.");
    record({ carrier: 'telnyx', callId, action: command, body });
    sendJson(res, 200, { data: { result: 'ok' } });
  }

  /**
   * Plivo's Call API: `DELETE /v1/Account/{auth_id}/Call/{uuid}/` (204), `POST .../Call/{uuid}/` with
   * `aleg_url` (202, then the sandbox fetches the XML, signed V3 with the auth token), `POST .../DTMF/`
   * with `digits` (202). HTTP Basic with the auth id.
   */
  async function plivo(req: IncomingMessage, res: ServerResponse, authId: string, callId: string, dtmf: boolean): Promise<void> {
    const apiId = randomUUID();
    const error = (status: number, message: string) => sendJson(res, status, { api_id: apiId, error: message });
    const auth = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/.exec(req.headers.authorization ?? '');
    const [user, password] = auth ? Buffer.from(auth[1]!, 'base64').toString('utf8').split(':') : [];
    if (!user || !password || user !== authId) return error(401, 'Could not verify your access level for that URL.');
    const body = parseBody(req, await readBounded(req));
    if (!body) return error(400, 'invalid request body');
    if (req.method === 'DELETE' && !dtmf) {
      record({ carrier: 'plivo', callId, action: 'hangup', body });
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') return error(405, 'method not allowed');
    if (dtmf) {
      if (typeof body.digits !== 'string' || !DIGITS.test(body.digits)) return error(400, 'digits parameter must be present');
      record({ carrier: 'plivo', callId, action: 'send_dtmf', body });
      return sendJson(res, 202, { message: 'digits sent', api_id: apiId });
    }
    if (typeof body.aleg_url !== 'string' || (body.legs !== undefined && body.legs !== 'aleg')) return error(400, 'aleg_url parameter must be present for legs aleg');
    const action = record({ carrier: 'plivo', callId, action: 'transfer', body });
    // Plivo fetches the new XML for the A leg, with the call's fields, signed like every Plivo request.
    const url = body.aleg_url;
    const fields: Record<string, string> = { CallUUID: callId, CallStatus: 'in-progress', Direction: 'inbound', Event: 'Transfer' };
    const signedPost = (target: string) => {
      const nonce = randomBytes(10).toString('hex');
      return fetchBounded(target, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-plivo-signature-v3': plivoSignatureV3(password, target, nonce, 'POST', fields), 'x-plivo-signature-v3-nonce': nonce },
        body: new URLSearchParams(fields).toString(),
      });
    };
    action.fetched = await signedPost(url);
    // Plivo fetches a `<Dial confirmSound>` when the dialled party answers: the sandbox's party answers at once.
    const confirm = /<Dial[^>]*\sconfirmSound="([^"]+)"/.exec(action.fetched);
    if (confirm) action.whisper = await signedPost(confirm[1]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'"));
    sendJson(res, 202, { message: 'call transferred', api_id: apiId });
  }

  /**
   * Vonage's Voice API: `PUT /v1/calls/{uuid}` with `action` hangup | transfer (204), `PUT
   * /v1/calls/{uuid}/dtmf` with `digits` (200). Auth: an application JWT (RS256; the sandbox checks its
   * shape and expiry, not the signature: it has no public key). A transfer to a phone endpoint with
   * `onAnswer.url` gets its whisper NCCO fetched (GET).
   */
  async function vonage(req: IncomingMessage, res: ServerResponse, callId: string, dtmf: boolean): Promise<void> {
    const error = (status: number, title: string, detail: string) => sendJson(res, status, { type: `https://developer.nexmo.com/api-errors#${status}`, title, detail, instance: randomUUID() });
    if (!vonageClaims(bearer(req))) return error(401, 'Unauthorized', 'You did not provide correct credentials.');
    if (req.method !== 'PUT') return error(405, 'Method Not Allowed', 'Use PUT.');
    const body = parseBody(req, await readBounded(req));
    if (!body) return error(400, 'Bad Request', 'The request body is not a JSON object.');
    if (dtmf) {
      if (typeof body.digits !== 'string' || !DIGITS.test(body.digits)) return error(400, 'Bad Request', 'Invalid digits.');
      record({ carrier: 'vonage', callId, action: 'send_dtmf', body });
      return sendJson(res, 200, { message: 'DTMF sent', uuid: callId });
    }
    if (body.action === 'hangup') {
      record({ carrier: 'vonage', callId, action: 'hangup', body });
      res.writeHead(204).end();
      return;
    }
    const destination = body.destination as { type?: unknown; ncco?: unknown } | undefined;
    if (body.action !== 'transfer' || destination?.type !== 'ncco' || !Array.isArray(destination.ncco)) return error(400, 'Bad Request', 'Invalid action or destination.');
    const action = record({ carrier: 'vonage', callId, action: 'transfer', body });
    const connect = destination.ncco.find((a: unknown) => (a as { action?: unknown })?.action === 'connect') as { endpoint?: unknown } | undefined;
    const endpoint = Array.isArray(connect?.endpoint) ? (connect.endpoint[0] as { onAnswer?: { url?: unknown } } | undefined) : undefined;
    if (typeof endpoint?.onAnswer?.url === 'string') action.fetched = await fetchBounded(endpoint.onAnswer.url, { method: 'GET' });
    res.writeHead(204).end();
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const t = TELNYX.exec(url.pathname);
    const p = t ? undefined : PLIVO.exec(url.pathname);
    const v = t || p ? undefined : VONAGE.exec(url.pathname);
    if (!t && !p && !v) return false;
    try {
      if (t) await telnyx(req, res, decodeURIComponent(t[1]!), t[2]!);
      else if (p) await plivo(req, res, decodeURIComponent(p[1]!), decodeURIComponent(p[2]!), p[3] !== undefined);
      else await vonage(req, res, decodeURIComponent(v![1]!), v![2] !== undefined);
    } catch (err) {
      if (err instanceof BodyTooLarge) sendJson(res, 413, { error: 'request body too large' }, { connection: 'close' });
      else if (err instanceof URIError) sendJson(res, 400, { error: 'bad path' });
      else throw err;
    }
    return true;
  }

  return {
    handleHttp,
    /** What the carriers' REST APIs were asked, oldest first (optionally of one carrier). */
    actions: (carrier?: SandboxCarrier): readonly SandboxCarrierAction[] => actions.filter((a) => !carrier || a.carrier === carrier),
  };
}

export type CarrierRestHandler = ReturnType<typeof createCarrierRestHandler>;
