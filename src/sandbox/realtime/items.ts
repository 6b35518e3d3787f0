import type { Alignment } from '../../providers/types.js';
import type { SandboxMessage } from '../context.js';

/**
 * Conversation items as the session keeps them: the wire fields plus what the sandbox needs to answer
 * later (the user's scenario transcript, the assistant audio length and alignment for truncation).
 */
export type StoredContent =
  | { readonly type: 'input_text'; readonly text: string }
  | { type: 'input_audio'; transcript: string | null; /** Scenario text, known before transcription is sent. */ spoken: string; audioMs: number }
  | { type: 'output_text'; text: string }
  | { type: 'output_audio'; transcript: string; audioMs: number; alignment?: Alignment };

export type StoredItem =
  | {
      readonly id: string;
      readonly type: 'message';
      readonly role: 'user' | 'assistant' | 'system';
      status: 'in_progress' | 'completed' | 'incomplete';
      readonly content: StoredContent[];
    }
  | {
      readonly id: string;
      readonly type: 'function_call';
      status: 'in_progress' | 'completed' | 'incomplete';
      readonly call_id: string;
      readonly name: string;
      arguments: string;
    }
  | { readonly id: string; readonly type: 'function_call_output'; status: 'completed'; readonly call_id: string; readonly output: string };

type Json = Record<string, unknown>;

/**
 * The item as events carry it (GA names; the wire layer renames for beta). Audio bytes are never included.
 * GA items have no `object` field (openai-node resources/realtime/realtime.ts marks it optional on
 * RealtimeConversationItem*, and GA servers leave it out); the beta layer adds `object: "realtime.item"`.
 */
export function wireItem(item: StoredItem): Json {
  const base = { id: item.id, type: item.type, status: item.status };
  switch (item.type) {
    case 'message':
      return {
        ...base,
        role: item.role,
        content: item.content.map((part) => {
          switch (part.type) {
            case 'input_text':
              return { type: 'input_text', text: part.text };
            case 'input_audio':
              return { type: 'input_audio', transcript: part.transcript };
            case 'output_text':
              return { type: 'output_text', text: part.text };
            case 'output_audio':
              return { type: 'output_audio', transcript: part.transcript };
          }
        }),
      };
    case 'function_call':
      return { ...base, call_id: item.call_id, name: item.name, arguments: item.arguments };
    case 'function_call_output':
      return { ...base, call_id: item.call_id, output: item.output };
  }
}

function messageText(item: Extract<StoredItem, { type: 'message' }>): string {
  return item.content
    .map((part) => {
      switch (part.type) {
        case 'input_text':
        case 'output_text':
          return part.text;
        case 'input_audio':
          return part.transcript ?? part.spoken;
        case 'output_audio':
          return part.transcript;
      }
    })
    .filter((text) => text !== '')
    .join(' ');
}

/** The conversation as the sandbox's reply logic reads it. */
export function toSandboxMessages(instructions: string, items: readonly StoredItem[]): SandboxMessage[] {
  const out: SandboxMessage[] = [];
  if (instructions !== '') out.push({ role: 'system', content: instructions });
  const callNames = new Map<string, string>();
  for (const item of items) {
    if (item.type === 'message') out.push({ role: item.role, content: messageText(item) });
    else if (item.type === 'function_call') callNames.set(item.call_id, item.name);
    else {
      const toolName = callNames.get(item.call_id);
      out.push({ role: 'tool', content: item.output, ...(toolName === undefined ? {} : { toolName }) });
    }
  }
  return out;
}

export class ItemError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a client's `conversation.item.create` item into a stored item (ids assigned by the caller). */
export function parseClientItem(raw: unknown, id: string): StoredItem {
  if (typeof raw !== 'object' || raw === null) throw new ItemError('item', "Missing required parameter: 'item'.");
  const item = raw as Json;
  switch (item.type) {
    case 'message': {
      const role = item.role;
      if (role !== 'user' && role !== 'assistant' && role !== 'system') {
        throw new ItemError('item.role', "Invalid value for 'item.role': expected user, assistant or system.");
      }
      if (!Array.isArray(item.content)) throw new ItemError('item.content', "Missing required parameter: 'item.content'.");
      const content = item.content.map((part: unknown, i: number): StoredContent => {
        const p = (part ?? {}) as Json;
        const text = typeof p.text === 'string' ? p.text : undefined;
        switch (p.type) {
          case 'input_text':
            if (text === undefined) break;
            return { type: 'input_text', text };
          case 'output_text':
          case 'text':
            if (text === undefined) break;
            return role === 'assistant' ? { type: 'output_text', text } : { type: 'input_text', text };
          case 'input_audio': {
            const transcript = typeof p.transcript === 'string' ? p.transcript : null;
            return { type: 'input_audio', transcript, spoken: transcript ?? '', audioMs: 0 };
          }
        }
        throw new ItemError(`item.content[${i}]`, `Invalid value for 'item.content[${i}]': unsupported content for a ${role} message.`);
      });
      return { id, type: 'message', role, status: 'completed', content };
    }
    case 'function_call':
      if (typeof item.call_id !== 'string' || typeof item.name !== 'string') {
        throw new ItemError('item.call_id', 'A function_call item needs call_id and name.');
      }
      return {
        id,
        type: 'function_call',
        status: 'completed',
        call_id: item.call_id,
        name: item.name,
        arguments: typeof item.arguments === 'string' ? item.arguments : '',
      };
    case 'function_call_output':
      if (typeof item.call_id !== 'string') throw new ItemError('item.call_id', "Missing required parameter: 'item.call_id'.");
      if (typeof item.output !== 'string') throw new ItemError('item.output', "Missing required parameter: 'item.output'.");
      return { id, type: 'function_call_output', status: 'completed', call_id: item.call_id, output: item.output };
    default:
      throw new ItemError('item.type', "Invalid value for 'item.type': expected message, function_call or function_call_output.");
  }
}
