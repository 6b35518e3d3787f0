import type { IncomingMessage } from 'node:http';
import { StreamFaults, resetSocket, statusFaultResponse } from '../faults.js';
import { sleep } from '../time.js';
import { FAULT_HEADER, type FaultSpec, type LatencyProfile } from '../types.js';

/** The fault text a request carries: the `x-rxvoice-fault` header, else the `fault` query parameter. */
export function requestFaultText(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers[FAULT_HEADER];
  return (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('fault') ?? undefined;
}

/** Status faults (429/500/503/401) with ElevenLabs' bodies, from the sandbox's shared fault helpers. */
export function elevenLabsStatusFault(fault: FaultSpec | undefined): ReturnType<typeof statusFaultResponse> {
  return fault ? statusFaultResponse(fault, 'elevenlabs') : undefined;
}

/** What a mid-stream fault does to one transport (chunked HTTP body, NDJSON, WebSocket). */
export interface ChunkFaultActions {
  /** `reset`: drop the connection without a proper end. */
  reset(): void;
  /** `ws_close`: close 1011 on a WebSocket; HTTP has no such thing and resets. */
  close?(): void;
  /** Send one broken message. */
  malformed(): void;
}

/** The shared `StreamFaults`, with `ws_close` told apart from `reset`. Call `before()` before each chunk. */
export function chunkFaults(fault: FaultSpec | undefined, actions: ChunkFaultActions, signal: AbortSignal): StreamFaults {
  const drop = fault?.kind === 'ws_close' && actions.close ? actions.close : actions.reset;
  return new StreamFaults(fault, { reset: drop, malformed: actions.malformed }, signal);
}

export { resetSocket, sleep };

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

