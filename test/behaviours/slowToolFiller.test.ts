import { describe, expect, it } from 'vitest';
import { slowToolFiller, DEFAULT_FILLER_TEXT } from '../../operators/slowToolFiller.js';
import { Conversation } from '../../src/conversation.js';
import type { PipelineEvent } from '../../src/events.js';
import { marbles } from '../../src/testing/index.js';

const call = (callId: string, name = 'lookup', turnId = 'turn-1'): PipelineEvent => ({ type: 'tool.call', turnId, callId, name, arguments: '{}' });
const result = (callId: string, name = 'lookup', turnId = 'turn-1'): PipelineEvent => ({ type: 'tool.result', turnId, callId, name, output: '{}', isError: false });
const text = (delta: string, turnId = 'turn-1'): PipelineEvent => ({ type: 'assistant.text', turnId, delta, segment: true });

describe('slowToolFiller', () => {
  it('announces a tool still running after its threshold once, with a filler segment; a fast tool gets nothing', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const values: Record<string, PipelineEvent> = {
        c: call('c1'),
        r: result('c1'),
        a: text('Sunny.'),
        d: { type: 'assistant.done', turnId: 'turn-1', text: 'Sunny.' },
        C: call('c2', 'lookup', 'turn-2'),
        R: result('c2', 'lookup', 'turn-2'),
        s: { type: 'tool.slow', turnId: 'turn-1', callId: 'c1', name: 'lookup', waitedMs: 1000, filler: DEFAULT_FILLER_TEXT, atMs: 1000 },
        f: text(`${DEFAULT_FILLER_TEXT} `),
      };
      const source = cold('c 1299ms r a d 100ms C 500ms R |', values);
      expectObservable(source.pipe(slowToolFiller({ scheduler }))).toBe('c 999ms (sf) 296ms r a d 100ms C 500ms R |', values);
    });
  });

  it('per-tool thresholds; the filler follows spoken text with a space; a cancelled reply stops the timers', () => {
    marbles(({ cold, expectObservable, scheduler }) => {
      const values: Record<string, PipelineEvent> = {
        a: text('Let me see.'),
        c: call('c1', 'search'),
        k: call('c2', 'fast'),
        x: { type: 'reply.cancel', turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' },
        A: text('Ok.', 'turn-3'),
        C: call('c3', 'search', 'turn-3'),
        s: { type: 'tool.slow', turnId: 'turn-3', callId: 'c3', name: 'search', waitedMs: 300, filler: 'Hold on (search).', atMs: 702 },
        f: text(' Hold on (search). ', 'turn-3'),
      };
      // turn-1 is cancelled at 200, before its 300 ms threshold: nothing; turn-3's search is slow at 402 + 300
      const source = cold('a c k 197ms x 200ms A C 500ms |', values);
      const filler = slowToolFiller({ thresholds: { search: 300, fast: Infinity }, text: (name) => `Hold on (${name}).`, scheduler });
      expectObservable(source.pipe(filler)).toBe('a c k 197ms x 200ms A C 299ms (sf) 197ms |', values);
    });
  });

  it('puts the filler in the history, where a cut to what was heard drops it if it was not heard', () => {
    const make = (): Conversation => {
      const c = new Conversation();
      c.addUser('turn-1', 'weather?');
      c.addToolCalls('turn-1', [{ id: 'c1', name: 'lookup', arguments: '{}' }]);
      c.addAside('turn-1', `${DEFAULT_FILLER_TEXT} `);
      c.addToolResult('turn-1', 'c1', '{}');
      c.appendAssistantText('turn-1', 'Sunny and mild.');
      return c;
    };
    const heard = make();
    expect(heard.assistantText('turn-1')).toBe(`${DEFAULT_FILLER_TEXT} Sunny and mild.`);
    heard.truncateAssistant('turn-1', `${DEFAULT_FILLER_TEXT} Sunny`);
    expect(heard.assistantText('turn-1')).toBe(`${DEFAULT_FILLER_TEXT} Sunny`);
    const unheard = make();
    unheard.truncateAssistant('turn-1', '');
    expect(unheard.assistantText('turn-1')).toBe('');
    // the tool call itself stays, answered
    expect(unheard.messages().map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });
});
