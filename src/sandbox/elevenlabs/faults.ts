import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LatencyProfile } from '../types.js';
import { FAULT_HEADER, type FaultSpec } from '../types.js';
import { type ElevenLabsErrorBody, errorBody } from './wire.js';

/** Chunks sent before a mid-stream fault strikes when the spec does not say (as the other surfaces). */
export const DEFAULT_AFTER_CHUNKS = 2;
export const DEFAULT_STALL_MS = 1000;
export const DEFAULT_RETRY_AFTER_S = 1;

/** The fault text a request carries: the `x-rxvoice-fault` header, else the `fault` query parameter. */
export function requestFaultText(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers[FAULT_HEADER];
  return (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('fault') ?? undefined;
}

/** Faults answered instead of the audio: ElevenLabs' status code, headers and body. */
export function statusFaultResponse(
  fault: FaultSpec | undefined,
): { status: number; headers: Record<string, string>; body: ElevenLabsErrorBody } | undefined {
  switch (fault?.kind) {
    case 'http_429': {
      const seconds = fault.retryAfterS ?? DEFAULT_RETRY_AFTER_S;
      return {
        status: 429,
        headers: { 'retry-after': String(seconds) },
        body: errorBody(
          'too_many_concurrent_requests',
          'Too many concurrent requests. Your current subscription is associated with a maximum of 2 concurrent requests running in parallel. (rxvoice sandbox fault injection)',
        ),
      };
    }
    case 'http_500':
      return { status: 500, headers: {}, body: errorBody('internal_server_error', 'We are sorry, something went wrong. You are not charged for this request.') };
    case 'http_503':
      return { status: 503, headers: {}, body: errorBody('system_busy', 'The system is experiencing heavy traffic, please try again later.') };
    case 'auth':
      return { status: 401, headers: {}, body: errorBody('invalid_api_key', 'Invalid API key') };
    default:
      return undefined;
  }
}

/** What a mid-stream fault does to one transport (chunked HTTP body, NDJSON, WebSocket). */
export interface StreamFaultActions {
  /** `reset` (and `ws_close` on HTTP): drop the connection without a proper end. */
  reset(): void;
  /** `ws_close` on a WebSocket: close 1011 mid-response. Defaults to `reset`. */
  close?(): void;
  /** Send one broken message. */
  malformed(): void;
}

/**
 * Strikes a mid-stream fault before the right chunk. Call `before()` before each chunk; false means
 * the stream is over (the connection was reset or closed).
 */
export class ChunkFaults {
  private sent = 0;
  private done = false;

  constructor(
    private readonly fault: FaultSpec | undefined,
    private readonly actions: StreamFaultActions,
    private readonly signal: AbortSignal,
  ) {}

  async before(): Promise<boolean> {
    const fault = this.fault;
    if (fault && !this.done && this.sent >= (fault.afterChunks ?? DEFAULT_AFTER_CHUNKS)) {
      this.done = true;
      switch (fault.kind) {
        case 'stall':
          await sleep(fault.stallMs ?? DEFAULT_STALL_MS, this.signal);
          break;
        case 'malformed':
          this.actions.malformed();
          break;
        case 'reset':
          this.actions.reset();
          return false;
        case 'ws_close':
          (this.actions.close ?? this.actions.reset)();
          return false;
        default:
          break;
      }
    }
    this.sent += 1;
    return !this.signal.aborted;
  }
}

/** Destroys a socket the rude way (TCP RST where the platform allows), as a dropped connection looks. */
export function resetSocket(socket: Duplex | null | undefined): void {
  if (!socket) return;
  const withReset = socket as Duplex & { resetAndDestroy?: () => void };
  if (typeof withReset.resetAndDestroy === 'function') withReset.resetAndDestroy();
  else socket.destroy();
}

/** Resolves after `ms`, or at once (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) {
      // Still yield to the event loop so that a paced loop never starves the server.
      setImmediate(resolve);
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Paces audio as the profile says: the first byte `firstByteMs` after `start()`, then audio at
 * `speedFactor` x real time (0 = as fast as possible). Wall time is fine here: this is the server side.
 */
export class Pacer {
  private origin = 0;

  constructor(
    private readonly tts: LatencyProfile['tts'],
    private readonly signal: AbortSignal,
  ) {}

  /** Marks the moment the text was received. */
  start(): void {
    this.origin = performance.now() + this.tts.firstByteMs;
  }

  /** Waits until the chunk that starts `audioMs` into the speech may be sent. */
  async waitFor(audioMs: number): Promise<void> {
    const paced = this.tts.speedFactor > 0 ? audioMs / this.tts.speedFactor : 0;
    await sleep(this.origin + paced - performance.now(), this.signal);
  }
}
