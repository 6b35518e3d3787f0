import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heardOriginal, mapHeard } from '../../operators/heardOriginal.js';
import { speakable } from '../../operators/speakable.js';
import type { PipelineEvent } from '../../src/events.js';
import { marbles } from '../../src/testing/index.js';
import { speakableNormalizer, SPEAKABLE_LANGUAGES, type TextNormalizer } from '../../src/text/speakable/index.js';

const normalizer = speakableNormalizer();
const say = (language: string, text: string): string => normalizer.normalize(text, language);

describe('speakable text, per language', () => {
  it.each([
    ['en', 'It costs $5.10.', 'It costs five dollars and ten cents.'],
    ['en', 'That is $1,250 or €3.', 'That is one thousand two hundred fifty dollars or three euros.'],
    ['en', 'About 3.14 and -5 at 50%.', 'About three point one four and minus five at fifty percent.'],
    ['en', 'Call (555) 123-4567.', 'Call five five five, one two three, four five six seven.'],
    ['en', 'Mail ann.lee@mail.example.org today.', 'Mail ann dot lee at mail dot example dot org today.'],
    ['en', 'See you on 2025-03-04 at 9:05 pm.', 'See you on March fourth, twenty twenty-five at nine oh five p m.'],
    ['en', 'It is 5 km and 21 °C, Dr. Lee said, e.g. on the 2nd.', 'It is five kilometers and twenty-one degrees Celsius, Doctor Lee said, for example on the second.'],
    ['fr', 'Ça fait 5,50 € le 04/03/2025 à 14h30.', 'Ça fait cinq euros et cinquante centimes le quatre mars deux mille vingt-cinq à quatorze heures trente.'],
    ['fr', 'Il y a 71, 80 et 1 200 places.', 'Il y a soixante et onze, quatre-vingts et mille deux cents places.'],
    ['fr', 'Appelez le 06 12 34 56 78, M. Martin.', 'Appelez le zéro six, un deux, trois quatre, cinq six, sept huit, Monsieur Martin.'],
    ['de', 'Das kostet 21,50 € am 4. März um 14:30 Uhr.', 'Das kostet einundzwanzig Euro und fünfzig Cent am vierten März um vierzehn Uhr dreißig.'],
    ['de', 'Es sind 1.200 km, z. B. 3,5 kg.', 'Es sind eintausendzweihundert Kilometer, zum Beispiel drei Komma fünf Kilogramm.'],
    ['es', 'Cuesta 21.000 € y 100 $.', 'Cuesta veintiún mil euros y cien dólares.'],
    ['es', 'El 04/03/2025 a las 9:00, Sra. Ruiz.', 'El cuatro de marzo de dos mil veinticinco a las nueve en punto, señora Ruiz.'],
  ])('%s: %s', (language, text, spoken) => {
    expect(say(language, text)).toBe(spoken);
  });

  it('leaves languages it has no rules for, and text with nothing to rewrite, as written', () => {
    expect(say('ja', '5円です。')).toBe('5円です。');
    expect(say('en', 'nothing to do here')).toBe('nothing to do here');
    expect(say('en-GB', 'It is £2.')).toBe('It is two pounds.');
  });
});

/** Letter words the normaliser has no reason to touch (not units, abbreviations or month names). */
const RESERVED = new Set(
  Object.values(SPEAKABLE_LANGUAGES).flatMap((r) => [...Object.keys(r.units), ...Object.keys(r.abbreviations), ...Object.keys(r.currencies)].map((k) => k.toLowerCase())),
);
const word = fc.stringMatching(/^[a-zäöüéèàñ]{4,9}$/u).filter((w) => !RESERVED.has(w) && !/^(january|february|march|april|june|july|august|september|october|november|december|märz|juni|juli|oktober|dezember|januar|februar)$/u.test(w));
const token = fc.oneof(
  word.map((w) => ({ word: w, text: w })),
  fc.oneof(
    fc.integer({ min: -1e13, max: 1e13 }).map(String),
    fc.double({ min: 0, max: 1e7, noNaN: true }).map((n) => n.toFixed(2)),
    fc.constantFrom('$5.10', '€ 3', '12,5 €', '50%', '5 km', '21 °C', '14:30', '9 am', '2025-03-04', '12/31/2024', '4. März', '1st', '+33 6 12 34 56 78', 'a.b@c.de', 'Dr.', 'etc.', '1.000.000', '3,14'),
    fc.string({ maxLength: 6 }),
  ).map((text) => ({ word: undefined, text })),
);

describe('speakable text, properties', () => {
  it('never throws, whatever the text and language', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('en', 'fr', 'de', 'es', 'xx', ''), (text, language) => {
        expect(typeof normalizer.normalize(text, language)).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('never drops a word: every plain word of the input is in the output, in order', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 20 }), fc.constantFrom('en', 'fr', 'de', 'es'), (tokens, language) => {
        const out = normalizer.normalize(tokens.map((t) => t.text).join(' '), language);
        let at = 0;
        for (const t of tokens) {
          if (t.word === undefined) continue;
          const found = out.indexOf(t.word, at);
          expect(found, `"${t.word}" missing from "${out}"`).toBeGreaterThanOrEqual(0);
          at = found + t.word.length;
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('speakable + heardOriginal operators', () => {
  const text = (delta: string, extra: Partial<PipelineEvent> = {}): PipelineEvent => ({ type: 'assistant.text', turnId: 'turn-1', delta, segment: true, ...extra }) as PipelineEvent;

  it('rewrites segments in the turn language and keeps the original; a throwing normaliser leaves the text', () => {
    marbles(({ cold, expectObservable }) => {
      const values: Record<string, PipelineEvent> = {
        t: { type: 'transcript', turnId: 'turn-1', text: 'combien ?', final: true, language: 'fr' },
        a: text('Ça fait 5 €.'),
        b: text(' Merci !'),
        A: text('Ça fait cinq euros.', { original: 'Ça fait 5 €.' } as Partial<PipelineEvent>),
      };
      expectObservable(cold('t-a-b|', values).pipe(speakable())).toBe('t-A-b|', values);
      const broken: TextNormalizer = { normalize: () => { throw new Error('boom'); } };
      expectObservable(cold('t-a-b|', values).pipe(speakable({ normalizer: broken }))).toBe('t-a-b|', values);
    });
  });

  it('maps what was heard of the spoken text back onto the model text', () => {
    marbles(({ cold, expectObservable }) => {
      const values: Record<string, PipelineEvent> = {
        a: text('It costs five dollars and ten cents.', { original: 'It costs $5.10.' } as Partial<PipelineEvent>),
        b: text(' Anything else?'),
        i: { type: 'interruption', turnId: 'turn-1', byTurnId: 'turn-2', playedMs: 2500, heardText: 'It costs five dollars and ten cents. Anything' },
        j: { type: 'interruption', turnId: 'turn-1', byTurnId: 'turn-2', playedMs: 2500, heardText: 'It costs $5.10. Anything' },
      };
      expectObservable(cold('a-b-i|', values).pipe(heardOriginal())).toBe('a-b-j|', values);
    });
    // A rewritten piece heard in part keeps the same share of its original, to a whole word.
    const pieces = [{ spoken: 'Call five five five, one two three.', original: 'Call 555-123.' }];
    expect(mapHeard(pieces, 'Call five five')).toBe('Call');
    expect(mapHeard(pieces, '')).toBe('');
    expect(mapHeard(pieces, 'Call five five five, one two three.')).toBe('Call 555-123.');
  });
});
