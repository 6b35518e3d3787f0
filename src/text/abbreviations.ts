/**
 * Words that end with a period without ending a sentence, lower-cased and without their final period.
 * A few languages beyond English; an unknown abbreviation followed by a capital still cuts, which only
 * costs a little prosody, never words.
 */
const ABBREVIATIONS: readonly string[] = [
  // English titles and common short forms
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'ave', 'blvd', 'rd', 'gen', 'col', 'lt', 'sgt', 'capt',
  'gov', 'sen', 'rep', 'rev', 'hon', 'vs', 'v', 'etc', 'e.g', 'i.e', 'cf', 'al', 'approx', 'appt', 'dept', 'est',
  'fig', 'inc', 'ltd', 'co', 'corp', 'no', 'nos', 'vol', 'pp', 'p', 'ca', 'min', 'max', 'tel', 'ext',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
  'mon', 'tue', 'tues', 'wed', 'thu', 'thurs', 'fri', 'sat', 'sun', 'a.m', 'p.m', 'u.s', 'u.k', 'u.s.a', 'ph.d',
  // French
  'mme', 'mlle', 'mgr', 'env', 'cf', 'av', 'bd', 'p.ex',
  // Spanish / Italian / Portuguese
  'sra', 'srta', 'dra', 'ud', 'uds', 'pág', 'sig', 'dott', 'sig.ra', 'ecc',
  // German
  'z.b', 'bzw', 'usw', 'ggf', 'hr', 'fr', 'nr', 'ca', 'd.h', 'u.a', 'vgl', 'str',
];

const SET = new Set(ABBREVIATIONS);

/**
 * True when `word` (the text before a period, back to the previous space, without the period) is an
 * abbreviation: a listed one, a single letter (an initial: "J. K. Rowling"), or dotted letters ("U.S").
 */
export function isAbbreviation(word: string): boolean {
  const bare = word.replace(/^[("'“‘«¿¡[]+/u, '');
  if (bare.length === 0) return false;
  if (SET.has(bare.toLowerCase())) return true;
  if (/^\p{L}$/u.test(bare)) return true;
  return /^(\p{L}\.)+\p{L}$/u.test(bare);
}
