import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Observable } from 'rxjs';
import { tts } from '../../operators/tts.js';
import type { AssistantAudioEvent, PipelineEvent } from '../../src/events.js';
import { fakeSynthesizer } from '../../src/testing/fakes/tts.js';

const seg = (delta: string): PipelineEvent => ({ type: 'assistant.text', turnId: 'turn-1', delta, segment: true });

function frames(msPerChar: number, texts: string[]): AssistantAudioEvent[] {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const out: AssistantAudioEvent[] = [];
  const values: Record<string, PipelineEvent> = { D: { type: 'assistant.done', turnId: 'turn-1', text: texts.join('') } };
  const letters = 'abcdefghijklmnop';
  texts.forEach((t, i) => (values[letters[i]!] = seg(t)));
  const marbles = `${texts.map((_, i) => letters[i]).join(' 5ms ')} 5ms D 200ms |`;
  scheduler.run(({ cold }) => {
    const input: Observable<PipelineEvent> = cold(marbles, values);
    input
      .pipe(tts({ synthesizer: fakeSynthesizer({ firstByteMs: 10, msPerChar }), voiceId: 'v', scheduler }))
      .subscribe((e) => e.type === 'assistant.audio' && out.push(e));
  });
  return out;
}

describe('tts frame text: the aligned characters that start in each frame', () => {
  it('7 ms per character over 20 ms frames: each character once, in the frame where it starts', () => {
    const out = frames(7, ['Hello there.', ' How are you?']);
    const all = 'Hello there. How are you?';
    expect(out.map((f) => f.text ?? '').join('')).toBe(all);
    // Character k starts at 7k ms (each segment's audio follows the previous one's), so frame j holds
    // the characters with 20j <= 7k < 20(j+1).
    out.forEach((f, j) => {
      const expected = [...all].filter((_, k) => 7 * k >= 20 * j && 7 * k < 20 * (j + 1)).join('');
      expect(f.text ?? '').toBe(expected);
    });
  });

  it('45 ms per character: frames without a character start carry no text', () => {
    const out = frames(45, ['Hi there.']);
    expect(out.filter((f) => f.text === undefined).length).toBeGreaterThan(0);
    expect(out.map((f) => f.text ?? '').join('')).toBe('Hi there.');
  });
});
