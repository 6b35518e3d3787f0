import type { ChatMessage, ChatToolCall } from './providers/types.js';

/**
 * The history a chat model sees: a system prompt, then user turns, assistant turns, tool calls and their
 * results, each tagged with the caller turn (`turnId`) it belongs to.
 *
 * Written by `llmStream` (and the realtime pipeline, to restore a session), cut by the pipeline when an
 * `interruption` says how much of a reply the caller actually heard:
 *
 * ```
 * addUser('turn-1', 'hi') ─ appendAssistantText('turn-1', 'Hello! How can') ─ truncateAssistant('turn-1', 'Hello!')
 * messages(): [system, user 'hi', assistant 'Hello!']
 * ```
 *
 * Invariant kept by every method: each assistant message's `toolCalls` entry is answered by a `tool` message before
 * the next user message, so the next request never fails on a dangling tool call.
 */
export interface ConversationOptions {
  readonly systemPrompt?: string;
  /**
   * Keep at most this many caller turns (oldest dropped whole, with their replies and tool messages).
   * Default: unlimited.
   */
  readonly maxTurns?: number;
}

/** One history entry: a chat message and the caller turn it belongs to. */
export interface ConversationEntry {
  readonly turnId: string;
  readonly message: ChatMessage;
}

/** What a tool call cut off by an interruption is answered with, so the model knows it did not finish. */
export const INTERRUPTED_TOOL_RESULT = JSON.stringify({ error: 'interrupted: the caller spoke before the tool finished' });

type MutableEntry = {
  turnId: string;
  message: ChatMessage;
  /** An assistant message's text as generated, kept so a later, longer report of what was heard can restore it. */
  generated?: string;
  /** Cut out entirely (nothing of it was heard, no tool calls): not sent. */
  hidden?: boolean;
};

export class Conversation {
  systemPrompt: string | undefined;
  private readonly maxTurns: number;
  private entries: MutableEntry[] = [];
  /** Turns whose reply was cut: later text for them is dropped (it was never heard). */
  private readonly truncated = new Set<string>();

  constructor(options: ConversationOptions = {}) {
    this.systemPrompt = options.systemPrompt;
    this.maxTurns = options.maxTurns ?? Number.POSITIVE_INFINITY;
  }

  /** The messages to send: the system prompt first, then the history. */
  messages(): ChatMessage[] {
    const system: ChatMessage[] = this.systemPrompt ? [{ role: 'system', content: this.systemPrompt }] : [];
    return [...system, ...this.visible().map((e) => e.message)];
  }

  /** The history without the system prompt. */
  history(): readonly ConversationEntry[] {
    return this.visible().map((e) => ({ turnId: e.turnId, message: e.message }));
  }

  addUser(turnId: string, text: string): void {
    this.answerDanglingToolCalls();
    this.entries.push({ turnId, message: { role: 'user', content: text } });
    this.trim();
  }

  /** Adds streamed text to the turn's current assistant message (a new one after a tool round). */
  appendAssistantText(turnId: string, delta: string): void {
    if (delta === '' || this.truncated.has(turnId)) return;
    const last = this.entries[this.entries.length - 1];
    if (last && last.turnId === turnId && last.message.role === 'assistant' && !last.message.toolCalls && !last.hidden) {
      last.message = { role: 'assistant', content: last.message.content + delta };
    } else {
      this.entries.push({ turnId, message: { role: 'assistant', content: delta } });
    }
  }

  /** Records the tool calls the model made; the text streamed just before them joins the same message. */
  addToolCalls(turnId: string, calls: readonly ChatToolCall[]): void {
    if (calls.length === 0) return;
    const last = this.entries[this.entries.length - 1];
    if (last && last.turnId === turnId && last.message.role === 'assistant' && !last.message.toolCalls && !last.hidden) {
      last.message = { role: 'assistant', content: last.message.content, toolCalls: [...calls] };
    } else {
      this.entries.push({ turnId, message: { role: 'assistant', content: '', toolCalls: [...calls] } });
    }
  }

