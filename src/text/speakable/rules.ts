/**
 * What a language needs to read numbers, money, dates, times, phone numbers, e-mail addresses, units and
 * abbreviations aloud. One object per language (`en.ts`, `fr.ts`, `de.ts`, `es.ts`); the engine in
 * `index.ts` finds the spans and calls these.
 */
export interface SpeakableRules {
  readonly language: string;
  /** An integer 0 <= n < 10^12 in words. */
  cardinal(n: number): string;
  /** An ordinal 1 <= n < 10^6 in words ("fourth", "quatrième"). */
  ordinal(n: number): string;
  /** Written ordinals: the suffixes after the digits (`st|nd|rd|th`), as a regex alternation. */
  readonly ordinalSuffix?: string;
  /** Decimal separator in written numbers (`.` in English, `,` elsewhere); the other one groups thousands. */
  readonly decimalSeparator: '.' | ',';
  /** Read after the integer part: "point", "virgule", "Komma", "coma". */
  readonly decimalWord: string;
  /** Fractional digits read as a number ("trois virgule cinquante") rather than digit by digit. */
  readonly fractionAsNumber: boolean;
  readonly minusWord: string;
  readonly percentWord: string;
  readonly plusWord: string;
  /** Currency symbols and ISO codes -> names: singular, plural, and the cents' names. */
  readonly currencies: Readonly<Record<string, Currency>>;
  /** Joins the main unit and the cents: "five dollars and ten cents". */
  readonly currencyJoin: string;
  /** Unit symbols -> [singular, plural]. */
  readonly units: Readonly<Record<string, readonly [string, string]>>;
  /** A date (day 1-31, month 1-12, year) in words. */
  date(day: number, month: number, year: number | undefined): string;
  /** Numeric dates with slashes or dots: day first (`dmy`) or month first (`mdy`). */
  readonly dateOrder: 'dmy' | 'mdy';
  /** A time of day (24 h, or 12 h with `meridiem` 'am' / 'pm'). */
  time(hours: number, minutes: number, meridiem?: 'am' | 'pm'): string;
  /** E-mail address words. */
  readonly at: string;
  readonly dot: string;
  /** Symbols inside an e-mail's user part: `_`, `-`, `+`. */
  readonly emailSymbols: Readonly<Record<string, string>>;
  /** Abbreviations as written (case-sensitive, with their dots) -> what is said. */
  readonly abbreviations: Readonly<Record<string, string>>;
}

export interface Currency {
  readonly one: string;
  readonly many: string;
  readonly centOne: string;
  readonly centMany: string;
}

/** Digits read one by one (phone numbers, long numbers). */
export function digitsOf(rules: SpeakableRules, digits: string): string {
  return [...digits].filter((c) => c >= '0' && c <= '9').map((c) => rules.cardinal(Number(c))).join(' ');
}
