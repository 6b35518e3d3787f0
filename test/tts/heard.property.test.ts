import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heardLength, type TimedChar } from '../../src/text/heard.js';

const words = fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 12 }).map((w) => w.join(' '));

describe('heard text properties', () => {
  it('is a whole-word prefix that grows with the played time and is complete at the end', () => {
    fc.assert(
      fc.property(words, fc.integer({ min: 10, max: 120 }), fc.boolean(), (text, msPerChar, aligned) => {
        const timeline: TimedChar[] = aligned ? [...text].map((char, i) => ({ char, startMs: i * msPerChar, endMs: (i + 1) * msPerChar })) : [];
        const totalMs = text.length * msPerChar;
        let last = 0;
        for (let played = 0; played <= totalMs; played += Math.max(1, Math.floor(totalMs / 17))) {
          const n = heardLength(text, played, { timeline, totalMs });
          expect(n).toBeGreaterThanOrEqual(last);
          expect(n === 0 || n === text.length || text[n] === ' ').toBe(true);
          last = n;
        }
        expect(heardLength(text, totalMs, { timeline, totalMs })).toBe(text.length);
        expect(heardLength(text, 0, { timeline, totalMs })).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
