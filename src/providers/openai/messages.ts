import type { ChatMessage } from '../types.js';

/**
 * A Chat Completions request message (openai-node `ChatCompletionMessageParam`,
 * src/resources/chat/completions/completions.ts: `ChatCompletionAssistantMessageParam`,
 * `ChatCompletionMessageFunctionToolCall`, `ChatCompletionToolMessageParam`).
 */
export type ChatCompletionsMessage =
  | { readonly role: 'system' | 'user'; readonly content: string }
  | {
      readonly role: 'assistant';
      /** `null` when the message only calls tools. */
      readonly content: string | null;
      readonly tool_calls?: readonly {
        readonly id: string;
        readonly type: 'function';
        readonly function: { readonly name: string; readonly arguments: string };
      }[];
    }
  | { readonly role: 'tool'; readonly tool_call_id: string; readonly content: string };

/** rxvoice's neutral history as Chat Completions messages (OpenAI and Azure OpenAI alike). */
export function toChatCompletionsMessages(messages: readonly ChatMessage[]): ChatCompletionsMessage[] {
  return messages.map((m): ChatCompletionsMessage => {
    switch (m.role) {
      case 'system':
      case 'user':
        return { role: m.role, content: m.content };
      case 'tool':
        return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
      case 'assistant': {
        if (!m.toolCalls || m.toolCalls.length === 0) return { role: 'assistant', content: m.content };
        return {
          role: 'assistant',
          content: m.content === '' ? null : m.content,
          tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
        };
      }
    }
  });
}
