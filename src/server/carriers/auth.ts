import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { safeEqual } from '../security.js';

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/** Telnyx: the stream's auth token, echoed by Telnyx in `x-telnyx-streaming-auth-token` (Telnyx media streaming AsyncAPI, connected frame). */
export function isValidTelnyxStreamToken(expected: string, req: IncomingMessage): boolean {
  const got = header(req, 'x-telnyx-streaming-auth-token');
  return got !== undefined && safeEqual(got, expected);
}

/** `k=v&k=v` with names sorted (and a name's values sorted), as Plivo's signature base builds it. */
function sortedQuery(params: URLSearchParams): string {
  const names = [...new Set(params.keys())].sort();
  return names.map((name) => params.getAll(name).sort().map((value) => `${name}=${value}`).join('&')).join('&');
}

/**
 * Plivo's request signature V3 (plivo-python `plivo/utils/signature_v3.py`, `validate_v3_signature`):
 * base64 HMAC-SHA256, keyed with the auth token, of `<base url>.<nonce>`. For GET (a WebSocket upgrade)
 * the base is scheme://host/path plus `?` and the query sorted by name; for POST it is that URL (with a
 * `?` and a `.` before the body when there is a query) followed by the POST parameters sorted by name,
 * each as name + value.
 */
export function plivoSignatureV3(
  authToken: string,
  url: string,
  nonce: string,
  method: 'GET' | 'POST' = 'GET',
  params: Readonly<Record<string, string>> = {},
): string {
  const parsed = new URL(url);
  let base = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const query = new URLSearchParams(parsed.search);
  if (method === 'GET') {
    for (const [name, value] of Object.entries(params)) query.append(name, value);
    const sorted = sortedQuery(query);
    if (sorted) base += `?${sorted}`;
  } else {
    const sorted = sortedQuery(query);
    const hasBody = Object.keys(params).length > 0;
    if (sorted || hasBody) base += `?${sorted}`;
    if (sorted && hasBody) base += '.';
    base += Object.keys(params)
      .sort()
      .map((name) => name + params[name])
      .join('');
  }
  return createHmac('sha256', authToken).update(`${base}.${nonce}`, 'utf8').digest('base64');
}

/** `X-Plivo-Signature-V3` may list several signatures (comma-separated): one must match. */
export function isValidPlivoSignature(
  authToken: string,
  req: IncomingMessage,
  url: string,
  method: 'GET' | 'POST' = 'GET',
  params: Readonly<Record<string, string>> = {},
): boolean {
  const signatures = header(req, 'x-plivo-signature-v3');
  const nonce = header(req, 'x-plivo-signature-v3-nonce');
  if (!signatures || !nonce || signatures.length > 1024) return false;
  const expected = plivoSignatureV3(authToken, url, nonce, method, params);
  return signatures.split(',').some((s) => safeEqual(s.trim(), expected));
}

/** Exotel: HTTP Basic credentials, from the `user:password@` the Voicebot applet's URL carries. */
export function isValidBasicAuth(username: string, password: string, req: IncomingMessage): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header(req, 'authorization') ?? '');
  if (!match) return false;
  return safeEqual(Buffer.from(match[1]!, 'base64').toString('utf8'), `${username}:${password}`);
}
