import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** An id in OpenAI's style: a prefix and 21 random base62 characters (`event_C9G5RJeJ2gF77mV7f2B1j`). */
export function newId(prefix: 'event' | 'sess' | 'conv' | 'resp' | 'item' | 'call'): string {
  const bytes = randomBytes(21);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return `${prefix}_${out}`;
}
