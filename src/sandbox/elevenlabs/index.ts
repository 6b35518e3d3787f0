import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SandboxContext } from '../context.js';

/** The sandbox's ElevenLabs surface (REST and stream-input WebSocket). Placeholder until it lands. */
export interface ElevenLabsHandler {
  /** Serves the request if it is an ElevenLabs route; resolves false otherwise. */
  handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): Promise<void>;
}

export function createElevenLabsHandler(_ctx: SandboxContext): ElevenLabsHandler {
  return { handleHttp: async () => false, handleUpgrade: () => false, close: async () => {} };
}
