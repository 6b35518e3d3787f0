import type { Conversation } from './conversation.js';
import type { PipelineEvent } from './events.js';

/**
 * Writes what a chain's events say into a history kept outside the chain (e.g. to carry a call to another
 * chain): final transcripts as user turns, finished replies as assistant text, interruptions as cuts to
 * what was heard. `key` maps the event's turn id to the history's (another chain may reuse the ids).
 */
export function recordInHistory(conversation: Conversation, event: PipelineEvent, key: (turnId: string) => string = (id) => id): void {
  if (event.type === 'transcript' && event.final && event.text.trim() !== '') conversation.addUser(key(event.turnId), event.text);
  else if (event.type === 'assistant.done' && event.text !== '') conversation.appendAssistantText(key(event.turnId), event.text);
  else if (event.type === 'interruption') conversation.truncateAssistant(key(event.turnId), event.heardText);
}
