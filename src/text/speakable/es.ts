import type { SpeakableRules } from './rules.js';

const ONES = [
  'cero', 'uno', 'dos', 'tres', 'cuatro', 'cinco', 'seis', 'siete', 'ocho', 'nueve', 'diez', 'once', 'doce', 'trece', 'catorce', 'quince',
  'dieciséis', 'diecisiete', 'dieciocho', 'diecinueve', 'veinte', 'veintiuno', 'veintidós', 'veintitrés', 'veinticuatro', 'veinticinco',
  'veintiséis', 'veintisiete', 'veintiocho', 'veintinueve',
];
const TENS = ['', '', 'veinte', 'treinta', 'cuarenta', 'cincuenta', 'sesenta', 'setenta', 'ochenta', 'noventa'];
const HUNDREDS = ['', 'ciento', 'doscientos', 'trescientos', 'cuatrocientos', 'quinientos', 'seiscientos', 'setecientos', 'ochocientos', 'novecientos'];
const MONTHS = ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'];
const ORDINALS = ['', 'primero', 'segundo', 'tercero', 'cuarto', 'quinto', 'sexto', 'séptimo', 'octavo', 'noveno', 'décimo'];

function under100(n: number): string {
  if (n < 30) return ONES[n]!;
  const t = Math.floor(n / 10);
  const u = n % 10;
  return u === 0 ? TENS[t]! : `${TENS[t]} y ${ONES[u]}`;
}

function under1000(n: number): string {
  if (n === 100) return 'cien';
  const h = Math.floor(n / 100);
  const r = n % 100;
  if (h === 0) return under100(r);
  return r === 0 ? HUNDREDS[h]! : `${HUNDREDS[h]} ${under100(r)}`;
}

/** "uno" becomes "un" before a noun ("veintiún mil", "un millón"). */
const apocope = (words: string): string => words.replace(/veintiuno$/u, 'veintiún').replace(/uno$/u, 'un');

function cardinal(n: number): string {
  if (n < 1000) return under1000(n);
  const millionsAll = Math.floor(n / 1e6);
  const thousands = Math.floor((n % 1e6) / 1e3);
  const rest = n % 1000;
  const parts: string[] = [];
  if (millionsAll > 0) parts.push(millionsAll === 1 ? 'un millón' : `${apocope(cardinal(millionsAll))} millones`);
  if (thousands > 0) parts.push(thousands === 1 ? 'mil' : `${apocope(under1000(thousands))} mil`);
  if (rest > 0) parts.push(under1000(rest));
  return parts.join(' ');
}

const ordinal = (n: number): string => ORDINALS[n] ?? cardinal(n);

export const es: SpeakableRules = {
  language: 'es',
  cardinal,
  ordinal,
  ordinalSuffix: 'º|ª|°|o|a',
  decimalSeparator: ',',
  decimalWord: 'coma',
  fractionAsNumber: true,
  minusWord: 'menos',
  percentWord: 'por ciento',
  plusWord: 'más',
  currencies: {
    '€': { one: 'euro', many: 'euros', centOne: 'céntimo', centMany: 'céntimos' },
    EUR: { one: 'euro', many: 'euros', centOne: 'céntimo', centMany: 'céntimos' },
    $: { one: 'dólar', many: 'dólares', centOne: 'centavo', centMany: 'centavos' },
    USD: { one: 'dólar', many: 'dólares', centOne: 'centavo', centMany: 'centavos' },
    '£': { one: 'libra', many: 'libras', centOne: 'penique', centMany: 'peniques' },
    MXN: { one: 'peso', many: 'pesos', centOne: 'centavo', centMany: 'centavos' },
  },
  currencyJoin: 'con',
  units: {
    km: ['kilómetro', 'kilómetros'],
    m: ['metro', 'metros'],
    cm: ['centímetro', 'centímetros'],
    mm: ['milímetro', 'milímetros'],
    kg: ['kilogramo', 'kilogramos'],
    g: ['gramo', 'gramos'],
    mg: ['miligramo', 'miligramos'],
    l: ['litro', 'litros'],
    ml: ['mililitro', 'mililitros'],
    'km/h': ['kilómetro por hora', 'kilómetros por hora'],
    '°C': ['grado Celsius', 'grados Celsius'],
    kWh: ['kilovatio hora', 'kilovatios hora'],
    GB: ['gigabyte', 'gigabytes'],
    MB: ['megabyte', 'megabytes'],
  },
  date: (day, month, year) => `${day === 1 ? 'primero' : cardinal(day)} de ${MONTHS[month - 1]}${year === undefined ? '' : ` de ${cardinal(year)}`}`,
  dateOrder: 'dmy',
  time: (hours, minutes, meridiem) => {
    const h = meridiem === 'pm' && hours < 12 ? hours + 12 : meridiem === 'am' && hours === 12 ? 0 : hours;
    const hourWords = h === 1 ? 'una' : cardinal(h);
    return minutes === 0 ? `${hourWords} en punto` : `${hourWords} y ${cardinal(minutes)}`;
  },
  at: 'arroba',
  dot: 'punto',
  emailSymbols: { _: 'guion bajo', '-': 'guion', '+': 'más' },
  abbreviations: {
    'Sr.': 'señor',
    'Sra.': 'señora',
    'Srta.': 'señorita',
    'Dr.': 'doctor',
    'Dra.': 'doctora',
    'Ud.': 'usted',
    'Uds.': 'ustedes',
    'etc.': 'etcétera',
    'p. ej.': 'por ejemplo',
    'aprox.': 'aproximadamente',
    'núm.': 'número',
    'Avda.': 'avenida',
  },
};
