import { speculationMetric } from '../events.js';
import type { RealtimeEvent } from '../providers/realtime-types.js';
import { onRealtimeEvent } from './dispatch.js';
import type { HistoryEntry } from './history.js';
import { renewNow } from './link.js';
import type { Batch } from './uplink.js';
import { requestResponse } from './responses.js';
import type { CallState } from './state.js';

/**
 * Preemptive replies for locally decided turns. At the vad's `speech.paused` the input so far is committed
 * and a response asked for, while every session event that follows is held (no text or audio leaves the
 * operator; the committed item's transcript leaves only as a `preview`). At `speech.ended` the held events are replayed: the reply is already on its way.
 * At `speech.resumed` the response is cancelled and the committed user item and the response's items are
 * deleted, so nothing stays in the conversation; the input is cleared and all of the turn's audio sent
 * again (a committed item cannot be re-opened), so the next commit covers the whole utterance.
 *
 * ```
 * vad:      S----P~~~~~~E          S started, P paused, E ended (the turn is decided)
 * session:       c r x x x         c commit + response.create at P; x held events
 * out:      S----P------E(xxx)     held events leave at E
 *
 * vad:      S----P~~~~~E           with a turn detector: the committed item's transcript leaves at once
 * session:       c r t x x         as a preview (t -> p); a "done" verdict ends the turn at once
 * out:      S----P--p--E(xxx)
 *
 * vad:      S----P~~R----E         R resumed
 * session:       c r  (cancel, delete items, clear, re-append)  c r at E for the whole utterance
 * ```
 */
export interface Speculation {
  readonly turnId: string;
  /** Uncommitted batches at the commit (later ones are audio after the pause). */
  committedCount: number;
  readonly previousUserTurn: string | undefined;
  held: RealtimeEvent[];
  /** The reply's first text, audio or tool call is held (waiting longer for the turn's end now costs latency). */
  replyHeld?: boolean;
  /** The connection dropped after the commit: the committed audio went into the history (restored as an item). */
  carried?: { readonly entry: HistoryEntry; readonly audio: Batch[] };
}

/** What is left to remove of a discarded speculation whose events are still coming. */
export interface Discarded {
  /** The user item is not yet committed: delete it when it is. */
  awaitingCommit: boolean;
  /** The response is not yet over: cancel it when it starts, delete its items, drop its events. */
  awaitingResponseDone: boolean;
  responseId: string | undefined;
  readonly itemIds: Set<string>;
}

/** Starts a speculative reply at the pause, when the call is otherwise idle (one speculation at a time). */
export function onSpeechPaused(c: CallState, turnId: string): void {
  const connection = c.conn();
  if (!connection || c.localTurn !== turnId || c.speculation || c.discarded) return;
  if (c.commitQueue.length > 0 || c.activeResponse || c.awaitingResponse.size > 0 || c.pendingCalls.size > 0) return;
  c.uplink.flush();
  if (c.uplink.uncommitted.length === 0) return;
  c.speculation = { turnId, committedCount: c.uplink.uncommitted.length, previousUserTurn: c.lastUserTurn, held: [] };
  c.emit(speculationMetric(turnId, 'realtime', 'started', c.cfg.scheduler.now()));
  c.commitQueue.push(turnId);
  c.lastUserTurn = turnId;
  connection.commit();
  requestResponse(c, turnId);
}

/** The caller went on: the speculative reply and user item are removed, and the audio goes up again. */
export function onSpeechResumed(c: CallState, turnId: string): void {
  const spec = c.speculation;
  if (!spec || spec.turnId !== turnId) return;
  c.speculation = undefined;
  c.emit(speculationMetric(turnId, 'realtime', 'discarded', c.cfg.scheduler.now()));
  const index = c.commitQueue.lastIndexOf(turnId);
  if (index >= 0) c.commitQueue.splice(index, 1);
  c.awaitingResponse.delete(turnId);
  c.nextResponseTurn = undefined;
  c.lastUserTurn = spec.previousUserTurn;
  if (spec.carried) {
    // The user item was restored into this connection by the history: a fresh one without it is cleaner
    // than finding it, and the turn's audio goes up again in order.
    const at = c.history.entries.indexOf(spec.carried.entry);
    if (at >= 0) c.history.entries.splice(at, 1);
    c.uplink.uncommitted.unshift(...spec.carried.audio);
    c.activeResponse = undefined;
    renewNow(c);
    return;
  }
  const discarded: Discarded = { awaitingCommit: true, awaitingResponseDone: true, responseId: undefined, itemIds: new Set() };
  c.discarded = discarded;
  for (const event of spec.held) discardEvent(c, event);
  const connection = c.conn();
  if (connection) {
    connection.clearInput();
    c.uplink.resend((samples) => connection.appendAudio(samples));
  }
  settleDiscarded(c);
}

/** The turn ended while speculating: the held reply is the turn's reply. True when the speculation was used. */
export function useSpeculation(c: CallState, turnId: string): boolean {
  const spec = c.speculation;
  if (!spec || spec.turnId !== turnId) return false;
  c.emit(speculationMetric(turnId, 'realtime', 'used', c.cfg.scheduler.now()));
  c.uplink.flush();
  if (c.uplink.uncommitted.length > spec.committedCount) {
    // Only silence came after the pause: it must not start the next turn's input.
    c.conn()?.clearInput();
    c.uplink.dropAfter(spec.committedCount);
  }
  c.localTurn = undefined;
  c.speculation = undefined;
  for (const event of spec.held) onRealtimeEvent(c, event);
  return true;
}

