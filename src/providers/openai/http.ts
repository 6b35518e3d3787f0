import { Agent, type Dispatcher } from 'undici';
import { RxVoiceError, type ErrorStage } from '../../errors.js';
import type { OpenAIEndpoint } from '../env.js';

/** Which OpenAI-shaped operation a URL is for. */
export type OpenAIOperation = 'chat/completions' | 'audio/transcriptions';

export interface ResolvedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  /** What goes in the body's `model` field: the model on OpenAI, the deployment on Azure. */
  readonly model: string;
}

/**
 * URL, auth header and model field for an operation. OpenAI: `{baseURL}/{op}` with Bearer auth. Azure:
 * the v1 form `{endpoint}/openai/v1/{op}` (deployment in the `model` field), or, when an `apiVersion` is
 * set, the classic `{endpoint}/openai/deployments/{deployment}/{op}?api-version=` form; `api-key` header.
 */
export function resolveRequest(endpoint: OpenAIEndpoint, operation: OpenAIOperation, model: string): ResolvedRequest {
  if (endpoint.kind === 'openai') {
    return {
      url: `${endpoint.baseURL.replace(/\/$/, '')}/${operation}`,
      headers: { authorization: `Bearer ${endpoint.apiKey}` },
      model,
    };
  }
  const deployment = operation === 'chat/completions' ? endpoint.deployments.chat : endpoint.deployments.transcribe;
  const base = endpoint.endpoint.replace(/\/$/, '');
  const url = endpoint.apiVersion
    ? `${base}/openai/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${encodeURIComponent(endpoint.apiVersion)}`
    : `${base}/openai/v1/${operation}`;
  return { url, headers: { 'api-key': endpoint.apiKey }, model: deployment };
}

type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `retry-after-ms` (ms) or `retry-after` (seconds or an HTTP date), as openai-node reads them; capped at 60 s. */
export function retryAfterMs(headers: HeaderBag, nowMs: number = Date.now()): number | undefined {
  const ms = Number.parseFloat(header(headers, 'retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0 && ms <= 60_000) return ms;
  const raw = header(headers, 'retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 && seconds <= 60 ? seconds * 1000 : undefined;
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  const wait = date - nowMs;
  return wait >= 0 && wait <= 60_000 ? wait : undefined;
}

/** A typed error for a non-2xx response: auth, rate limit (with its retry-after) or provider error. */
export function httpError(stage: ErrorStage, status: number, headers: HeaderBag, bodyText: string): RxVoiceError {
  const message = providerMessage(bodyText) ?? `HTTP ${status}`;
  const shouldRetry = header(headers, 'x-should-retry');
  const quota = /insufficient_quota|exceeded your current quota/i.test(bodyText);
  const retryable =
    shouldRetry === 'true' ? true : shouldRetry === 'false' ? false : !quota && (status === 408 || status === 409 || status === 429 || status >= 500);
  const wait = retryAfterMs(headers);
  return new RxVoiceError({
    code: status === 401 || status === 403 ? 'auth' : status === 429 ? 'rate_limited' : 'provider_error',
    stage,
    message: `${stage === 'llm' ? 'chat' : 'transcription'} request failed (${status}): ${message}`,
    retryable,
    status,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
}

/** The `error.message` of an OpenAI/Azure error body, if the body has one. */
export function providerMessage(bodyText: string): string | undefined {
  try {
    const body = JSON.parse(bodyText) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof body.error === 'string') return body.error;
    if (body.error && typeof body.error.message === 'string') return body.error.message;
    if (typeof body.message === 'string') return body.message;
  } catch {
    // not JSON: fall through
  }
  const text = bodyText.trim();
  return text === '' ? undefined : text.slice(0, 300);
}

/** A socket-level failure (reset, refused, aborted mid-body) as a retryable connection error; a stall as `timeout`. */
export function connectionError(stage: ErrorStage, err: unknown): RxVoiceError {
  if (err instanceof RxVoiceError) return err;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new RxVoiceError({ code: 'timeout', stage, message: `the provider stalled: ${message}`, retryable: true, cause: err });
  }
  return new RxVoiceError({ code: 'connection', stage, message: `connection failed: ${message}`, retryable: true, cause: err });
}

let agent: Dispatcher | undefined;

/**
 * The connection pool the OpenAI providers share. undici's default keeps an idle connection only 4 s when
 * the server gives no hint; a caller's next turn usually comes later than that, and a fresh TLS handshake
 * to the provider costs 100-300 ms on the critical path. 30 s covers a conversation's pauses (a server's
 * own `Keep-Alive: timeout` hint still wins).
 */
export function sharedDispatcher(): Dispatcher {
  agent ??= new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000 });
  return agent;
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'UND_ERR_ABORTED');
}
