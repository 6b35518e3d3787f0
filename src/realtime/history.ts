import type { RealtimeConnection, RealtimeItem } from '../providers/realtime-types.js';
import { concatSamples } from '../audio/pcm.js';
import type { Batch } from './uplink.js';

export interface HistoryEntry {
  readonly turnId: string;
  item: RealtimeItem;
  /** The provider's id of the item, when it has one. */
  serverId?: string;
  /** A user turn whose transcript has not arrived: its audio, replayed as an audio item on restore. */
  audio?: Batch[];
}

/**
 * The conversation as the chain knows it (what the caller said, what was heard of each reply, tool
 * exchanges): restored into a fresh session after a reconnect or a renewal.
 */
export class RealtimeHistory {
  readonly entries: HistoryEntry[] = [];
  /** Item id -> the item before it (to put a heard-text replacement back in place). */
  readonly previous = new Map<string, string | null>();

  push(entry: HistoryEntry): void {
    this.entries.push(entry);
  }

  hasToolCall(callId: string): boolean {
    return this.entries.some((e) => e.item.type === 'tool_call' && e.item.callId === callId);
  }

  /** A user turn's transcript arrived: it replaces the audio kept for the turn. */
  setUserText(turnId: string, text: string): void {
    const entry = this.entries.find((e) => e.turnId === turnId && (e.item.type === 'user_text' || e.item.type === 'user_audio'));
    if (!entry) return;
    entry.item = { type: 'user_text', text };
    delete entry.audio;
  }

  dropAudio(turnId: string | undefined): void {
    for (const e of this.entries) if (e.turnId === turnId) delete e.audio;
  }

  lastAssistant(turnId: string): HistoryEntry | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i]!;
      if (e.turnId === turnId && e.item.type === 'assistant_text') return e;
    }
    return undefined;
  }

  /** The turn's assistant message now says `text` (what was heard). */
  setAssistant(turnId: string, text: string): void {
    const entry = this.lastAssistant(turnId);
    if (entry) entry.item = { type: 'assistant_text', text };
    else if (text !== '') this.entries.push({ turnId, item: { type: 'assistant_text', text } });
  }

  /** True while some turn still waits for its transcript (and is not cancelled). */
  awaitingTranscript(cancelled: (turnId: string) => boolean): boolean {
    return this.entries.some((e) => e.audio !== undefined && !cancelled(e.turnId));
  }

  /** Writes the conversation into a fresh connection. */
  restore(connection: RealtimeConnection): void {
    for (const entry of this.entries) {
      const item = entry.item;
      if (entry.audio && item.type === 'user_text') {
        // Transcript never arrived: the model still hears what the caller said.
        const samples = concatSamples(entry.audio.map((b) => b.samples));
        if (samples.length > 0) connection.addItem({ type: 'user_audio', samples });
        continue;
      }
      if ((item.type === 'user_text' || item.type === 'assistant_text') && item.text === '') continue;
      connection.addItem(item);
    }
  }
}
