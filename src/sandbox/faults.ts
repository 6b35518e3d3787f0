import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { authFailure } from './auth.js';
import { azureErrorBody, openaiErrorBody, sendJson } from './errors.js';
import { sleep } from './time.js';
import type { FaultKind, FaultSpec } from './types.js';

const KINDS: readonly FaultKind[] = ['http_429', 'http_500', 'http_503', 'reset', 'stall', 'malformed', 'ws_close', 'realtime_error', 'auth'];

/** Chunks sent before a mid-stream fault strikes when the spec does not say. */
export const DEFAULT_AFTER_CHUNKS = 2;
export const DEFAULT_STALL_MS = 1000;
export const DEFAULT_RETRY_AFTER_S = 1;

/**
 * Parses `kind;key=value;...` as sent in the `x-rxvoice-fault` header or `fault` query parameter,
 * e.g. `http_429;retryAfterS=2`, `http_429;retryAfterS=none` (no retry-after header), `reset;afterChunks=3`, `stall;stallMs=500;afterChunks=1`.
 * Returns undefined for empty or unknown text (an unknown fault must not break the request).
 */
export function parseFault(text: string | undefined | null): FaultSpec | undefined {
  if (!text) return undefined;
  const [kindText, ...params] = text.split(';').map((p) => p.trim());
  const kind = KINDS.find((k) => k === kindText);
  if (!kind) return undefined;
  const spec: { kind: FaultKind; retryAfterS?: number | null; stallMs?: number; afterChunks?: number } = { kind };
  for (const param of params) {
    const [key, raw] = param.split('=').map((p) => p.trim());
    if (key === 'retryAfterS' && raw === 'none') {
      spec.retryAfterS = null;
      continue;
    }
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) continue;
    if (key === 'retryAfterS') spec.retryAfterS = value;
    else if (key === 'stallMs') spec.stallMs = value;
    else if (key === 'afterChunks') spec.afterChunks = Math.floor(value);
  }
  return spec;
}

/** Faults answered instead of the response (a status code), as opposed to faults in the middle of a stream. */
export function isStatusFault(fault: FaultSpec | undefined): boolean {
  return fault !== undefined && (fault.kind === 'http_429' || fault.kind === 'http_500' || fault.kind === 'http_503' || fault.kind === 'auth');
}

export type FaultFlavor = 'openai' | 'azure' | 'elevenlabs';

/** Status, headers and body each vendor sends for a status fault. */
export function statusFaultResponse(
  fault: FaultSpec,
  flavor: FaultFlavor,
): { status: number; headers: Record<string, string>; body: unknown } | undefined {
  switch (fault.kind) {
    case 'http_429': {
      const seconds = fault.retryAfterS === null ? undefined : (fault.retryAfterS ?? DEFAULT_RETRY_AFTER_S);
      const headers = {
        ...(seconds === undefined ? {} : { 'retry-after': String(seconds), 'retry-after-ms': String(Math.round(seconds * 1000)) }),
        ...(flavor === 'elevenlabs' ? {} : rateLimitHeaders(seconds ?? DEFAULT_RETRY_AFTER_S)),
      };
      const body =
        flavor === 'azure'
          ? azureErrorBody('429', `Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds.`)
          : flavor === 'elevenlabs'
            ? { detail: { status: 'too_many_concurrent_requests', message: 'Too many concurrent requests. Please retry later.' } }
            : openaiErrorBody({ message: 'Rate limit reached for requests (rxvoice sandbox fault injection). Please try again later.', type: 'requests', code: 'rate_limit_exceeded' });
      return { status: 429, headers, body };
    }
    case 'http_500': {
      const body =
        flavor === 'azure'
          ? azureErrorBody('InternalServerError', 'The server had an error while processing your request. Sorry about that!')
          : flavor === 'elevenlabs'
            ? { detail: { status: 'internal_server_error', message: 'An internal server error occurred.' } }
            : openaiErrorBody({ message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error' });
      return { status: 500, headers: {}, body };
    }
    case 'http_503': {
      const body =
        flavor === 'azure'
          ? azureErrorBody('ServiceUnavailable', 'The service is temporarily unable to process your request. Please try again later.')
          : flavor === 'elevenlabs'
            ? { detail: { status: 'service_unavailable', message: 'The service is temporarily unavailable.' } }
            : openaiErrorBody({ message: 'The engine is currently overloaded, please try again later.', type: 'server_error' });
      return { status: 503, headers: {}, body };
    }
    case 'auth': {
      const failure = authFailure(flavor, 'rxvoice-fault-injected-key');
      return { status: failure.status, headers: {}, body: failure.body };
    }
    default:
      return undefined;
  }
}

/**
 * The `x-ratelimit-*` set OpenAI and Azure send with every response, a 429 included (OpenAI "Rate limits"
 * guide, platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers: limit/remaining/reset for
 * requests and tokens; resets are durations like `1s`, `6m0s`). A 429 has a limit at zero.
 */
export function rateLimitHeaders(resetS: number): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-limit-tokens': '30000',
    'x-ratelimit-remaining-requests': '0',
    'x-ratelimit-remaining-tokens': '29000',
    'x-ratelimit-reset-requests': durationText(resetS),
    'x-ratelimit-reset-tokens': durationText(Math.max(0.001, resetS / 10)),
  };
}

