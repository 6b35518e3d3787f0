import { RxVoiceError, toRxVoiceError } from '../errors.js';
import { errorEvent } from '../events.js';
import { onRealtimeEvent } from './dispatch.js';
import { requestResponse } from './responses.js';
import { carrySpeculationAcrossDrop } from './speculation.js';
import type { CallState } from './state.js';

/**
 * The life of the call's connection over any `RealtimeSession`: connect, restore the conversation into
 * a fresh connection, reconnect after a drop (with back-off, a bounded number of times), treat a server
 * that goes silent while a reply is due as a drop (stall), and renew the session at a quiet moment
 * before the provider's cap.
 */
export function connect(c: CallState, restore: boolean): void {
  if (c.closed || c.fatal) return;
  c.renewTimer?.unsubscribe();
  c.renewDue = false;
  if (c.cfg.renewAfterMs > 0) {
    c.renewTimer = c.cfg.scheduler.schedule(() => {
      c.renewDue = true;
      maybeRenew(c);
    }, c.cfg.renewAfterMs);
    c.subs.push(c.renewTimer);
  }
  c.connBaseMs = c.uplink.uncommitted[0]?.startMs ?? (c.cfg.serverTurns ? c.uplink.lastAudioEndMs : 0);
  const connection = c.cfg.session.connect(c.cfg.sessionConfig);
  c.connection = connection;
  c.connectionSub = connection.events.subscribe({
    next: (event) => {
      onRealtimeEvent(c, event);
      armStallTimer(c);
      maybeRenew(c);
    },
    error: (err: unknown) => onDrop(c, toRxVoiceError(err, 'realtime', 'connection')),
    complete: () => {
      if (!c.closed) onDrop(c, new RxVoiceError({ code: 'connection', stage: 'realtime', retryable: true, message: 'Realtime session ended' }));
    },
  });
  if (restore) restoreSession(c);
}

/** A fresh connection gets the conversation so far, the audio not yet committed, and the reply that was due. */
function restoreSession(c: CallState): void {
  const connection = c.conn();
  if (!connection) return;
  c.history.restore(connection);
  c.uplink.resend((samples) => connection.appendAudio(samples));
  if (!c.cfg.serverTurns && c.commitQueue.length > 0) connection.commit();
  const turnToAnswer = c.resumeAfterDrop?.turnId ?? [...c.awaitingResponse][0];
  if (turnToAnswer && !c.reply(turnToAnswer).cancelled && c.pendingCalls.size === 0) requestResponse(c, turnToAnswer);
}

/** Swaps in a fresh session once renewal is due and nothing is in flight (no speech, reply, tool call or commit). */
export function maybeRenew(c: CallState): void {
  if (!c.renewDue || c.closed || c.fatal || !c.connection) return;
  if (c.speechTurn !== undefined || c.localTurn !== undefined || c.outstanding()) return;
  renewNow(c);
}

/** Swaps in a fresh connection now, restored from the history (e.g. to drop a discarded speculation's items). */
export function renewNow(c: CallState): void {
  if (c.closed || c.fatal || !c.connection) return;
  const old = c.connectionSub;
  c.connectionSub = undefined;
  c.connection = undefined;
  old?.unsubscribe();
  connect(c, true);
}

/** While a reply is awaited from the server (not from a tool handler), silence is bounded. */
export function armStallTimer(c: CallState): void {
  c.stallTimer?.unsubscribe();
  c.stallTimer = undefined;
  const stallTimeoutMs = c.cfg.stallTimeoutMs;
  if (stallTimeoutMs <= 0 || c.closed || c.fatal || !c.connection) return;
  if (c.pendingCalls.size > 0 || (c.activeResponse === undefined && c.awaitingResponse.size === 0)) return;
  c.stallTimer = c.cfg.scheduler.schedule(() => {
    c.stallTimer = undefined;
    const stalled = c.connectionSub;
    if (!stalled || c.closed) return;
    c.connectionSub = undefined;
    stalled.unsubscribe();
    onDrop(c, new RxVoiceError({ code: 'timeout', stage: 'realtime', retryable: true, message: `The realtime server sent nothing for ${stallTimeoutMs} ms while a reply was due` }));
  }, stallTimeoutMs);
}

export function lostAfterGivingUp(c: CallState, turnId: string) {
  return errorEvent(
    { code: c.fatalCode, stage: 'realtime', message: 'The realtime session is unavailable (the chain gave up), so this utterance was not heard', retryable: false },
    turnId,
    true,
  );
}

function onDrop(c: CallState, err: RxVoiceError): void {
  c.stallTimer?.unsubscribe();
  c.stallTimer = undefined;
  c.connectionSub = undefined;
  c.connection = undefined;
  if (c.closed) return;
  // Held events died with the connection.
  carrySpeculationAcrossDrop(c);
  const active = c.activeResponse;
  if (active && !active.done && !active.cancelled) {
    c.resumeAfterDrop = { turnId: active.turnId, skipChars: active.text.length, skipSamples: active.audioSamples };
    c.awaitingResponse.add(active.turnId);
  }
  c.activeResponse = undefined;
  const expired = err.code === 'session_expired';
  if (!err.retryable || (!expired && c.attempts >= c.cfg.maxReconnects)) {
    c.fatal = true;
    const message = err.retryable ? `${err.message}; gave up after ${c.attempts} reconnect attempts` : err.message;
    const code = err.code === 'timeout' ? 'timeout' : err.retryable ? 'connection' : err.code;
    c.fatalCode = code;
    // Every utterance in flight without a final transcript is named as lost, never left silent.
    const lost = [...new Set([...c.commitQueue, ...c.awaitingResponse, c.speechTurn, c.localTurn, c.lastUserTurn])].filter(
      (t): t is string => t !== undefined && !c.transcripts.has(t),
    );
    const first = lost[0];
    c.emit(errorEvent({ code, stage: 'realtime', message, retryable: false }, first ?? c.lastUserTurn, first === undefined ? undefined : true));
    for (const turnId of lost.slice(1)) c.emit(lostAfterGivingUp(c, turnId));
    c.lostNamed = new Set(lost);
    maybeComplete(c);
    return;
  }
  const delay = expired ? 0 : c.cfg.reconnectDelayMs * 2 ** c.attempts;
  if (!expired) c.attempts++;
  c.subs.push(c.cfg.scheduler.schedule(() => connect(c, true), delay));
}

/** After the input ended: complete once nothing is outstanding (or the chain gave up). */
export function maybeComplete(c: CallState): void {
  if (!c.inputDone || c.closed) return;
  if (!c.fatal && c.outstanding()) return;
  finish(c);
}

export function finish(c: CallState): void {
  if (c.closed) return;
  c.closed = true;
  c.drainTimer?.unsubscribe();
  c.renewTimer?.unsubscribe();
  c.stallTimer?.unsubscribe();
  c.connection?.close();
  c.connectionSub?.unsubscribe();
  c.complete();
}
