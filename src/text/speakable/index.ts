import { de } from './de.js';
import { en } from './en.js';
import { es } from './es.js';
import { fr } from './fr.js';
import { digitsOf, type SpeakableRules } from './rules.js';

export type { Currency, SpeakableRules } from './rules.js';
export { de, en, es, fr };

/**
 * Rewrites reply text into words a speech synthesizer reads right ("$5.10" -> "five dollars and ten
 * cents"). Implement it to plug in your own rules (or a service); `speakableNormalizer()` is the built-in.
 * It must return the text unchanged for a language it does not know, and should never throw (the
 * operator that calls it speaks the original text if it does).
 */
export interface TextNormalizer {
  /** `text` is one piece of a reply (usually a sentence); `language` an ISO-639-1 code (`en`, `fr-CA`...). */
  normalize(text: string, language: string): string;
}

/** The languages the built-in normaliser has rules for. */
export const SPEAKABLE_LANGUAGES: Readonly<Record<string, SpeakableRules>> = { en, fr, de, es };

/**
 * The built-in normaliser: numbers, currency amounts, percentages, units, ordinals, dates, times, phone
 * numbers, e-mail addresses and common abbreviations, for `en`, `fr`, `de` and `es` (extra or replacement
 * languages in `rules`). Other languages pass unchanged. A span it cannot read is left as written.
 */
export function speakableNormalizer(rules: Readonly<Record<string, SpeakableRules>> = {}): TextNormalizer {
  const table = { ...SPEAKABLE_LANGUAGES, ...rules };
  const compiled = new Map<string, Pass[]>();
  return {
    normalize(text: string, language: string): string {
      const base = language.toLowerCase().split(/[-_]/u)[0] ?? '';
      const lang = table[base];
      if (!lang || !/[\d@%$€£.]|[A-Z]/u.test(text)) return text;
      let passes = compiled.get(base);
      if (!passes) {
        passes = passesFor(lang);
        compiled.set(base, passes);
      }
      let out = text;
      for (const pass of passes) {
        out = out.replace(pass.pattern, (...args: unknown[]) => {
          const match = args[0] as string;
          const offset = args.find((a) => typeof a === 'number') as number;
          try {
            const spoken = pass.read(args.slice(1, args.indexOf(offset)) as (string | undefined)[], match, offset, out);
            return spoken ?? match;
          } catch {
            return match; // a span it cannot read is spoken as written
          }
        });
      }
      return out;
    },
  };
}

/**
 * A period eaten with an abbreviation that also ended the sentence is kept: at the end of the text, or
 * before a capital for the ones that end sentences ("etc.", "a.m."; not titles: "Dr. Smith").
 */
function keptPeriod(match: string, offset: number, whole: string, endsSentences = true): string {
  if (!match.endsWith('.')) return '';
  const rest = whole.slice(offset + match.length);
  return rest.trim() === '' || (endsSentences && /^\s+[\p{Lu}¿¡]/u.test(rest)) ? '.' : '';
}

/** Abbreviations that can end a sentence (a capital after them starts the next one). */
const SENTENCE_ENDING = new Set(['etc.', 'usw.', 'etcétera', 'u. a.', 'bzw.', 'env.', 'aprox.']);

