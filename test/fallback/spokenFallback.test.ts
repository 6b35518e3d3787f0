import { describe, expect, it } from 'vitest';
import { spokenFallback, DEFAULT_FALLBACK_TEXT } from '../../operators/spokenFallback.js';
import type { PipelineEvent } from '../../src/events.js';
import { marbles } from '../../src/testing/index.js';

const err = (turnId: string, stage: 'transcribe' | 'llm' | 'tts'): PipelineEvent => ({
  type: 'error',
  turnId,
  code: 'provider_error',
  stage,
  message: 'boom',
  retryable: false,
});
const text = (turnId: string, delta: string): PipelineEvent => ({ type: 'assistant.text', turnId, delta });
const done = (turnId: string, t: string): PipelineEvent => ({ type: 'assistant.done', turnId, text: t });
const say = (turnId: string, t: string): PipelineEvent[] => [
  { type: 'assistant.text', turnId, delta: t, segment: true },
  { type: 'assistant.done', turnId, text: t, finishReason: 'fallback' },
];

describe('spokenFallback', () => {
  it('answers a failed turn once, after passing the error on', () => {
    marbles(({ cold, expectObservable }) => {
      const e = err('turn-2', 'transcribe');
      const source = cold('-a-b-c-e-----e|', { a: text('turn-1', 'Hi.'), b: done('turn-1', 'Hi.'), c: err('turn-1', 'llm'), e });
      const [f, d] = say('turn-2', DEFAULT_FALLBACK_TEXT);
      expectObservable(source.pipe(spokenFallback())).toBe('-a-b-c-(efd)-e|', { a: text('turn-1', 'Hi.'), b: done('turn-1', 'Hi.'), c: err('turn-1', 'llm'), e, f, d });
    });
  });

  it('leaves alone a turn that already spoke, errors of other stages, and errors with no turn', () => {
    marbles(({ cold, expectObservable }) => {
      const values = {
        a: text('turn-3', 'Half a sent'),
        b: err('turn-3', 'llm'),
        c: err('turn-4', 'tts'),
        d: { type: 'error', code: 'bad_message', stage: 'transport', message: 'x', retryable: false } as PipelineEvent,
      };
      expectObservable(cold('-a-b-c-d|', values).pipe(spokenFallback())).toBe('-a-b-c-d|', values);
    });
  });

  it('says what the option says, chosen per error', () => {
    marbles(({ cold, expectObservable }) => {
      const e = err('turn-5', 'llm');
      const [f, d] = say('turn-5', 'Désolé, pouvez-vous répéter ? (llm)');
      expectObservable(cold('-e----|', { e }).pipe(spokenFallback({ text: (x) => `Désolé, pouvez-vous répéter ? (${x.stage})` }))).toBe(
        '-(efd)|',
        { e, f, d },
      );
    });
  });
});
