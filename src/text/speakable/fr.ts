import type { SpeakableRules } from './rules.js';

const ONES = ['zéro', 'un', 'deux', 'trois', 'quatre', 'cinq', 'six', 'sept', 'huit', 'neuf', 'dix', 'onze', 'douze', 'treize', 'quatorze', 'quinze', 'seize', 'dix-sept', 'dix-huit', 'dix-neuf'];
const TENS = ['', 'dix', 'vingt', 'trente', 'quarante', 'cinquante', 'soixante'];
const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

function under100(n: number): string {
  if (n < 20) return ONES[n]!;
  const t = Math.floor(n / 10);
  const u = n % 10;
  if (t === 7) return u === 1 ? 'soixante et onze' : `soixante-${ONES[10 + u]}`;
  if (t === 8) return u === 0 ? 'quatre-vingts' : `quatre-vingt-${ONES[u]}`;
  if (t === 9) return `quatre-vingt-${ONES[10 + u]}`;
  if (u === 0) return TENS[t]!;
  return u === 1 ? `${TENS[t]} et un` : `${TENS[t]}-${ONES[u]}`;
}

function under1000(n: number): string {
  const h = Math.floor(n / 100);
  const r = n % 100;
  if (h === 0) return under100(r);
  const hundreds = h === 1 ? 'cent' : `${ONES[h]} cent${r === 0 ? 's' : ''}`;
  return r === 0 ? hundreds : `${hundreds} ${under100(r)}`;
}

/** "quatre-vingts" and "deux cents" lose their s before "mille". */
const beforeMille = (words: string): string => words.replace(/(vingt|cent)s$/u, '$1');

function cardinal(n: number): string {
  if (n < 1000) return under1000(n);
  const parts: string[] = [];
  const billions = Math.floor(n / 1e9);
  const millions = Math.floor((n % 1e9) / 1e6);
  const thousands = Math.floor((n % 1e6) / 1e3);
  const rest = n % 1000;
  if (billions > 0) parts.push(`${under1000(billions)} milliard${billions > 1 ? 's' : ''}`);
  if (millions > 0) parts.push(`${under1000(millions)} million${millions > 1 ? 's' : ''}`);
  if (thousands > 0) parts.push(thousands === 1 ? 'mille' : `${beforeMille(under1000(thousands))} mille`);
  if (rest > 0) parts.push(under1000(rest));
  return parts.join(' ');
}

function ordinal(n: number): string {
  if (n === 1) return 'premier';
  const words = cardinal(n);
  if (words.endsWith('cinq')) return `${words}uième`;
  if (words.endsWith('neuf')) return `${words.slice(0, -1)}vième`;
  if (words.endsWith('e')) return `${words.slice(0, -1)}ième`;
  if (/(vingt|cent)s$/u.test(words)) return `${words.slice(0, -1)}ième`;
  return `${words}ième`;
}

export const fr: SpeakableRules = {
  language: 'fr',
  cardinal,
  ordinal,
  ordinalSuffix: 'er|re|ère|e|ème',
  decimalSeparator: ',',
  decimalWord: 'virgule',
  fractionAsNumber: true,
  minusWord: 'moins',
  percentWord: 'pour cent',
  plusWord: 'plus',
  currencies: {
    '€': { one: 'euro', many: 'euros', centOne: 'centime', centMany: 'centimes' },
    EUR: { one: 'euro', many: 'euros', centOne: 'centime', centMany: 'centimes' },
    $: { one: 'dollar', many: 'dollars', centOne: 'cent', centMany: 'cents' },
    USD: { one: 'dollar', many: 'dollars', centOne: 'cent', centMany: 'cents' },
    '£': { one: 'livre', many: 'livres', centOne: 'penny', centMany: 'pence' },
    CHF: { one: 'franc suisse', many: 'francs suisses', centOne: 'centime', centMany: 'centimes' },
  },
  currencyJoin: 'et',
  units: {
    km: ['kilomètre', 'kilomètres'],
    m: ['mètre', 'mètres'],
    cm: ['centimètre', 'centimètres'],
    mm: ['millimètre', 'millimètres'],
    kg: ['kilogramme', 'kilogrammes'],
    g: ['gramme', 'grammes'],
    mg: ['milligramme', 'milligrammes'],
    l: ['litre', 'litres'],
    ml: ['millilitre', 'millilitres'],
    'km/h': ['kilomètre par heure', 'kilomètres par heure'],
    '°C': ['degré Celsius', 'degrés Celsius'],
    kWh: ['kilowattheure', 'kilowattheures'],
    Go: ['gigaoctet', 'gigaoctets'],
    Mo: ['mégaoctet', 'mégaoctets'],
  },
  date: (day, month, year) => `${day === 1 ? 'premier' : cardinal(day)} ${MONTHS[month - 1]}${year === undefined ? '' : ` ${cardinal(year)}`}`,
  dateOrder: 'dmy',
  time: (hours, minutes, meridiem) => {
    const h = meridiem === 'pm' && hours < 12 ? hours + 12 : meridiem === 'am' && hours === 12 ? 0 : hours;
    const hourWords = h === 1 ? 'une heure' : h === 21 ? 'vingt et une heures' : `${cardinal(h)} heures`;
    return minutes === 0 ? hourWords : `${hourWords} ${cardinal(minutes)}`;
  },
  at: 'arobase',
  dot: 'point',
  emailSymbols: { _: 'tiret bas', '-': 'tiret', '+': 'plus' },
  abbreviations: {
    'M.': 'Monsieur',
    'MM.': 'Messieurs',
    Mme: 'Madame',
    Mlle: 'Mademoiselle',
    Dr: 'Docteur',
    'Dr.': 'Docteur',
    'etc.': 'et cetera',
    'p. ex.': 'par exemple',
    'c.-à-d.': "c'est-à-dire",
    'env.': 'environ',
    'av.': 'avenue',
    'bd': 'boulevard',
  },
};
