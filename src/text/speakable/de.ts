import type { SpeakableRules } from './rules.js';

const ONES = ['null', 'eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun', 'zehn', 'elf', 'zwölf', 'dreizehn', 'vierzehn', 'fünfzehn', 'sechzehn', 'siebzehn', 'achtzehn', 'neunzehn'];
const TENS = ['', 'zehn', 'zwanzig', 'dreißig', 'vierzig', 'fünfzig', 'sechzig', 'siebzig', 'achtzig', 'neunzig'];
const MONTHS = ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'];

/** "eins" alone, "ein" in compounds (einundzwanzig, einhundert, eintausend). */
const unit = (n: number): string => (n === 1 ? 'ein' : ONES[n]!);

function under100(n: number): string {
  if (n < 20) return ONES[n]!;
  const t = Math.floor(n / 10);
  const u = n % 10;
  return u === 0 ? TENS[t]! : `${unit(u)}und${TENS[t]}`;
}

function under1000(n: number): string {
  const h = Math.floor(n / 100);
  const r = n % 100;
  if (h === 0) return under100(r);
  return `${unit(h)}hundert${r === 0 ? '' : under100(r)}`;
}

/** In compounds ("einhunderteins" stays, but "eintausend", not "einstausend"). */
const compound = (n: number): string => (n === 1 ? 'ein' : under1000(n));

function cardinal(n: number): string {
  if (n < 1000) return under1000(n);
  const billions = Math.floor(n / 1e9);
  const millions = Math.floor((n % 1e9) / 1e6);
  const below = n % 1e6;
  const parts: string[] = [];
  if (billions > 0) parts.push(billions === 1 ? 'eine Milliarde' : `${under1000(billions)} Milliarden`);
  if (millions > 0) parts.push(millions === 1 ? 'eine Million' : `${under1000(millions)} Millionen`);
  if (below > 0) {
    const thousands = Math.floor(below / 1000);
    const rest = below % 1000;
    parts.push(`${thousands > 0 ? `${compound(thousands)}tausend` : ''}${rest > 0 ? under1000(rest) : ''}`);
  }
  return parts.join(' ');
}

function ordinal(n: number): string {
  if (n === 1) return 'erste';
  if (n === 3) return 'dritte';
  if (n === 7) return 'siebte';
  if (n === 8) return 'achte';
  const words = cardinal(n);
  return n % 100 < 20 && n % 100 !== 0 ? `${words.replace(/eins$/u, 'ers').replace(/drei$/u, 'drit').replace(/sieben$/u, 'sieb')}te` : `${words}ste`;
}

/** 1984 -> "neunzehnhundertvierundachtzig"; from 2000 the plain number. */
function year(y: number): string {
  if (y >= 1100 && y < 2000) return `${under100(Math.floor(y / 100))}hundert${y % 100 === 0 ? '' : under100(y % 100)}`;
  return cardinal(y);
}

export const de: SpeakableRules = {
  language: 'de',
  cardinal,
  ordinal,
  decimalSeparator: ',',
  decimalWord: 'Komma',
  fractionAsNumber: false,
  minusWord: 'minus',
  percentWord: 'Prozent',
  plusWord: 'plus',
  currencies: {
    '€': { one: 'Euro', many: 'Euro', centOne: 'Cent', centMany: 'Cent' },
    EUR: { one: 'Euro', many: 'Euro', centOne: 'Cent', centMany: 'Cent' },
    $: { one: 'Dollar', many: 'Dollar', centOne: 'Cent', centMany: 'Cent' },
    USD: { one: 'Dollar', many: 'Dollar', centOne: 'Cent', centMany: 'Cent' },
    '£': { one: 'Pfund', many: 'Pfund', centOne: 'Penny', centMany: 'Pence' },
    CHF: { one: 'Franken', many: 'Franken', centOne: 'Rappen', centMany: 'Rappen' },
  },
  currencyJoin: 'und',
  units: {
    km: ['Kilometer', 'Kilometer'],
    m: ['Meter', 'Meter'],
    cm: ['Zentimeter', 'Zentimeter'],
    mm: ['Millimeter', 'Millimeter'],
    kg: ['Kilogramm', 'Kilogramm'],
    g: ['Gramm', 'Gramm'],
    mg: ['Milligramm', 'Milligramm'],
    l: ['Liter', 'Liter'],
    ml: ['Milliliter', 'Milliliter'],
    'km/h': ['Kilometer pro Stunde', 'Kilometer pro Stunde'],
    '°C': ['Grad Celsius', 'Grad Celsius'],
    kWh: ['Kilowattstunde', 'Kilowattstunden'],
    GB: ['Gigabyte', 'Gigabyte'],
    MB: ['Megabyte', 'Megabyte'],
  },
  // Dative ("am vierten März"), how a date is said in a sentence far more often than not.
  date: (day, month, y) => `${ordinal(day)}n ${MONTHS[month - 1]}${y === undefined ? '' : ` ${year(y)}`}`,
  dateOrder: 'dmy',
  time: (hours, minutes, meridiem) => {
    const h = meridiem === 'pm' && hours < 12 ? hours + 12 : meridiem === 'am' && hours === 12 ? 0 : hours;
    const hourWords = `${h === 1 ? 'ein' : cardinal(h)} Uhr`;
    return minutes === 0 ? hourWords : `${hourWords} ${cardinal(minutes)}`;
  },
  at: 'at',
  dot: 'Punkt',
  emailSymbols: { _: 'Unterstrich', '-': 'Bindestrich', '+': 'plus' },
  abbreviations: {
    'z. B.': 'zum Beispiel',
    'z.B.': 'zum Beispiel',
    'd. h.': 'das heißt',
    'd.h.': 'das heißt',
    'usw.': 'und so weiter',
    'bzw.': 'beziehungsweise',
    'ca.': 'circa',
    'Dr.': 'Doktor',
    'Prof.': 'Professor',
    'Hr.': 'Herr',
    'Fr.': 'Frau',
    'Nr.': 'Nummer',
    'Str.': 'Straße',
    'ggf.': 'gegebenenfalls',
    'u. a.': 'unter anderem',
    'vgl.': 'vergleiche',
  },
};
