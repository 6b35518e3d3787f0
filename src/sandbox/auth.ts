import type { IncomingHttpHeaders } from 'node:http';
import type { AuthFailure } from './context.js';
import { azureErrorBody, openaiErrorBody } from './errors.js';

/** Shows a key the way OpenAI does in its 401 message: the first 3 and last 4 characters only. */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 20))}${key.slice(-4)}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function bearer(headers: IncomingHttpHeaders): string | undefined {
  const auth = header(headers, 'authorization');
  const match = auth?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim();
}

/** Where each vendor puts its key; browser WebSockets may carry it in the query or a subprotocol. */
export function presentedKey(vendor: 'openai' | 'azure' | 'elevenlabs', headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  if (vendor === 'elevenlabs') {
    return header(headers, 'xi-api-key') ?? query.get('xi-api-key') ?? query.get('xi_api_key') ?? undefined;
  }
  if (vendor === 'azure') {
    return header(headers, 'api-key') ?? bearer(headers) ?? query.get('api-key') ?? undefined;
  }
  const fromProtocol = header(headers, 'sec-websocket-protocol')
    ?.split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith('openai-insecure-api-key.'))
    ?.slice('openai-insecure-api-key.'.length);
  return bearer(headers) ?? fromProtocol ?? undefined;
}

/** The vendor's 401 for a missing or wrong key. ElevenLabs' shape follows their API (detail.status). */
export function authFailure(vendor: 'openai' | 'azure' | 'elevenlabs', key: string | undefined): AuthFailure {
  if (vendor === 'azure') {
    return {
      status: 401,
      body: azureErrorBody(
        '401',
        'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      ),
    };
  }
  if (vendor === 'elevenlabs') {
    return {
      status: 401,
      body: { detail: { status: key ? 'invalid_api_key' : 'needs_authorization', message: key ? 'Invalid API key' : 'Missing API key' } },
    };
  }
  if (!key) {
    return {
      status: 401,
      body: openaiErrorBody({
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        type: 'invalid_request_error',
      }),
    };
  }
  return {
    status: 401,
    body: openaiErrorBody({
      message: `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    }),
  };
}

/** Accepts `expected` only when set, else any non-empty key. */
export function checkKey(
  vendor: 'openai' | 'azure' | 'elevenlabs',
  expected: string | undefined,
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
): AuthFailure | undefined {
  const key = presentedKey(vendor, headers, query);
  if (key && (expected === undefined || key === expected)) return undefined;
  return authFailure(vendor, key);
}
