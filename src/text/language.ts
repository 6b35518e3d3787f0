/**
 * A small text language detector for a caller's turn: common function words (stopwords) and a few
 * letters only one of the languages uses. Enough to tell English, French, German and Spanish apart on a
 * sentence or two; a short or unclear text gives `undefined` rather than a guess.
 */
const STOPWORDS: Readonly<Record<string, readonly string[]>> = {
  en: ['the', 'and', 'is', 'are', 'you', 'i', 'to', 'of', 'a', 'in', 'it', 'that', 'what', 'for', 'can', 'me', 'my', 'this', 'do', 'have', 'with', 'please', 'thanks', 'hello', 'yes', 'no', 'how', 'at', 'be', 'your', "what's", "that's", "i'm", 'like', 'today', 'book', 'want', 'would'],
  fr: ['le', 'la', 'les', 'et', 'est', 'vous', 'je', 'de', 'des', 'un', 'une', 'du', 'que', 'qui', 'pour', 'pas', 'ce', 'il', 'elle', 'bonjour', 'merci', 'oui', 'non', 'avec', 'mon', 'ma', 'quel', 'quelle', 'temps', 'fait', 'sur', 'au', 'aux', "c'est", "j'ai", 'pouvez', 'voudrais', 'réserver', 'aujourd'],
  de: ['der', 'die', 'das', 'und', 'ist', 'sie', 'ich', 'zu', 'den', 'ein', 'eine', 'nicht', 'mit', 'für', 'wie', 'was', 'bitte', 'danke', 'ja', 'nein', 'hallo', 'heute', 'können', 'mir', 'mein', 'ist', 'es', 'wetter', 'auf', 'einen', 'möchte', 'guten', 'tag'],
  es: ['el', 'la', 'los', 'las', 'y', 'es', 'usted', 'yo', 'de', 'que', 'en', 'un', 'una', 'por', 'para', 'con', 'no', 'sí', 'hola', 'gracias', 'qué', 'cómo', 'hoy', 'tiempo', 'hace', 'mi', 'me', 'puede', 'quiero', 'reservar', 'mesa', 'del', 'al', 'está', 'buenos', 'días'],
};

/** Letters that point to one language. */
const LETTERS: Readonly<Record<string, RegExp>> = {
  fr: /[àâçèêëîïôœùûÿ]/gu,
  de: /[äöüß]/gu,
  es: /[ñ¿¡áíóú]/gu,
};

const SETS = Object.fromEntries(Object.entries(STOPWORDS).map(([lang, words]) => [lang, new Set(words)]));

export interface DetectedLanguage {
  /** ISO-639-1 code. */
  readonly language: string;
  /** 0..1: the winner's share of the evidence. */
  readonly confidence: number;
}

/** The likely language of `text` among en, fr, de, es; `undefined` when there is too little to tell. */
export function detectLanguage(text: string): DetectedLanguage | undefined {
  const words = text.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  const scores: Record<string, number> = { en: 0, fr: 0, de: 0, es: 0 };
  for (const word of words) for (const [lang, set] of Object.entries(SETS)) if (set.has(word)) scores[lang]! += 1;
  const lower = text.toLowerCase();
  for (const [lang, re] of Object.entries(LETTERS)) scores[lang]! += 0.5 * (lower.match(re)?.length ?? 0);
  const ranked = Object.entries(scores).sort((a, b) => b[1] - a[1]);
  const [best, second] = [ranked[0]!, ranked[1]!];
  const total = ranked.reduce((sum, [, s]) => sum + s, 0);
  if (best[1] < 1 || best[1] === second[1]) return undefined;
  return { language: best[0], confidence: best[1] / total };
}
