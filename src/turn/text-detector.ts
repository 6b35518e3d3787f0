import type { TurnDetector, TurnDetectorInput, TurnVerdict } from './types.js';

/**
 * Words after which a speaker is rarely done: fillers, conjunctions, prepositions, articles and
 * possessives, in English, French, German and Spanish (the languages the chains speak best).
 */
const FILLERS = new Set(['um', 'umm', 'uh', 'uhm', 'er', 'erm', 'hmm', 'mm', 'euh', 'bah', 'ben', 'äh', 'ähm', 'öh', 'eh', 'este', 'pues', 'bueno']);
const TRAILING = new Set([
  // English
  'and', 'or', 'but', 'so', 'because', 'cause', 'then', 'if', 'that', 'which', 'who', 'when', 'while', 'to', 'of',
  'for', 'with', 'the', 'a', 'an', 'my', 'your', 'our', 'their', 'his', 'her', 'is', 'are', 'was', 'were', 'at',
  'in', 'on', 'from', 'about', 'like', 'than', 'also', 'maybe', 'plus', 'into', 'by', 'as', 'i', "i'd", "i'm",
  'would', 'could', 'should', 'can', 'will', 'want', 'need',
  // French
  'et', 'ou', 'mais', 'donc', 'parce', 'que', 'qui', 'de', 'du', 'des', 'le', 'la', 'les', 'un', 'une', 'mon',
  'ma', 'mes', 'pour', 'avec', 'dans', 'sur', 'je', 'est', 'alors',
  // German
  'und', 'oder', 'aber', 'weil', 'dass', 'der', 'die', 'das', 'den', 'dem', 'ein', 'eine', 'einen', 'mein',
  'meine', 'für', 'mit', 'von', 'zu', 'ich', 'ist', 'also',
  // Spanish
  'y', 'o', 'pero', 'porque', 'el', 'los', 'las', 'una', 'mi', 'mis', 'para', 'con', 'en', 'yo', 'es', 'entonces',
]);
/** Words that say digits are being read out: a pause after a digit is then a breath, not an end. */
const NUMBER_CONTEXT = /\b(number|card|phone|code|pin|digits?|zip|postcode|account|iban|reference|numéro|carte|code|nummer|karte|número|tarjeta)\b/i;

export interface TextTurnDetectorOptions {
  /** More words after which the caller is held (lower case). */
  readonly holdWords?: Iterable<string>;
}

/**
 * The default end-of-turn detector: reads the transcript of the turn so far. A question or a sentence that
 * does not trail off is done; a filler ("um"), a conjunction or preposition ("and", "to"), a digit being
 * dictated, a cut-off word ("chec-") or a clause mark (",") is not. Every verdict says why.
 *
 * Speech-to-text models end most partial turns with a period, so the last word decides before the mark.
 */
export function textTurnDetector(options: TextTurnDetectorOptions = {}): TurnDetector {
  // Built once per detector only when extended; the pipelines make one detector per call.
  const hold = options.holdWords ? new Set([...TRAILING, ...[...options.holdWords].map((w) => w.toLowerCase())]) : TRAILING;
  return {
    name: 'text',
    uses: 'text',
    decide: (input) => readTurn(input, hold),
  };
}

function readTurn(input: TurnDetectorInput, hold: ReadonlySet<string>): TurnVerdict {
  const text = (input.text ?? '').trim();
  if (text === '') return { done: true, confidence: 0.5, reason: 'no words' }; // noise: nothing to wait for
  if (/(\.\.\.|…|[-–—])$/.test(text)) return { done: false, confidence: 0.85, reason: 'cut off' };
  const words = text.toLowerCase().match(/[\p{L}\p{N}'’]+/gu) ?? [];
  const last = (words.at(-1) ?? '').replace(/’/g, "'");
  if (text.endsWith('?')) return { done: true, confidence: 0.95, reason: 'question' };
  if (FILLERS.has(last)) return { done: false, confidence: 0.9, reason: `filler '${last}'` };
  if (hold.has(last)) return { done: false, confidence: 0.85, reason: `trailing '${last}'` };
  if (/^\d+$/.test(last) && dictating(words, text)) return { done: false, confidence: 0.8, reason: 'number being dictated' };
  if (/[,;:]$/.test(text)) return { done: false, confidence: 0.7, reason: 'clause' };
  if (/[.!]$/.test(text)) return { done: true, confidence: 0.85, reason: 'sentence' };
  return { done: true, confidence: 0.6, reason: words.length < 3 ? 'short answer' : 'no end mark' };
}

/** Digits read out one by one, or a digit after words like "card number". */
function dictating(words: readonly string[], text: string): boolean {
  const tail = words.slice(-4);
  const digitWords = tail.filter((w) => /^\d{1,4}$/.test(w)).length;
  return digitWords >= 2 || NUMBER_CONTEXT.test(text);
}
