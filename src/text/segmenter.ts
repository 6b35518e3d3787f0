import { isAbbreviation } from './abbreviations.js';

export interface SegmenterOptions {
  /** The first segment may end at a clause boundary once it has this many words. `false`: never. */
  readonly firstClauseMinWords: number | false;
  /** A boundary is skipped when the segment before it would be shorter than this (characters, trimmed). */
  readonly minChars: number;
  /** Past this many characters without a sentence end, cut at the last clause boundary or space. */
  readonly maxChars: number;
}

/**
 * `firstClauseMinWords: 1`: a reply's first clause is spoken at once whatever its length ("Done," "Sure,"):
 * a clause boundary is a prosodic break, so nothing is lost, and waiting for 4 words cost ~60-140 ms of
 * tokens on the demo call's replies (bench/latency.ts, `typical`).
 */
export const DEFAULT_SEGMENTER_OPTIONS: SegmenterOptions = { firstClauseMinWords: 1, minChars: 0, maxChars: 250 };

/** Sentence ends that need no space after them (CJK full-width punctuation). */
const CJK_TERMINATORS = new Set(['。', '！', '？', '．']);
const CJK_CLAUSE = new Set(['，', '、', '；', '：']);
const TERMINATORS = new Set(['!', '?', '‽']);
const CLAUSE = new Set([',', ';', ':', '—', '–']);
/** Closing quotes and brackets that belong to the sentence they follow. */
const CLOSERS = new Set(['"', "'", '”', '’', '»', ')', ']', '}', '」', '』', '›', '】']);
/** Closers that French typography puts after a space ("« Oui ! »"). */
const SPACED_CLOSERS = new Set(['»', '›']);
const CJK = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/gu;

/** Words in `text`, counting two CJK characters as a word (they have no spaces between words). */
export function countWords(text: string): number {
  const cjk = text.match(CJK)?.length ?? 0;
  const spaced = text.replace(CJK, ' ').trim();
  return (spaced === '' ? 0 : spaced.split(/\s+/u).filter((w) => /[\p{L}\p{N}]/u.test(w)).length) + Math.floor(cjk / 2);
}

const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/u.test(c);
const isLower = (c: string): boolean => /\p{Ll}/u.test(c);

/** Index after the closers that follow `i` (also French « ... ! » with a space before the guillemet). */
function skipClosers(text: string, i: number): number {
  let j = i;
  for (;;) {
    if (j < text.length && CLOSERS.has(text[j]!)) j++;
    else if (isSpace(text[j]) && SPACED_CLOSERS.has(text[j + 1] ?? '')) j += 2;
    else return j;
  }
}

type Verdict = { kind: 'cut'; at: number } | { kind: 'no' } | { kind: 'wait' };

/**
 * Decides whether a sentence ends at the punctuation at `i`. Needs to see what follows: a period is an
 * end only before a space and then something that is not lower case, so "3.14", "e.g. this" and
 * "Dr. Smith" do not cut. At the end of the text, `final` says whether more can come.
 */
function sentenceEndAt(text: string, i: number, final: boolean): Verdict {
  const c = text[i]!;
  if (CJK_TERMINATORS.has(c)) {
    let j = i + 1;
    while (j < text.length && CJK_TERMINATORS.has(text[j]!)) j++;
    j = skipClosers(text, j);
    // A closing bracket, or a space and then a French closing guillemet, may still come in the next delta.
    let k = j;
    while (k < text.length && isSpace(text[k])) k++;
    return k >= text.length && !final ? { kind: 'wait' } : { kind: 'cut', at: j };
  }
  if (TERMINATORS.has(c)) {
    let j = i + 1;
    while (j < text.length && (TERMINATORS.has(text[j]!) || text[j] === '.')) j++;
    j = skipClosers(text, j);
    if (j >= text.length) return final ? { kind: 'cut', at: j } : { kind: 'wait' };
    if (!isSpace(text[j])) return { kind: 'no' };
    let k = j;
    while (k < text.length && isSpace(text[k])) k++;
    if (k >= text.length) return final ? { kind: 'cut', at: j } : { kind: 'wait' };
    return SPACED_CLOSERS.has(text[k]!) ? { kind: 'cut', at: skipClosers(text, k) } : { kind: 'cut', at: j };
  }
  if (c !== '.' && c !== '…') return { kind: 'no' };
  let j = i + 1;
  while (j < text.length && (text[j] === '.' || text[j] === '…')) j++;
  const ellipsis = j - i > 1 || c === '…';
  if (!ellipsis) {
    const word = text.slice(0, i).split(/\s/u).pop() ?? '';
    if (isAbbreviation(word)) return { kind: 'no' };
  }
  j = skipClosers(text, j);
  if (j >= text.length) return final ? { kind: 'cut', at: j } : { kind: 'wait' };
  if (!isSpace(text[j])) return { kind: 'no' }; // 3.14, example.com, U.S.A
  let k = j;
  while (k < text.length && isSpace(text[k])) k++;
  if (k >= text.length) return final ? { kind: 'cut', at: j } : { kind: 'wait' };
  if (SPACED_CLOSERS.has(text[k]!)) return { kind: 'cut', at: skipClosers(text, k) }; // French « ... . »
  return isLower(text[k]!) ? { kind: 'no' } : { kind: 'cut', at: j };
}

