/**
 * The sandbox's cheap mode (`rxvoice sandbox --cheap`, `startSandbox({ cheap: true })`), for load tests
 * that measure the client and not the sandbox: speech is synthesised, resampled and encoded once per
 * (text, voice, speed, rate or format) and then served from memory, so a request costs only its wire
 * work. The bytes are the ones a normal run produces for the same request; the wire protocol and the
 * profile's injected latency are unchanged.
 */

/** Entries kept (least recently used dropped first): a scenario's replies times a few formats. */
export const CHEAP_CACHE_ENTRIES = 1024;

/** A bounded memo of promises (concurrent first requests for one key share one synthesis). */
export class CheapCache<V> {
  private readonly entries = new Map<string, Promise<V>>();

  constructor(private readonly limit = CHEAP_CACHE_ENTRIES) {}

  get(key: string, compute: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // re-insert: most recently used last
      this.entries.set(key, hit);
      return hit;
    }
    const made = compute();
    this.entries.set(key, made);
    // A failed synthesis is not remembered: the next request tries again.
    made.catch(() => this.entries.get(key) === made && this.entries.delete(key));
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
    return made;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The cache key of one synthesis request. */
export function speechKey(text: string, target: string | number, options: { language?: string; speed?: number } = {}): string {
  return JSON.stringify([target, options.language ?? '', options.speed ?? '', text]);
}
