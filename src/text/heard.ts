/** One character of a reply, timed in the reply's own audio (ms from its first sample). */
export interface TimedChar {
  readonly char: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** Speaking rate assumed when there is no alignment and the reply's full length is not known yet. */
export const FALLBACK_CHARS_PER_SECOND = 15;

/**
 * How many characters of `text` the caller heard after `playedMs` of its audio. With alignment, a character
 * counts once the middle of it was played; without, it is proportional to the characters (or assumes
 * `FALLBACK_CHARS_PER_SECOND` while the reply's total length is unknown). Either way the result is snapped
 * back to the end of the last whole word: a half-heard word is not put in the caller's mouth.
 */
export function heardLength(
  text: string,
  playedMs: number,
  timing: { readonly timeline: readonly TimedChar[]; readonly totalMs?: number },
): number {
  if (playedMs <= 0 || text.length === 0) return 0;
  let raw: number;
  if (timing.timeline.length > 0) {
    const heard = timing.timeline.filter((c) => (c.startMs + c.endMs) / 2 <= playedMs).map((c) => c.char);
    raw = matchPrefix(text, heard);
    const last = timing.timeline[timing.timeline.length - 1]!;
    if (heard.length === timing.timeline.length && playedMs >= last.endMs && matchPrefix(text, timing.timeline.map((c) => c.char)) >= text.trimEnd().length) {
      raw = text.length;
    }
  } else if (timing.totalMs !== undefined && timing.totalMs > 0) {
    raw = Math.round((text.length * Math.min(playedMs, timing.totalMs)) / timing.totalMs);
  } else {
    raw = Math.round((playedMs * FALLBACK_CHARS_PER_SECOND) / 1000);
  }
  return snapToWord(text, Math.min(raw, text.length));
}

/** Position in `text` after the aligned characters `chars` (alignment may drop or normalise spaces). */
function matchPrefix(text: string, chars: readonly string[]): number {
  let pos = 0;
  for (const c of chars) {
    if (/\s/u.test(c)) continue;
    const found = text.indexOf(c, pos);
    if (found === -1 || found - pos > 8) continue; // a normalised character ("3" spoken as "three")
    pos = found + 1;
  }
  return pos;
}

function snapToWord(text: string, at: number): number {
  if (at >= text.length) return text.length;
  if (/\s/u.test(text[at]!) || at === 0) return at;
  const before = text.slice(0, at);
  const space = before.search(/\s\S*$/u);
  return space === -1 ? 0 : space;
}
