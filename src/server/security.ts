import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthOptions } from './types.js';

/** Constant-time string comparison (different lengths compare unequal without leaking where). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

const base64url = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');

/**
 * A query token for browsers (which cannot set headers on a WebSocket): `<payload>.<signature>`, where
 * payload is base64url JSON `{ exp, sub? }` and signature its HMAC-SHA256 with the server's secret.
 */
export function signToken(secret: string, claims: { expiresAt: number; subject?: string }): string {
  const payload = base64url(JSON.stringify({ exp: claims.expiresAt, ...(claims.subject ? { sub: claims.subject } : {}) }));
  return `${payload}.${base64url(createHmac('sha256', secret).update(payload).digest())}`;
}

export function verifyToken(secret: string, token: string, now: number = Date.now()): boolean {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return false;
  if (!safeEqual(signature, base64url(createHmac('sha256', secret).update(payload).digest()))) return false;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && claims.exp > now;
  } catch {
    return false;
  }
}

/** True when the request carries an accepted bearer token or a valid signed query token. */
export function isAuthorized(auth: AuthOptions | undefined, req: IncomingMessage, url: URL): boolean {
  if (!auth || (!auth.bearerTokens?.length && !auth.tokenSecret)) return true;
  const header = req.headers.authorization;
  if (header && auth.bearerTokens?.length) {
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match && auth.bearerTokens.some((token) => safeEqual(token, match[1]!.trim()))) return true;
  }
  const queryToken = url.searchParams.get('token');
  if (queryToken && auth.tokenSecret && verifyToken(auth.tokenSecret, queryToken)) return true;
  return false;
}

/** In an Origin allow-list: the server's own origin (the page it serves), whatever host it is reached by. */
export const SELF_ORIGIN = 'self';

/**
 * Browsers always send Origin on a WebSocket; clients without one (servers, Twilio) are not browsers.
 * `self` in the list allows an Origin whose host is the request's own Host header (same origin).
 */
export function isOriginAllowed(allowed: readonly string[] | undefined, origin: string | undefined, host?: string): boolean {
  if (!allowed || origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  if (!allowed.includes(SELF_ORIGIN) || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Twilio's request signature: base64 HMAC-SHA1, keyed with the account's auth token, of the full URL
 * followed by the POST parameters sorted by name, each as name + value. The WebSocket upgrade has no
 * body, so there it is the URL alone.
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>> = {}): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function isValidTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: Readonly<Record<string, string>> = {},
): boolean {
  return signature !== undefined && safeEqual(signature, twilioSignature(authToken, url, params));
}
