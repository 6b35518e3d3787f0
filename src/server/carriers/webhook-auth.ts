import { createHash, createHmac, createPublicKey, verify } from 'node:crypto';
import { safeEqual } from '../security.js';

/** Node reads Ed25519 keys as SPKI DER; Telnyx publishes the raw 32 bytes (base64). */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** Telnyx webhooks older (or newer) than this are refused: a replayed request. */
export const TELNYX_TOLERANCE_S = 300;

/**
 * Telnyx webhook signature (Telnyx "Webhook signing"): `telnyx-signature-ed25519` is a base64 Ed25519
 * signature, by Telnyx's key, of `<telnyx-timestamp>|<raw body>`; `publicKey` is the account's public
 * key from the portal (base64, raw 32 bytes or SPKI).
 */
export function isValidTelnyxWebhook(publicKey: string, signature: string | undefined, timestamp: string | undefined, body: Buffer, nowS = Date.now() / 1000): boolean {
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp) || signature.length > 256) return false;
  if (Math.abs(nowS - Number(timestamp)) > TELNYX_TOLERANCE_S) return false;
  try {
    const raw = Buffer.from(publicKey, 'base64');
    const key = createPublicKey({ key: raw.length === 32 ? Buffer.concat([SPKI_ED25519_PREFIX, raw]) : raw, format: 'der', type: 'spki' });
    return verify(null, Buffer.concat([Buffer.from(`${timestamp}|`), body]), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Vonage signed webhooks (Vonage "Signed webhooks"): `Authorization: Bearer <JWT>`, HS256 with the
 * account's signature secret; for a request with a body, the claim `payload_hash` is the SHA-256 (hex) of
 * the body. Expired tokens (`exp`) are refused.
 */
export function isValidVonageWebhook(signatureSecret: string, authorization: string | undefined, body: Buffer, nowS = Date.now() / 1000): boolean {
  const match = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!match || (authorization?.length ?? 0) > 4096) return false;
  const [, header, payload, signature] = match;
  const expected = createHmac('sha256', signatureSecret).update(`${header}.${payload}`).digest('base64url');
  if (!safeEqual(signature!, expected)) return false;
  try {
    const head = JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')) as { alg?: unknown };
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as { exp?: unknown; payload_hash?: unknown };
    if (head.alg !== 'HS256') return false;
    if (typeof claims.exp === 'number' && claims.exp < nowS) return false;
    if (body.length > 0) return typeof claims.payload_hash === 'string' && safeEqual(claims.payload_hash, createHash('sha256').update(body).digest('hex'));
    return true;
  } catch {
    return false;
  }
}