/** Seconds as OpenAI writes reset durations: `120ms`, `1s`, `1.5s`, `6m0s`. */
function durationText(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`;
  return `${Math.floor(seconds / 60)}m${Number((seconds % 60).toFixed(3))}s`;
}

/**
 * Answers a status fault (429/500/503/401) on `res`. Returns true when it did, false for stream faults
 * or no fault, which the caller then applies while streaming (see `StreamFaults`).
 */
export function applyHttpFault(res: ServerResponse, fault: FaultSpec | undefined, flavor: FaultFlavor = 'openai'): boolean {
  if (!fault) return false;
  const response = statusFaultResponse(fault, flavor);
  if (!response) return false;
  sendJson(res, response.status, response.body, { 'x-rxvoice-fault': fault.kind, ...response.headers });
  return true;
}

/** What a stream fault does to a concrete transport (SSE, chunked HTTP, WebSocket). */
export interface StreamFaultActions {
  /** Kills the connection without a proper end (socket destroy, or WebSocket close 1011 for ws_close). */
  reset(): void;
  /** Sends one broken message (an SSE `data:` line that is not JSON, a WebSocket text that is not JSON). */
  malformed(): void;
  /** For the realtime socket: send an `error` event (ignored by other surfaces). */
  errorEvent?(): void;
}

/**
 * Applies a mid-stream fault at the right chunk. Call `before()` before sending each chunk; it resolves
 * false when the stream must stop because the connection was reset.
 */
export class StreamFaults {
  private sent = 0;
  private fired = false;

  constructor(
    private readonly fault: FaultSpec | undefined,
    private readonly actions: StreamFaultActions,
    private readonly signal?: AbortSignal,
  ) {}

  /** True once the fault struck. */
  get struck(): boolean {
    return this.fired;
  }

  async before(): Promise<boolean> {
    const fault = this.fault;
    if (fault && !this.fired && this.sent >= (fault.afterChunks ?? DEFAULT_AFTER_CHUNKS)) {
      this.fired = true;
      switch (fault.kind) {
        case 'stall':
          await sleep(fault.stallMs ?? DEFAULT_STALL_MS, this.signal);
          break;
        case 'malformed':
          this.actions.malformed();
          break;
        case 'realtime_error':
          this.actions.errorEvent?.();
          break;
        case 'reset':
        case 'ws_close':
          this.actions.reset();
          return false;
        default:
          break;
      }
    }
    this.sent += 1;
    return !this.signal?.aborted;
  }
}

/** Destroys a socket the rude way (TCP RST where the platform allows), as a dropped connection looks. */
export function resetSocket(socket: Duplex | null | undefined): void {
  if (!socket) return;
  const withReset = socket as Duplex & { resetAndDestroy?: () => void };
  if (typeof withReset.resetAndDestroy === 'function') withReset.resetAndDestroy();
  else socket.destroy();
}