interface Pass {
  readonly pattern: RegExp;
  /** Returns what to say for the match, or undefined to leave it. */
  read(groups: (string | undefined)[], match: string, offset: number, whole: string): string | undefined;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&');
const alternation = (keys: readonly string[]): string => [...keys].sort((a, b) => b.length - a.length).map(esc).join('|');
const MONTHS_EN = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTHS_DE = ['januar', 'februar', 'märz', 'april', 'mai', 'juni', 'juli', 'august', 'september', 'oktober', 'november', 'dezember'];
const SCALE_WORDS = 'thousand|million|billion|trillion|millions?|milliards?|Millionen|Million|Milliarden?|millón|millones';
const MAX_CARDINAL = 1e12;

function passesFor(r: SpeakableRules): Pass[] {
  const dec = esc(r.decimalSeparator);
  const thousands = r.decimalSeparator === '.' ? ',' : '.\u00a0\u202f ';
  // An integer with grouped thousands, or plain digits; an optional decimal part. Non-English text also
  // gets "3.5" (models often write it so) as a decimal, never "1.000", which groups thousands.
  const num = `\\d{1,3}(?:[${esc(thousands)}]\\d{3})+(?:${dec}\\d+)?|\\d+(?:${dec}\\d+)?${r.decimalSeparator === ',' ? '|\\d+\\.\\d{1,2}(?!\\d)' : ''}`;
  const parse = (s: string): { int: number; frac?: string } => {
    const decimalAt = r.decimalSeparator === ',' ? Math.max(s.lastIndexOf(','), /^\d+\.\d{1,2}$/u.test(s) ? s.lastIndexOf('.') : -1) : s.lastIndexOf('.');
    const intPart = (decimalAt === -1 ? s : s.slice(0, decimalAt)).replace(/\D/gu, '');
    const frac = decimalAt === -1 ? undefined : s.slice(decimalAt + 1);
    return { int: Number(intPart), ...(frac ? { frac } : {}) };
  };
  const integer = (digits: string, n: number): string => (n < MAX_CARDINAL && digits.length < 13 ? r.cardinal(n) : digitsOf(r, digits));
  const number = (s: string): string => {
    const { int, frac } = parse(s);
    const words = integer(s.replace(/\D/gu, '').slice(0, 13), int);
    if (!frac) return words;
    const fraction = r.fractionAsNumber && frac.length <= 2 && !frac.startsWith('0') ? r.cardinal(Number(frac)) : digitsOf(r, frac);
    return `${words} ${r.decimalWord} ${fraction}`;
  };
  const currencyKeys = Object.keys(r.currencies);
  const money = (amount: string, symbol: string, scale: string | undefined): string => {
    const c = r.currencies[symbol] ?? r.currencies[symbol.toUpperCase()];
    if (!c) return `${number(amount)} ${symbol}`;
    const { int, frac } = parse(amount);
    if (scale) return `${number(amount)} ${scale} ${c.many}`;
    const cents = frac && frac.length <= 2 ? Number(frac.padEnd(2, '0')) : undefined;
    if (frac && cents === undefined) return `${number(amount)} ${c.many}`;
    const main = int === 0 && cents ? '' : `${r.cardinal(int)} ${int === 1 ? c.one : c.many}`;
    const minor = cents ? `${r.cardinal(cents)} ${cents === 1 ? c.centOne : c.centMany}` : '';
    return main && minor ? `${main} ${r.currencyJoin} ${minor}` : main || minor;
  };
  const unitKeys = Object.keys(r.units);
  const notWord = '(?![\\p{L}\\d])';
  const notBefore = '(?<![\\p{L}\\d])';
  const validDate = (d: number, m: number): boolean => d >= 1 && d <= 31 && m >= 1 && m <= 12;
  const fullYear = (y: string): number => (y.length === 2 ? 2000 + Number(y) : Number(y));
  const passes: Pass[] = [
    {
      // e-mail addresses: every part read, symbols named
      pattern: /[\p{L}\d._%+-]+@[\p{L}\d-]+(?:\.[\p{L}\d-]+)+/gu,
      read: (_g, match) => {
        const [user, domain] = [match.slice(0, match.lastIndexOf('@')), match.slice(match.lastIndexOf('@') + 1)];
        const part = (s: string): string =>
          s
            .split(/([._%+-])/u)
            .filter((p) => p !== '')
            .map((p) => (p === '.' ? r.dot : (r.emailSymbols[p] ?? (/^\d+$/u.test(p) ? digitsOf(r, p) : p))))
            .join(' ');
        return `${part(user)} ${r.at} ${domain.split('.').map(part).join(` ${r.dot} `)}`;
      },
    },
    {
      // ISO dates 2025-03-04
      pattern: new RegExp(`${notBefore}(\\d{4})-(\\d{1,2})-(\\d{1,2})${notWord}`, 'gu'),
      read: ([y, m, d]) => (validDate(Number(d), Number(m)) ? r.date(Number(d), Number(m), Number(y)) : undefined),
    },
    {
      // numeric dates 04/03/2025, 4.3.2025 (day or month first, as the language writes them)
      pattern: new RegExp(`${notBefore}(\\d{1,2})([/.])(\\d{1,2})\\2(\\d{4}|\\d{2})${notWord}`, 'gu'),
      read: ([a, , b, y]) => {
        const [d, m] = r.dateOrder === 'dmy' ? [Number(a), Number(b)] : [Number(b), Number(a)];
        return validDate(d, m) ? r.date(d, m, fullYear(y!)) : undefined;
      },
    },
    ...(r.language === 'en'
      ? [
          {
            // March 4, March 4th, 2025
            pattern: new RegExp(`\\b(${MONTHS_EN.join('|')})\\s(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s(\\d{4}))?${notWord}`, 'giu'),
            read: ([month, d, y]: (string | undefined)[]) => {
              const m = MONTHS_EN.indexOf(month!.toLowerCase()) + 1;
              return validDate(Number(d), m) ? `${month} ${r.date(Number(d), m, y ? Number(y) : undefined).split(' ').slice(1).join(' ')}` : undefined;
            },
          },
        ]
      : []),
    ...(r.language === 'de'
      ? [
          {
            // 4. März 2025
            pattern: new RegExp(`${notBefore}(\\d{1,2})\\.\\s?(${MONTHS_DE.join('|')})(?:\\s(\\d{4}))?${notWord}`, 'giu'),
            read: ([d, month, y]: (string | undefined)[]) => {
              const m = MONTHS_DE.indexOf(month!.toLowerCase()) + 1;
              return validDate(Number(d), m) ? r.date(Number(d), m, y ? Number(y) : undefined) : undefined;
            },
          },
        ]
      : []),
    {
      // times 14:30, 9:05 pm, 14h30 (a German "Uhr" after it is part of the reading)
      pattern: new RegExp(`${notBefore}([01]?\\d|2[0-3])(?::|h|\\s?h\\s?)([0-5]\\d)(?:\\s?([AaPp])\\.?[Mm]\\.?(?![\\p{L}]))?(?:\\s?Uhr)?${notWord}`, 'gu'),
      read: ([h, m, ap], match, offset, whole) =>
        r.time(Number(h), Number(m), ap ? (ap.toLowerCase() === 'a' ? 'am' : 'pm') : undefined) + keptPeriod(match, offset, whole),
    },
    {
      // 9 am, 5pm
      pattern: /(?<![\p{L}\d:])(1[0-2]|0?[1-9])\s?([AaPp])\.?[Mm]\.?(?![\p{L}\d])/gu,
      read: ([h, ap], match, offset, whole) => r.time(Number(h), 0, ap!.toLowerCase() === 'a' ? 'am' : 'pm') + keptPeriod(match, offset, whole),
    },
    ...(r.language === 'fr'
      ? [
          {
            // 14h, 14 h
            pattern: /(?<![\p{L}\d])([01]?\d|2[0-3])\s?h(?![\p{L}\d])/gu,
            read: ([h]: (string | undefined)[]) => r.time(Number(h), 0),
          },
        ]
      : []),
    {
      // phone numbers: +33 6 12 34 56 78, (555) 123-4567, 555-123-4567; read digit by digit, group by group
      pattern: /(?<![\p{L}\d+])(\+\d{1,3}[\s.-]?)?(\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]\d{2,4}){1,5}(?![\p{L}\d])/gu,
      read: ([country, area], match) => {
        const digits = match.replace(/\D/gu, '');
        if (digits.length < 7 || digits.length > 15) return undefined;
        const groups = match.split(/[\s.()-]+/u).filter((g) => g !== '');
        const looksLikeThousands =
          !country && !area && /^\d{1,3}$/u.test(groups[0]!) && groups.slice(1).every((g) => /^\d{3}$/u.test(g)) && new Set(match.replace(/\d/gu, '')).size === 1 && thousands.includes(match.replace(/\d/gu, '')[0]!);
        if (looksLikeThousands) return undefined;
        return groups.map((g) => (g.startsWith('+') ? `${r.plusWord} ${digitsOf(r, g)}` : digitsOf(r, g))).join(', ');
      },
    },
    {
      // currency before the amount: $5.10, € 20, USD 100, $5 million
      pattern: new RegExp(`(?<![\\p{L}\\d])(${alternation(currencyKeys)})\\s?(${num})(?:\\s(${SCALE_WORDS}))?${notWord}`, 'gu'),
      read: ([symbol, amount, scale]) => money(amount!, symbol!, scale),
    },
    {
      // currency after the amount: 5,50 €, 20 EUR
      pattern: new RegExp(`${notBefore}(${num})(?:\\s(${SCALE_WORDS}))?\\s?(${alternation(currencyKeys)})(?![\\p{L}\\d])`, 'gu'),
      read: ([amount, scale, symbol]) => money(amount!, symbol!, scale),
    },
    {
      pattern: new RegExp(`${notBefore}(${num})\\s?%`, 'gu'),
      read: ([amount]) => `${number(amount!)} ${r.percentWord}`,
    },
    {
      // units after a number: 5 km, 2.5 kg, 21 °C
      pattern: new RegExp(`${notBefore}(${num})\\s?(${alternation(unitKeys)})(?![\\p{L}\\d])`, 'gu'),
      read: ([amount, unit]) => {
        const names = r.units[unit!]!;
        return `${number(amount!)} ${amount === '1' ? names[0] : names[1]}`;
      },
    },
    ...(r.ordinalSuffix
      ? [
          {
            pattern: new RegExp(`${notBefore}(\\d{1,6})(?:${r.ordinalSuffix})(?![\\p{L}\\d])`, 'gu'),
            read: ([n]: (string | undefined)[]) => (Number(n) >= 1 ? r.ordinal(Number(n)) : undefined),
          },
        ]
      : []),
    {
      // any other number; a minus sign only where it cannot be a dash between two words or numbers
      pattern: new RegExp(`(?<![\\p{L}\\d])(-(?=\\d))?(${num})(?![\\p{L}\\d])`, 'gu'),
      read: ([minus, amount], _match, offset, whole) => {
        const isMinus = minus !== undefined && (offset === 0 || /\s/u.test(whole[offset - 1]!));
        return `${minus !== undefined ? (isMinus ? `${r.minusWord} ` : '-') : ''}${number(amount!)}`;
      },
    },
    {
      pattern: new RegExp(`(?<![\\p{L}])(${alternation(Object.keys(r.abbreviations))})(?![\\p{L}])`, 'gu'),
      read: ([abbr], match, offset, whole) => {
        return r.abbreviations[abbr!]! + keptPeriod(match, offset, whole, SENTENCE_ENDING.has(abbr!));
      },
    },
  ];
  return passes;
}
