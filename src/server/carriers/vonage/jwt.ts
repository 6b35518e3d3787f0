import { createPrivateKey, randomUUID, sign } from 'node:crypto';

/** Vonage application JWTs live this long; one is made per request. */
export const VONAGE_JWT_TTL_S = 300;

/**
 * The JWT Vonage's Voice API takes as `Authorization: Bearer` (developer.vonage.com/getting-started/
 * concepts/authentication, "JSON Web Tokens"): RS256, signed with the application's private key, claims
 * `application_id`, `iat`, `jti` and `exp`.
 */
export function vonageApplicationJwt(applicationId: string, privateKeyPem: string, nowS = Math.floor(Date.now() / 1000)): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const head = encode({ alg: 'RS256', typ: 'JWT' });
  const claims = encode({ application_id: applicationId, iat: nowS, jti: randomUUID(), exp: nowS + VONAGE_JWT_TTL_S });
  const signature = sign('sha256', Buffer.from(`${head}.${claims}`), createPrivateKey(privateKeyPem)).toString('base64url');
  return `${head}.${claims}.${signature}`;
}
