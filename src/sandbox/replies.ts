import type { SandboxMessage, SandboxReply } from './context.js';
import type { ReplyRule, Scenario, ScenarioUtterance } from './types.js';

/** Transcripts used when no scenario gives one: cycled in order, so runs are repeatable. */
export const DEFAULT_UTTERANCES: readonly ScenarioUtterance[] = [
  // The caller's sentences in fixtures/call-3turns.wav, so the demo call reads right without a scenario.
  { transcript: "What's the weather like in Paris today?", language: 'en' },
  { transcript: 'Can you book me a table for two at eight?', language: 'en' },
  { transcript: "Thanks, that's all.", language: 'en' },
];

function matches(rule: ReplyRule, text: string): boolean {
  try {
    return new RegExp(rule.match, 'i').test(text);
  } catch {
    return false; // a broken regex in a scenario matches nothing rather than crashing the server
  }
}

function lastIndexOfRole(messages: readonly SandboxMessage[], role: SandboxMessage['role']): number {
  for (let i = messages.length - 1; i >= 0; i -= 1) if (messages[i]?.role === role) return i;
  return -1;
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/** The assistant's answer without a matching rule: short, spoken-style, 1-3 sentences. */
export function defaultReply(userText: string): string {
  const text = clip(userText.replace(/[.?!]+$/, ''), 120);
  if (!text) return "Sorry, I didn't catch that. Could you say it again?";
  if (/^(hi|hello|hey|good (morning|afternoon|evening))\b/i.test(text)) {
    return "Hello! I'm the rxvoice sandbox assistant. How can I help you today?";
  }
  if (/\b(thanks|thank you|bye|goodbye)\b/i.test(text)) return "You're welcome. Have a great day!";
  if (/\?$/.test(userText.trim()) || /^(what|who|where|when|why|how|can|could|is|are|do|does)\b/i.test(text)) {
    return `Good question. You asked: ${text}? I'm the rxvoice sandbox, so I can't look that up, but a real model would answer here.`;
  }
  return `I heard you say: ${text}. I'm the rxvoice sandbox, standing in for a real model. What else can I do for you?`;
}

/**
 * Decides the assistant's reply from a scenario: the first rule whose regex matches the last user message;
 * after a tool result, that rule's `afterTool` with `{result}` replaced by the tool's output.
 */
export function scenarioReply(scenario: Scenario | undefined, messages: readonly SandboxMessage[]): SandboxReply {
  const rules = scenario?.replies ?? [];
  const userIndex = lastIndexOfRole(messages, 'user');
  const userText = userIndex >= 0 ? (messages[userIndex]?.content ?? '') : '';
  const rule = rules.find((r) => matches(r, userText));
  const last = messages[messages.length - 1];

  if (last?.role === 'tool') {
    const result = speakable(last.content);
    if (rule?.afterTool !== undefined) return { kind: 'text', text: rule.afterTool.split('{result}').join(result) };
    return { kind: 'text', text: `Done. The ${last.toolName ?? 'tool'} returned: ${clip(result, 160)}.` };
  }
  if (rule?.toolCall) {
    const call = { kind: 'tool_call' as const, name: rule.toolCall.name, arguments: JSON.stringify(rule.toolCall.arguments) };
    return rule.reply !== undefined ? { ...call, fallbackText: rule.reply } : call;
  }
  if (rule?.reply !== undefined) return { kind: 'text', text: rule.reply };
  return { kind: 'text', text: scenario?.defaultReply ?? defaultReply(userText) };
}

/**
 * A tool result as words: a JSON string is unwrapped and an object's values joined, so `{result}` in a
 * reply template reads naturally ("sunny and 21 degrees" rather than `{"summary":"sunny..."}`).
 */
export function speakable(output: string): string {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    return output;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const words = Object.values(value).filter((v) => typeof v === 'string' || typeof v === 'number');
    if (words.length > 0) return words.join(', ');
  }
  return output;
}
