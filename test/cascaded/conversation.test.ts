import { describe, expect, it } from 'vitest';
import { Conversation, INTERRUPTED_TOOL_RESULT } from '../../src/conversation.js';
import type { ChatMessage } from '../../src/providers/types.js';

const call = (id: string, name = 'get_weather') => ({ id, name, arguments: '{}' });

/** Every assistant tool call is answered before the next non-tool message. */
function consistent(messages: ChatMessage[]): boolean {
  const pending = new Set<string>();
  for (const m of messages) {
    if (m.role === 'tool') pending.delete(m.toolCallId);
    else if (pending.size > 0) return false;
    if (m.role === 'assistant' && m.toolCalls) for (const c of m.toolCalls) pending.add(c.id);
  }
  return pending.size === 0;
}

describe('Conversation', () => {
  it('puts the system prompt first and accumulates streamed assistant text', () => {
    const c = new Conversation({ systemPrompt: 'Be brief.' });
    c.addUser('turn-1', 'hi');
    c.appendAssistantText('turn-1', 'Hello');
    c.appendAssistantText('turn-1', ' there.');
    expect(c.messages()).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello there.' },
    ]);
  });

  it('cuts the assistant turn to the heard text and ignores later text for it', () => {
    const c = new Conversation();
    c.addUser('turn-1', 'tell me a story');
    c.appendAssistantText('turn-1', 'Once upon a time there was a dragon.');
    c.truncateAssistant('turn-1', 'Once upon a time');
    c.appendAssistantText('turn-1', ' It was green.');
    expect(c.messages()).toEqual([
      { role: 'user', content: 'tell me a story' },
      { role: 'assistant', content: 'Once upon a time' },
    ]);
  });

  it('a later, longer report (resumed reply) restores the text as generated: the last report wins', () => {
    const c = new Conversation();
    c.addUser('turn-1', 'hi');
    c.appendAssistantText('turn-1', 'Hello there. How can I help you today?');
    c.truncateAssistant('turn-1', '');
    expect(c.messages()).toEqual([{ role: 'user', content: 'hi' }]);
    c.truncateAssistant('turn-1', 'Hello there. How can I help');
    expect(c.messages().at(-1)).toEqual({ role: 'assistant', content: 'Hello there. How can I help' });
    c.truncateAssistant('turn-1', 'Hello there. How can I help you today?');
    expect(c.assistantText('turn-1')).toBe('Hello there. How can I help you today?');
  });

  it('drops an assistant message nobody heard', () => {
    const c = new Conversation();
    c.addUser('turn-1', 'hi');
    c.appendAssistantText('turn-1', 'Hello there.');
    c.truncateAssistant('turn-1', '');
    expect(c.messages()).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('keeps text across tool rounds in order while cutting', () => {
    const c = new Conversation();
    c.addUser('turn-1', 'weather?');
    c.appendAssistantText('turn-1', 'Let me check. ');
    c.addToolCalls('turn-1', [call('c1')]);
    c.addToolResult('turn-1', 'c1', '{"temp":20}');
    c.appendAssistantText('turn-1', 'It is 20 degrees and sunny.');
    c.truncateAssistant('turn-1', 'Let me check. It is 20 degrees');
    expect(c.messages()).toEqual([
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: 'Let me check. ', toolCalls: [call('c1')] },
      { role: 'tool', toolCallId: 'c1', content: '{"temp":20}' },
      { role: 'assistant', content: 'It is 20 degrees' },
    ]);
  });

  it('answers a tool call interrupted before its result so the history stays valid', () => {
    const c = new Conversation();
    c.addUser('turn-1', 'book a table');
    c.addToolCalls('turn-1', [call('c1', 'book'), call('c2', 'notify')]);
    c.addToolResult('turn-1', 'c1', '"ok"');
    c.truncateAssistant('turn-1', '');
    c.addUser('turn-2', 'never mind');
    const messages = c.messages();
    expect(consistent(messages)).toBe(true);
    expect(messages).toContainEqual({ role: 'tool', toolCallId: 'c2', content: INTERRUPTED_TOOL_RESULT });
    expect(messages.filter((m) => m.role === 'tool')).toHaveLength(2);
    // A late result for the answered call does not duplicate it.
    c.addToolResult('turn-1', 'c2', '"late"');
    expect(c.messages().filter((m) => m.role === 'tool')).toHaveLength(2);
  });

  it('a new user turn answers dangling calls even without truncation', () => {
    const c = new Conversation();
    c.addUser('turn-1', 'a');
    c.addToolCalls('turn-1', [call('c1')]);
    c.addUser('turn-2', 'b');
    expect(consistent(c.messages())).toBe(true);
  });

  it('keeps only the last maxTurns caller turns', () => {
    const c = new Conversation({ maxTurns: 2 });
    for (const n of [1, 2, 3]) {
      c.addUser(`turn-${n}`, `u${n}`);
      c.appendAssistantText(`turn-${n}`, `a${n}`);
    }
    expect(c.messages().map((m) => m.content)).toEqual(['u2', 'a2', 'u3', 'a3']);
  });
});
