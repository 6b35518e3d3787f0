import type { ServerResponse } from 'node:http';
import { sendJson } from '../errors.js';
import { StreamFaults, resetSocket } from '../faults.js';
import type { FaultSpec } from '../types.js';

/**
 * A one-piece answer (JSON or text) with stream faults mapped onto it: `stall` delays it, `reset` drops
 * the connection instead of answering, `malformed` sends a truncated body.
 */
export async function sendWithFault(
  res: ServerResponse,
  fault: FaultSpec | undefined,
  body: unknown,
  contentType: 'json' | 'text' = 'json',
): Promise<void> {
  let malformed = false;
  const faults = new StreamFaults(fault ? { ...fault, afterChunks: 0 } : undefined, {
    reset: () => resetSocket(res.socket),
    malformed: () => {
      malformed = true;
    },
  });
  if (!(await faults.before())) return;
  if (res.destroyed) return;
  const text = contentType === 'json' ? JSON.stringify(body) : String(body);
  if (malformed) {
    res.writeHead(200, { 'content-type': contentType === 'json' ? 'application/json' : 'text/plain; charset=utf-8' });
    res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    return;
  }
  if (contentType === 'json') return sendJson(res, 200, body);
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