  /**
   * Text the chain said on its own during the turn (a filler while a slow tool runs): joined to the content
   * of the turn's last assistant message, in the order it was spoken, so that a later `truncateAssistant`
   * counts it like the model's text and drops it if it was not heard.
   */
  addAside(turnId: string, text: string): void {
    if (text === '' || this.truncated.has(turnId)) return;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.turnId !== turnId) break;
      const m = entry.message;
      if (m.role !== 'assistant' || entry.hidden) continue;
      entry.message = { ...m, content: (m.content ?? '') + text };
      return;
    }
    this.entries.push({ turnId, message: { role: 'assistant', content: text } });
  }

  addToolResult(turnId: string, callId: string, content: string): void {
    if (this.answeredIds().has(callId)) return;
    this.entries.push({ turnId, message: { role: 'tool', toolCallId: callId, content } });
  }

  /** The whole assistant text of a turn, across tool rounds. */
  assistantText(turnId: string): string {
    return this.visible()
      .filter((e) => e.turnId === turnId && e.message.role === 'assistant')
      .map((e) => (e.message.role === 'assistant' ? e.message.content : ''))
      .join('');
  }

  /**
   * Cuts the turn's assistant text to what the caller heard. Text is kept in order across the turn's
   * assistant messages until `heardText` is used up; a message left without text is left out unless it
   * carries tool calls (those happened: their results stay, and unanswered ones get an "interrupted"
   * result). Text appended later for the turn is ignored. Calling it again for the same turn (a resumed
   * reply's final report) cuts the text as generated again: the last report wins.
   */
  truncateAssistant(turnId: string, heardText: string): void {
    this.truncated.add(turnId);
    let budget = heardText.trim().length;
    for (const entry of this.entries) {
      const m = entry.message;
      if (entry.turnId !== turnId || m.role !== 'assistant') continue;
      entry.generated ??= m.content;
      const keep = cutToBudget(entry.generated, budget);
      budget -= keep.length;
      if (m.toolCalls) {
        entry.message = { role: 'assistant', content: keep, toolCalls: m.toolCalls };
      } else {
        entry.message = { role: 'assistant', content: keep };
        entry.hidden = keep.trim() === '';
      }
    }
    this.answerDanglingToolCalls();
  }

  /** Answers every tool call that has no result yet (a reply cancelled mid-tool). */
  answerDanglingToolCalls(result: string = INTERRUPTED_TOOL_RESULT): void {
    const answered = this.answeredIds();
    const out: MutableEntry[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      out.push(entry);
      const m = entry.message;
      if (m.role !== 'assistant' || !m.toolCalls) continue;
      // Results must follow their call before anything else; insert missing ones after the existing ones.
      let j = i + 1;
      while (j < this.entries.length && this.entries[j]!.message.role === 'tool') out.push(this.entries[j++]!);
      for (const call of m.toolCalls) {
        if (!answered.has(call.id)) {
          out.push({ turnId: entry.turnId, message: { role: 'tool', toolCallId: call.id, content: result } });
          answered.add(call.id);
        }
      }
      i = j - 1;
    }
    this.entries = out;
  }

  clear(): void {
    this.entries = [];
    this.truncated.clear();
  }

  private visible(): MutableEntry[] {
    return this.entries.filter((e) => !e.hidden);
  }

  private answeredIds(): Set<string> {
    const ids = new Set<string>();
    for (const e of this.entries) if (e.message.role === 'tool') ids.add(e.message.toolCallId);
    return ids;
  }

  private trim(): void {
    const userTurns = [...new Set(this.entries.filter((e) => e.message.role === 'user').map((e) => e.turnId))];
    if (userTurns.length <= this.maxTurns) return;
    const drop = new Set(userTurns.slice(0, userTurns.length - this.maxTurns));
    this.entries = this.entries.filter((e) => !drop.has(e.turnId));
    for (const id of drop) this.truncated.delete(id);
  }
}

/** The start of `text` that fits `budget` characters of heard text, extended to the end of a cut word. */
function cutToBudget(text: string, budget: number): string {
  if (budget <= 0) return '';
  if (text.length <= budget) return text;
  const cut = text.slice(0, budget);
  // Keep the word the cut fell in only when it was (nearly) finished being spoken.
  const rest = text.slice(budget);
  const wordTail = /^\S*/.exec(rest)?.[0] ?? '';
  return wordTail.length <= 1 ? cut + wordTail : cut.trimEnd();
}
