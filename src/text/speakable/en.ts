import type { SpeakableRules } from './rules.js';

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const SCALES: readonly [number, string][] = [
  [1e9, 'billion'],
  [1e6, 'million'],
  [1e3, 'thousand'],
];

function under100(n: number): string {
  if (n < 20) return ONES[n]!;
  const t = Math.floor(n / 10);
  const u = n % 10;
  return u === 0 ? TENS[t]! : `${TENS[t]}-${ONES[u]}`;
}

function under1000(n: number): string {
  const h = Math.floor(n / 100);
  const r = n % 100;
  if (h === 0) return under100(r);
  return r === 0 ? `${ONES[h]} hundred` : `${ONES[h]} hundred ${under100(r)}`;
}

function cardinal(n: number): string {
  if (n < 1000) return under1000(n);
  const parts: string[] = [];
  let rest = n;
  for (const [size, name] of SCALES) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${under1000(count)} ${name}`);
    rest %= size;
  }
  if (rest > 0) parts.push(under1000(rest));
  return parts.join(' ');
}

const IRREGULAR: Readonly<Record<string, string>> = { one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth', twelve: 'twelfth' };

function ordinal(n: number): string {
  const words = cardinal(n);
  const match = /([a-z]+)$/.exec(words)!;
  const last = match[1]!;
  const head = words.slice(0, match.index);
  if (IRREGULAR[last]) return head + IRREGULAR[last];
  if (last.endsWith('y')) return `${head}${last.slice(0, -1)}ieth`;
  return `${head}${last}th`;
}

/** 1984 -> "nineteen eighty-four", 2005 -> "two thousand five", 2025 -> "twenty twenty-five". */
function year(y: number): string {
  if (y >= 2000 && y < 2010) return cardinal(y);
  if (y >= 1100 && y < 2100 && y % 100 !== 0) return `${under100(Math.floor(y / 100))} ${y % 100 < 10 ? `oh ${ONES[y % 100]}` : under100(y % 100)}`;
  if (y >= 1100 && y < 2100) return `${under100(y / 100)} hundred`;
  return cardinal(y);
}

export const en: SpeakableRules = {
  language: 'en',
  cardinal,
  ordinal,
  ordinalSuffix: 'st|nd|rd|th',
  decimalSeparator: '.',
  decimalWord: 'point',
  fractionAsNumber: false,
  minusWord: 'minus',
  percentWord: 'percent',
  plusWord: 'plus',
  currencies: {
    $: { one: 'dollar', many: 'dollars', centOne: 'cent', centMany: 'cents' },
    USD: { one: 'dollar', many: 'dollars', centOne: 'cent', centMany: 'cents' },
    '€': { one: 'euro', many: 'euros', centOne: 'cent', centMany: 'cents' },
    EUR: { one: 'euro', many: 'euros', centOne: 'cent', centMany: 'cents' },
    '£': { one: 'pound', many: 'pounds', centOne: 'penny', centMany: 'pence' },
    GBP: { one: 'pound', many: 'pounds', centOne: 'penny', centMany: 'pence' },
  },
  currencyJoin: 'and',
  units: {
    km: ['kilometer', 'kilometers'],
    m: ['meter', 'meters'],
    cm: ['centimeter', 'centimeters'],
    mm: ['millimeter', 'millimeters'],
    kg: ['kilogram', 'kilograms'],
    g: ['gram', 'grams'],
    mg: ['milligram', 'milligrams'],
    l: ['liter', 'liters'],
    ml: ['milliliter', 'milliliters'],
    mi: ['mile', 'miles'],
    mph: ['mile per hour', 'miles per hour'],
    'km/h': ['kilometer per hour', 'kilometers per hour'],
    lb: ['pound', 'pounds'],
    lbs: ['pound', 'pounds'],
    oz: ['ounce', 'ounces'],
    ft: ['foot', 'feet'],
    '°C': ['degree Celsius', 'degrees Celsius'],
    '°F': ['degree Fahrenheit', 'degrees Fahrenheit'],
    kWh: ['kilowatt hour', 'kilowatt hours'],
    GB: ['gigabyte', 'gigabytes'],
    MB: ['megabyte', 'megabytes'],
  },
  date: (day, month, y) => `${MONTHS[month - 1]} ${ordinal(day)}${y === undefined ? '' : `, ${year(y)}`}`,
  dateOrder: 'mdy',
  time: (hours, minutes, meridiem) => {
    const h = meridiem ? hours % 12 || 12 : hours;
    const m = minutes === 0 ? (meridiem ? '' : " o'clock") : minutes < 10 ? ` oh ${ONES[minutes]}` : ` ${under100(minutes)}`;
    return `${cardinal(h)}${m}${meridiem ? ` ${meridiem === 'am' ? 'a m' : 'p m'}` : ''}`;
  },
  at: 'at',
  dot: 'dot',
  emailSymbols: { _: 'underscore', '-': 'dash', '+': 'plus' },
  abbreviations: {
    'Dr.': 'Doctor',
    'Mr.': 'Mister',
    'Mrs.': 'Missus',
    'Ms.': 'Miz',
    'Prof.': 'Professor',
    'St.': 'Saint',
    'e.g.': 'for example',
    'i.e.': 'that is',
    'etc.': 'et cetera',
    'vs.': 'versus',
    'approx.': 'approximately',
    'No.': 'number',
    'Jan.': 'January',
    'Feb.': 'February',
    'Aug.': 'August',
    'Sept.': 'September',
    'Oct.': 'October',
    'Nov.': 'November',
    'Dec.': 'December',
  },
};
