import { describe, expect, it } from 'vitest';
import { collectDigits, type DigitsEntry } from '../../operators/collectDigits.js';
import type { PipelineEvent } from '../../src/events.js';
import { marbles } from '../../src/testing/index.js';

const key = (digit: string, atMs = 0): PipelineEvent => ({ type: 'dtmf', digit, atMs });
const said = (n: number, digits: string): PipelineEvent => ({ type: 'transcript', turnId: `keys-${n}`, text: `The caller entered ${digits} on the keypad.`, final: true });
const keys = { 1: key('1'), 2: key('2'), 3: key('3'), 4: key('4'), h: key('#'), s: key('*') };

describe('collectDigits', () => {
  it('ends an entry on the terminator, hands it to the model as a final transcript, and passes every event on', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const other: PipelineEvent = { type: 'speech.started', turnId: 'turn-1', audioMs: 0 };
      const source = cold('-1-2-x-h---|', { ...keys, x: other });
      expectObservable(source.pipe(collectDigits({ scheduler }))).toBe('-1-2-x-(hT)|', { ...keys, x: other, T: said(1, '12') });
    });
  });

  it('ends an entry after timeoutMs without a key (the clock restarts at each key)', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const source = cold('-1--2------------|', keys);
      // last key at 4 ms, timeout 5 ms: the entry ends at 9 ms
      expectObservable(source.pipe(collectDigits({ scheduler, timeoutMs: 5 }))).toBe('-1--2----T-------|', { ...keys, T: said(1, '12') });
    });
  });

  it('ends an entry at maxLength keys, then starts the next one', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const source = cold('-1-2-3----4-3-h----|', keys);
      expectObservable(source.pipe(collectDigits({ scheduler, maxLength: 3 }))).toBe('-1-2-(3T)-4-3-(hU)-|', { ...keys, T: said(1, '123'), U: said(2, '43') });
    });
  });

  it('drops an empty entry; flushes a pending one when the stream ends; a custom terminator', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      expectObservable(cold('-h-1-2|', keys).pipe(collectDigits({ scheduler }))).toBe('-h-1-2(T|)', { ...keys, T: said(1, '12') });
      expectObservable(cold('-1-s---|', keys).pipe(collectDigits({ scheduler, terminator: '*' }))).toBe('-1-(sT)|', { ...keys, T: said(1, '1') });
      // With no terminator, '#' is a digit like any other.
      expectObservable(cold('-1h-|', keys).pipe(collectDigits({ scheduler, terminator: null, timeoutMs: 1 }))).toBe('-1hT|', { ...keys, T: said(1, '1#') });
    });
  });

  it('hands entries to a tool of your own (onEntry) and, with toText returning undefined, not to the model', () => {
    const entries: DigitsEntry[] = [];
    marbles(({ cold, expectObservable, scheduler }) => {
      const source = cold('-1-2-3-h-4-|', keys);
      expectObservable(source.pipe(collectDigits({ scheduler, timeoutMs: 3, onEntry: (e) => entries.push(e), toText: () => undefined }))).toBe('-1-2-3-h-4-|', keys);
    });
    expect(entries).toEqual([
      { digits: '123', reason: 'terminator' },
      { digits: '4', reason: 'end_of_stream' },
    ]);
  });

  it('cancels the pending timeout on unsubscribe', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const source = cold('-1---------|', keys);
      expectObservable(source.pipe(collectDigits({ scheduler, timeoutMs: 5 })), '^--!').toBe('-1-', keys);
    });
  });
});
