import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SentenceSegmenter } from '../../src/text/segmenter.js';

const alphabet = fc.constantFrom(...'ab Z.,!?¿¡…:;—3 1 。，！»«"()e.g Dr. U.S. \n'.split(''));

describe('sentence segmenter properties', () => {
  it('never loses, adds or reorders text, however the deltas are split', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: alphabet, maxLength: 12 }), { maxLength: 30 }), fc.integer({ min: 0, max: 40 }), (deltas, maxChars) => {
        const segmenter = new SentenceSegmenter({ firstClauseMinWords: 2, minChars: 0, maxChars: maxChars + 10 });
        const out: string[] = [];
        for (const d of deltas) out.push(...segmenter.push(d));
        const rest = segmenter.flush();
        const input = deltas.join('');
        const joined = out.join('') + (rest ?? '');
        // a whitespace-only tail may be dropped by flush; nothing else may change
        expect(input.startsWith(joined)).toBe(true);
        expect(input.slice(joined.length).trim()).toBe('');
        for (const s of out) expect(s.trim()).not.toBe('');
      }),
      { numRuns: 500 },
    );
  });

  it('cuts the same text at the same places whether it arrives whole or character by character', () => {
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 80 }), (text) => {
        const whole = new SentenceSegmenter();
        const a = [...whole.push(text), whole.flush()].filter((x) => x !== undefined);
        const byChar = new SentenceSegmenter();
        const b: (string | undefined)[] = [];
        for (const ch of text) b.push(...byChar.push(ch));
        b.push(byChar.flush());
        expect(b.filter((x) => x !== undefined)).toEqual(a);
      }),
      { numRuns: 500 },
    );
  });
});
