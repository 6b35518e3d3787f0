import { describe, expect, it } from 'vitest';
import { SentenceSegmenter } from '../../src/text/segmenter.js';

function byChar(text: string): string[] {
  const s = new SentenceSegmenter();
  const out: string[] = [];
  for (const ch of text) out.push(...s.push(ch));
  const rest = s.flush();
  return rest === undefined ? out : [...out, rest];
}
function whole(text: string): string[] {
  const s = new SentenceSegmenter();
  const out = s.push(text);
  const rest = s.flush();
  return rest === undefined ? out : [...out, rest];
}

describe('segmenter: CJK sentence ends followed by a spaced closer', () => {
  it('cuts "。 »" the same whether it arrives whole or a character at a time (found by the property test)', () => {
    for (const text of ['。 »', '好。 »下一句。', '。  »', '。 a']) expect(byChar(text)).toEqual(whole(text));
    expect(whole('。 »')).toEqual(['。 »']);
  });
});
