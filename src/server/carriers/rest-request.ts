import { CallControlError, type CallAction } from '../call-control.js';
import type { CarrierName } from './types.js';

/** A carrier's REST call that has not answered by then has failed. */
export const CARRIER_REST_TIMEOUT_MS = 15_000;
/** At most this much of a carrier's error text goes into the error message. */
const MAX_ERROR_TEXT = 200;

export interface CarrierRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly url: string;
  readonly authorization: string;
  /** JSON body, or a form (`URLSearchParams`). */
  readonly body?: unknown;
  readonly fetch?: typeof fetch;
}

/** The carrier's own error text from a JSON error body (Telnyx `errors[].detail`, Plivo `error`, Vonage `title`/`detail`). */
function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const first = Array.isArray(body.errors) ? (body.errors[0] as Record<string, unknown> | undefined) : undefined;
    const parts = [first?.title, first?.detail, body.error, body.title, body.detail, body.message].filter((p) => typeof p === 'string');
    return parts.join(': ').slice(0, MAX_ERROR_TEXT);
  } catch {
    return '';
  }
}

/**
 * One REST call to a carrier for a call-control action: JSON or form body, bounded time, and every failure
 * (an error status, no answer) as a `CallControlError` of code `carrier`. The authorization header never
 * appears in an error.
 */
export async function carrierRequest(carrier: CarrierName, action: CallAction, request: CarrierRequest): Promise<unknown> {
  const form = request.body instanceof URLSearchParams;
  const headers: Record<string, string> = { authorization: request.authorization, accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = form ? 'application/x-www-form-urlencoded' : 'application/json';
  let res: Response;
  try {
    res = await (request.fetch ?? fetch)(request.url, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: form ? String(request.body) : JSON.stringify(request.body) } : {}),
      signal: AbortSignal.timeout(CARRIER_REST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new CallControlError('carrier', carrier, action, `${carrier} unreachable: ${err instanceof Error ? err.message : String(err)}`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    const detail = errorText(text);
    throw new CallControlError('carrier', carrier, action, `${carrier} ${res.status}${detail ? `: ${detail}` : ''}`, res.status);
  }
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

export const basicAuth = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
