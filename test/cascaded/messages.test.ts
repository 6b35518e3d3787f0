import { describe, expect, it } from 'vitest';
import { Conversation } from '../../src/conversation.js';
import { chatRequestBody } from '../../src/providers/openai/chat.js';
import { toChatCompletionsMessages } from '../../src/providers/openai/messages.js';

describe('neutral chat history -> Chat Completions messages', () => {
  it('maps each role, tool calls and results to the wire shape', () => {
    expect(
      toChatCompletionsMessages([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: 'Let me check.', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { role: 'tool', toolCallId: 'c1', content: '{"tempC":21}' },
        { role: 'assistant', content: 'It is 21 degrees.' },
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '{"tempC":21}' },
      { role: 'assistant', content: 'It is 21 degrees.' },
    ]);
  });

  it('an assistant message that only calls tools has content null on the wire', () => {
    const [message] = toChatCompletionsMessages([{ role: 'assistant', content: '', toolCalls: [{ id: 'c2', name: 'book', arguments: '{}' }] }]);
    expect(message).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'c2', type: 'function', function: { name: 'book', arguments: '{}' } }] });
  });

  it('a conversation cut mid-tool goes out as a valid request body', () => {
    const conversation = new Conversation({ systemPrompt: 'Be brief.' });
    conversation.addUser('turn-1', 'book a table');
    conversation.addToolCalls('turn-1', [{ id: 'c3', name: 'book', arguments: '{}' }]);
    conversation.truncateAssistant('turn-1', '');
    const body = chatRequestBody('gpt-4o-mini', { messages: conversation.messages() }) as { messages: unknown[] };
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'book a table' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c3', type: 'function', function: { name: 'book', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c3', content: expect.stringContaining('interrupted') },
    ]);
  });
});