/**
 * The connection dropped mid-speculation. Committed already: the committed audio becomes the turn's user
 * item in the history (restored into the next connection like any committed turn, so it is not heard
 * twice) and the reply is asked again there, still held. Not yet committed: the turn goes on as if no
 * pause had happened.
 */
export function carrySpeculationAcrossDrop(c: CallState): void {
  const spec = c.speculation;
  c.discarded = undefined;
  if (!spec) return;
  const committed = spec.held.find((e): e is Extract<RealtimeEvent, { type: 'input.committed' }> => e.type === 'input.committed');
  if (committed) {
    const index = c.commitQueue.lastIndexOf(spec.turnId);
    if (index >= 0) c.commitQueue.splice(index, 1);
    const audio = c.uplink.uncommitted.splice(0, spec.committedCount);
    const itemId = committed.itemId;
    const transcript = spec.held.find((e) => e.type === 'input.transcript.done' && e.itemId === itemId);
    const text = transcript?.type === 'input.transcript.done' ? transcript.text : '';
    const entry: HistoryEntry = { turnId: spec.turnId, item: { type: 'user_text', text }, ...(text === '' && c.cfg.transcription ? { audio } : {}) };
    c.history.push(entry);
    if (itemId) c.itemTurn.set(itemId, spec.turnId);
    // The transcript still leaves only when the turn is decided; the response died with the connection.
    spec.held = spec.held.filter((e) => e.type === 'input.transcript.delta' || e.type === 'input.transcript.done');
    spec.committedCount = 0;
    spec.carried = { entry, audio };
    c.awaitingResponse.add(spec.turnId);
    c.nextResponseTurn = undefined;
    return;
  }
  c.speculation = undefined;
  c.emit(speculationMetric(spec.turnId, 'realtime', 'discarded', c.cfg.scheduler.now()));
  const index = c.commitQueue.lastIndexOf(spec.turnId);
  if (index >= 0) c.commitQueue.splice(index, 1);
  c.awaitingResponse.delete(spec.turnId);
  c.nextResponseTurn = undefined;
  c.lastUserTurn = spec.previousUserTurn;
}

/** True when the event belongs to a speculation (held, or dropped as part of a discarded one). */
export function interceptSpeculation(c: CallState, event: RealtimeEvent): boolean {
  if (event.type === 'session.ready' || event.type === 'rate_limits' || event.type === 'item.added') return false;
  if (c.speculation) {
    const spec = c.speculation;
    spec.held.push(event);
    previewTranscript(c, spec, event);
    if (!spec.replyHeld && (event.type === 'response.text' || event.type === 'response.audio' || event.type === 'tool.call')) {
      spec.replyHeld = true;
      c.cfg.onReplyHeld?.(spec.turnId);
    }
    return true;
  }
  if (c.discarded && belongsToDiscarded(c.discarded, event)) {
    discardEvent(c, event);
    settleDiscarded(c);
    return true;
  }
  return false;
}

/**
 * The committed item's input transcript is the turn so far: it leaves at once as a `preview` transcript (a
 * turn detector reads it to end the turn early); the held copy becomes the final transcript when the turn
 * is decided.
 */
function previewTranscript(c: CallState, spec: Speculation, event: RealtimeEvent): void {
  if (!c.cfg.previewTranscripts || event.type !== 'input.transcript.done') return;
  const committed = spec.held.find((e) => e.type === 'input.committed');
  if (committed?.type !== 'input.committed' || committed.itemId !== event.itemId) return;
  const language = event.language || c.cfg.language || '';
  c.emit({ type: 'transcript', turnId: spec.turnId, text: event.text, final: false, preview: true, ...(language ? { language } : {}) });
}

function belongsToDiscarded(d: Discarded, event: RealtimeEvent): boolean {
  switch (event.type) {
    case 'input.committed':
      return d.awaitingCommit;
    case 'input.transcript.delta':
    case 'input.transcript.done':
      return d.itemIds.has(event.itemId);
    case 'input.transcript.failed':
      return event.itemId !== undefined && d.itemIds.has(event.itemId);
    case 'response.started':
      return d.awaitingResponseDone && d.responseId === undefined;
    case 'response.item':
    case 'response.text':
    case 'response.audio':
    case 'tool.call':
    case 'response.done':
      return d.awaitingResponseDone && (event.responseId === undefined || event.responseId === d.responseId);
    default:
      return false;
  }
}

/** Removes what one event of a discarded speculation put on the session. */
function discardEvent(c: CallState, event: RealtimeEvent): void {
  const d = c.discarded;
  const connection = c.conn();
  if (!d) return;
  switch (event.type) {
    case 'input.committed':
      d.awaitingCommit = false;
      if (event.itemId) {
        d.itemIds.add(event.itemId);
        connection?.deleteItem(event.itemId);
      }
      return;
    case 'response.started':
      d.responseId = event.responseId ?? '';
      connection?.cancelResponse(event.responseId);
      return;
    case 'response.item':
      d.itemIds.add(event.itemId);
      connection?.deleteItem(event.itemId);
      return;
    case 'response.done':
      d.awaitingResponseDone = false;
      if (event.messageItemId && !d.itemIds.has(event.messageItemId)) {
        d.itemIds.add(event.messageItemId);
        connection?.deleteItem(event.messageItemId);
      }
      return;
    default:
      return;
  }
}

/** The discarded speculation is gone from the session once its commit and its response are both seen. */
function settleDiscarded(c: CallState): void {
  const d = c.discarded;
  // Late transcripts of the deleted user item need no filter: the item was never given a turn.
  if (d && !d.awaitingCommit && !d.awaitingResponseDone) c.discarded = undefined;
}