/** A clause boundary (comma, semicolon, colon, dash) at `i`, when it is followed by a space. */
function clauseEndAt(text: string, i: number, final: boolean): Verdict {
  const c = text[i]!;
  if (CJK_CLAUSE.has(c)) return { kind: 'cut', at: i + 1 };
  if (!CLAUSE.has(c)) return { kind: 'no' };
  if ((c === '—' || c === '–') && !isSpace(text[i - 1]) && i > 0) return { kind: 'no' }; // "well-known"
  const j = skipClosers(text, i + 1);
  if (j >= text.length) return final ? { kind: 'cut', at: j } : { kind: 'wait' };
  return isSpace(text[j]) ? { kind: 'cut', at: j } : { kind: 'no' }; // 1,000 and 10:30 do not cut
}

/**
 * Where the next segment of `text` ends (an index to cut at), or -1 when more text is needed.
 * Spanish ¿...? and ¡...! are never cut at a clause inside them (the question's intonation spans it).
 */
export function findSegmentEnd(text: string, first: boolean, options: SegmenterOptions, final = false): number {
  let inverted = 0;
  let lastClause = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '¿' || c === '¡') inverted++;
    const sentence = sentenceEndAt(text, i, final);
    if (sentence.kind === 'wait') return -1;
    if (sentence.kind === 'cut') {
      if (text.slice(0, sentence.at).trim().length >= options.minChars) return sentence.at;
      i = sentence.at - 1;
      inverted = 0;
      continue;
    }
    if ((c === '?' || c === '!') && inverted > 0) inverted--;
    const clause = clauseEndAt(text, i, final);
    if (clause.kind === 'cut' && inverted === 0) {
      lastClause = clause.at;
      const words = countWords(text.slice(0, clause.at));
      if (first && options.firstClauseMinWords !== false && words >= options.firstClauseMinWords) {
        if (text.slice(0, clause.at).trim().length >= options.minChars) return clause.at;
      }
    } else if (clause.kind === 'wait' && first && options.firstClauseMinWords !== false) {
      return -1;
    }
  }
  if (text.length > options.maxChars) {
    if (lastClause > 0) return lastClause;
    const space = text.lastIndexOf(' ', options.maxChars);
    return space > 0 ? space : options.maxChars;
  }
  return -1;
}

/**
 * Streams text in, segments out: `push` a delta and get the segments it completed; `flush` at the end.
 * The segments concatenate back to the input exactly (the space after a boundary opens the next one).
 */
export class SentenceSegmenter {
  private buffer = '';
  private first = true;

  constructor(private readonly options: SegmenterOptions = DEFAULT_SEGMENTER_OPTIONS) {}

  push(delta: string): string[] {
    this.buffer += delta;
    const out: string[] = [];
    for (;;) {
      const at = findSegmentEnd(this.buffer, this.first, this.options);
      if (at <= 0) return out;
      const segment = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at);
      if (segment.trim() === '') {
        this.buffer = segment + this.buffer;
        return out;
      }
      this.first = false;
      out.push(segment);
    }
  }

  /** The rest of the text (all of it, whatever its ending), or undefined when only spaces remain. */
  flush(): string | undefined {
    const rest = this.buffer;
    this.buffer = '';
    this.first = true;
    return rest.trim() === '' ? undefined : rest;
  }

  get pending(): string {
    return this.buffer;
  }
}
