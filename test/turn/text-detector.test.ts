import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textTurnDetector } from '../../src/turn/text-detector.js';
import type { TurnVerdict } from '../../src/turn/types.js';

const detector = textTurnDetector();
const read = (text: string) => detector.decide({ turnId: 't', text, silenceMs: 200 }, new AbortController().signal) as TurnVerdict;

describe('textTurnDetector', () => {
  it.each([
    ['What time is it?', 'question'],
    ['I need to change my booking.', 'sentence'],
    ['Yes', 'short answer'],
    ['No thanks', 'short answer'],
    ['Quelle heure est-il ?', 'question'],
    ['Ich möchte mein Konto sehen.', 'sentence'],
    ['Quiero reservar una mesa.', 'sentence'],
    ['', 'no words'],
  ])('done: %j (%s)', (text, reason) => {
    expect(read(text)).toMatchObject({ done: true, reason });
  });

  it.each([
    ["I'd like to, um,", "filler 'um'"],
    ['I want to check my balance and', "trailing 'and'"],
    ['So I was wondering if', "trailing 'if'"],
    ['My card number is 4 5.', 'number being dictated'],
    ['It is 4 5 7', 'number being dictated'],
    ['The apples, the pears,', 'clause'],
    ['I need to chec-', 'cut off'],
    ['I was going to...', 'cut off'],
    ['Je voudrais, euh.', "filler 'euh'"],
    ['Ich möchte und', "trailing 'und'"],
    ['Quiero reservar para', "trailing 'para'"],
  ])('not yet: %j (%s)', (text, reason) => {
    expect(read(text)).toMatchObject({ done: false, reason });
  });

  it('a number that is an answer, not a dictation, is done', () => {
    expect(read('I am 45.')).toMatchObject({ done: true });
  });

  it('extra hold words', () => {
    const custom = textTurnDetector({ holdWords: ['Furthermore'] });
    expect(custom.decide({ turnId: 't', text: 'Furthermore', silenceMs: 200 }, new AbortController().signal)).toMatchObject({ done: false });
  });

  it('never throws, always a confidence in 0..1 and a reason', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const v = read(text);
        expect(v.confidence).toBeGreaterThanOrEqual(0);
        expect(v.confidence).toBeLessThanOrEqual(1);
        expect(typeof v.reason).toBe('string');
      }),
    );
  });
});
