import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SandboxContext } from '../context.js';

/** The sandbox's realtime WebSocket surface (OpenAI GA/beta, Azure forms). Placeholder until it lands. */
export interface RealtimeHandler {
  /** Takes the upgrade if the path is a realtime path; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes every open session. */
  close(): Promise<void>;
}

export function createRealtimeHandler(_ctx: SandboxContext): RealtimeHandler {
  return { handleUpgrade: () => false, close: async () => {} };
}
