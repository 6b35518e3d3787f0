/**
 * Parses an HTTP request target without ever throwing. `new URL(target, base)` throws on targets a
 * scanner sends every day (`//`, `//[`, `\\`, `http://[x`), and reads `//host/path` as a host, not a path;
 * an origin-form target (RFC 9112 §3.2.1) is a path, so it is appended to a fixed base instead.
 * Returns undefined for a target that is no URL at all (the caller answers 400).
 */
export function parseRequestTarget(target: string | undefined): URL | undefined {
  const raw = target ?? '/';
  try {
    if (raw.startsWith('/')) return new URL(`http://request.invalid${raw}`);
    if (/^https?:\/\//i.test(raw)) return new URL(raw); // absolute-form (proxies)
    return undefined; // asterisk-form, authority-form or garbage
  } catch {
    return undefined;
  }
}

/** decodeURIComponent that answers the raw text for a malformed %-escape instead of throwing. */
export function safeDecodeURIComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
