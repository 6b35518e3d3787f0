import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import { sentences } from '../../operators/sentences.js';
import type { PipelineEvent } from '../../src/events.js';
import { countWords, SentenceSegmenter } from '../../src/text/segmenter.js';

const text = (delta: string, turnId = 'turn-1'): PipelineEvent => ({ type: 'assistant.text', turnId, delta });
const seg = (delta: string, turnId = 'turn-1'): PipelineEvent => ({ type: 'assistant.text', turnId, delta, segment: true });
const done = (full: string, turnId = 'turn-1'): PipelineEvent => ({ type: 'assistant.done', turnId, text: full });

/** Feeds `input` in deltas of `size` characters and returns the segments. */
function split(input: string, size = 3, options?: ConstructorParameters<typeof SentenceSegmenter>[0]): string[] {
  const segmenter = new SentenceSegmenter(options);
  const out: string[] = [];
  for (const piece of input.match(new RegExp(`[^]{1,${size}}`, 'gu')) ?? []) out.push(...segmenter.push(piece));
  const rest = segmenter.flush();
  if (rest !== undefined) out.push(rest);
  return out;
}

describe('sentence segmenter', () => {
  it('cuts at sentence ends and keeps the text exact', () => {
    const input = 'Hello there. How are you? I am fine!';
    const out = split(input);
    expect(out).toEqual(['Hello there.', ' How are you?', ' I am fine!']);
    expect(out.join('')).toBe(input);
  });

  it('does not cut after abbreviations, initials, decimals or before lower case', () => {
    expect(split('Dr. Smith met Mrs. Jones in the U.S. at 3.14 pm. Next one.')).toEqual([
      'Dr. Smith met Mrs. Jones in the U.S. at 3.14 pm.',
      ' Next one.',
    ]);
    expect(split('Use a tool, e.g. a hammer. J. K. Rowling wrote it. Done.', 2, { firstClauseMinWords: false, minChars: 0, maxChars: 250 })).toEqual([
      'Use a tool, e.g. a hammer.',
      ' J. K. Rowling wrote it.',
      ' Done.',
    ]);
  });

  it('treats ellipses as an end only before a capital', () => {
    expect(split('Well... maybe later. Hmm... Yes.')).toEqual(['Well... maybe later.', ' Hmm...', ' Yes.']);
  });

  it('cuts the first segment at its first clause by default, even a one-word one, later ones at sentence ends', () => {
    expect(split('Done, I have booked it, for two. You will, I hope, enjoy it.')).toEqual(['Done,', ' I have booked it, for two.', ' You will, I hope, enjoy it.']);
    expect(split("You're welcome, enjoy your evening, goodbye!")).toEqual(["You're welcome,", ' enjoy your evening, goodbye!']);
  });

  it('cuts the first segment early at a clause once it has enough words, later ones at sentence ends', () => {
    const four = { firstClauseMinWords: 4, minChars: 0, maxChars: 250 } as const;
    expect(split('Well, I think that, you know, we should go. Then again, maybe not.', 3, four)).toEqual([
      'Well, I think that,',
      ' you know, we should go.',
      ' Then again, maybe not.',
    ]);
    expect(split('It costs 1,000 dollars at 10:30 today, or so. OK.', 3, four)).toEqual(['It costs 1,000 dollars at 10:30 today,', ' or so.', ' OK.']);
  });

  it('handles Spanish, French and CJK punctuation', () => {
    expect(split('¿Sabes, amigo mío, qué hora es? Son las tres. ¡Hola!')).toEqual([
      '¿Sabes, amigo mío, qué hora es?',
      ' Son las tres.',
      ' ¡Hola!',
    ]);
    expect(split('Bonjour ! Comment ça va ? « Très bien ! » Merci.')).toEqual([
      'Bonjour !',
      ' Comment ça va ?',
      ' « Très bien ! »',
      ' Merci.',
    ]);
    expect(split('今天天气很好。你好吗？我很好！')).toEqual(['今天天气很好。', '你好吗？', '我很好！']);
    expect(split('他说「你好。」然后走了。', 1)).toEqual(['他说「你好。」', '然后走了。']);
    expect(split('Il a dit « Oui. » Puis rien. "Quoted" next.', 1)).toEqual(['Il a dit « Oui. »', ' Puis rien.', ' "Quoted" next.']);
    expect(countWords('今天天气很好')).toBe(3);
  });

  it('waits for what follows a period before deciding', () => {
    const segmenter = new SentenceSegmenter();
    expect(segmenter.push('It is 3.')).toEqual([]);
    expect(segmenter.push('14 now. ')).toEqual([]);
    expect(segmenter.push('And')).toEqual(['It is 3.14 now.']);
  });

  it('cuts an overlong sentence at its last clause or space', () => {
    const long = `${'word '.repeat(30)}end`;
    const out = split(long, 5, { firstClauseMinWords: false, minChars: 0, maxChars: 40 });
    expect(out.length).toBeGreaterThan(2);
    expect(out.join('')).toBe(long);
    for (const s of out.slice(0, -1)) expect(s.length).toBeLessThanOrEqual(45);
  });

  it('joins segments shorter than minChars with the next one', () => {
    expect(split('Hi. Yes. This is longer.', 3, { firstClauseMinWords: false, minChars: 8, maxChars: 250 })).toEqual([
      'Hi. Yes.',
      ' This is longer.',
    ]);
  });
});

describe('sentences operator', () => {
  const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('replaces deltas with segments and flushes the rest on assistant.done', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold('a-b-c-d-D---|', {
        a: text('Hello, my'),
        b: text(' friend. How'),
        c: text(' are'),
        d: text(' you'),
        D: done('Hello, my friend. How are you'),
      });
      expectObservable(input.pipe(sentences({ firstClauseMinWords: 4 }))).toBe('--s-----(tD)|', {
        s: seg('Hello, my friend.'),
        t: seg(' How are you'),
        D: done('Hello, my friend. How are you'),
      });
    });
  });

  it('by default speaks a first clause of any length as soon as it is complete', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const input = cold('a-b-c-D---|', { a: text('Done'), b: text(', I booked'), c: text(' it.'), D: done('Done, I booked it.') });
      expectObservable(input.pipe(sentences())).toBe('--s---(tD)|', { s: seg('Done,'), t: seg(' I booked it.'), D: done('Done, I booked it.') });
    });
  });

  it('keeps turns apart, flushes before a tool call and drops a cancelled turn', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const call: PipelineEvent = { type: 'tool.call', turnId: 'turn-1', callId: 'c1', name: 'weather', arguments: '{}' };
      const cancel: PipelineEvent = { type: 'reply.cancel', turnId: 'turn-2', byTurnId: 'turn-3', reason: 'barge_in' };
      const input = cold('a-T-x-C-D|', {
        a: text('Let me check'),
        T: call,
        x: text('Going to', 'turn-2'),
        C: cancel,
        D: done('', 'turn-2'),
      });
      expectObservable(input.pipe(sentences())).toBe('--(sT)C-D|', { s: seg('Let me check'), T: call, C: cancel, D: done('', 'turn-2') });
    });
  });

  it('passes unrelated events untouched and flushes at the end of the stream', async () => {
    const events: PipelineEvent[] = [
      { type: 'transcript', turnId: 'turn-1', text: 'hi', final: true },
      text('Sure thing'),
      seg('Already cut.', 'turn-9'),
    ];
    const out = await lastValueFrom(from(events).pipe(sentences(), toArray()));
    expect(out).toEqual([events[0], seg('Already cut.', 'turn-9'), seg('Sure thing')]);
  });
});
