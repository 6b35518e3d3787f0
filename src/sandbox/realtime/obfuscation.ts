import { randomBytes } from 'node:crypto';

/**
 * The `obfuscation` field real servers put on streamed text deltas: random characters that pad each
 * event to a size unrelated to its text, against side channels on payload size (openai-node
 * resources/chat/completions/completions.ts `stream_options.include_obfuscation`: "adds random
 * characters to an `obfuscation` field on streaming delta events to normalize payload sizes"). GA
 * realtime transcript deltas carry it as well. Clients must ignore it.
 */
export function obfuscation(delta: string): string {
  const length = Math.max(1, 16 - (delta.length % 16));
  return randomBytes(length).toString('base64url').slice(0, length);
}
