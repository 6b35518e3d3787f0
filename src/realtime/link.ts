import { toRxVoiceError, type RxVoiceError } from '../errors.js';
import { errorEvent } from '../events.js';
import type { RealtimeConnection } from '../providers/realtime-types.js';
import { onRealtimeEvent } from './dispatch.js';
import { resilientSession } from './resilient.js';
import { requestResponse } from './responses.js';
import { carrySpeculationAcrossDrop } from './speculation.js';
import type { CallState } from './state.js';

/**
 * The call's side of the connection: it opens one resilient connection (`resilient.ts`: reconnect, stall,
 * renew over any `RealtimeSession`) and answers its hooks: what to restore into a new connection, what
 * was in flight at a drop, whether a reply is due, whether the call is quiet.
 */
export function connect(c: CallState): void {
  if (c.closed || c.fatal) return;
  const session = resilientSession(
    c.cfg.session,
    {
      scheduler: c.cfg.scheduler,
      maxReconnects: c.cfg.maxReconnects,
      reconnectDelayMs: c.cfg.reconnectDelayMs,
      stallTimeoutMs: c.cfg.stallTimeoutMs,
      renewAfterMs: c.cfg.renewAfterMs,
    },
    {
      opened: (connection, restore) => {
        c.connBaseMs = c.uplink.uncommitted[0]?.startMs ?? (c.cfg.serverTurns ? c.uplink.lastAudioEndMs : 0);
        if (restore) restoreSession(c, connection);
      },
      dropped: (err) => onDrop(c, err),
      replyDue: () => c.pendingCalls.size === 0 && (c.activeResponse !== undefined || c.awaitingResponse.size > 0),
      quiet: () => c.speechTurn === undefined && c.localTurn === undefined && !c.outstanding(),
    },
  );
  const connection = session.connect(c.cfg.sessionConfig);
  c.connection = connection;
  c.connectionSub = connection.events.subscribe({
    next: (event) => onRealtimeEvent(c, event),
    error: (err: unknown) => onGaveUp(c, toRxVoiceError(err, 'realtime', 'connection')),
  });
}

/** A fresh connection gets the conversation so far, the audio not yet committed, and the reply that was due. */
function restoreSession(c: CallState, connection: RealtimeConnection): void {
  if (c.fatal) return;
  c.history.restore(connection);
  c.uplink.resend((samples) => connection.appendAudio(samples));
  if (!c.cfg.serverTurns && c.commitQueue.length > 0) connection.commit();
  const turnToAnswer = c.resumeAfterDrop?.turnId ?? [...c.awaitingResponse][0];
  if (turnToAnswer && !c.reply(turnToAnswer).cancelled && c.pendingCalls.size === 0) requestResponse(c, turnToAnswer);
}

/** Swaps in a fresh connection now, restored from the history (e.g. to drop a discarded speculation's items). */
export function renewNow(c: CallState): void {
  if (!c.closed && !c.fatal) c.connection?.renewNow();
}

export function lostAfterGivingUp(c: CallState, turnId: string) {
  return errorEvent(
    { code: c.fatalCode, stage: 'realtime', message: 'The realtime session is unavailable (the chain gave up), so this utterance was not heard', retryable: false },
    turnId,
    true,
  );
}

/** The connection dropped: a reply cut by it is asked again (its emitted prefix skipped) on the next one. */
function onDrop(c: CallState, _err: RxVoiceError): void {
  if (c.closed) return;
  // Held events died with the connection.
  carrySpeculationAcrossDrop(c);
  const active = c.activeResponse;
  if (active && !active.done && !active.cancelled) {
    c.resumeAfterDrop = { turnId: active.turnId, skipChars: active.text.length, skipSamples: active.audioSamples };
    c.awaitingResponse.add(active.turnId);
  }
  c.activeResponse = undefined;
}

/** The wrapper gave up: every utterance in flight without a final transcript is named as lost, never left silent. */
function onGaveUp(c: CallState, err: RxVoiceError): void {
  c.connectionSub = undefined;
  if (c.closed) return;
  c.fatal = true;
  c.fatalCode = err.code;
  const lost = [...new Set([...c.commitQueue, ...c.awaitingResponse, c.speechTurn, c.localTurn, c.lastUserTurn])].filter(
    (t): t is string => t !== undefined && !c.transcripts.has(t),
  );
  const first = lost[0];
  c.emit(errorEvent({ code: err.code, stage: 'realtime', message: err.message, retryable: false }, first ?? c.lastUserTurn, first === undefined ? undefined : true));
  for (const turnId of lost.slice(1)) c.emit(lostAfterGivingUp(c, turnId));
  c.lostNamed = new Set(lost);
  maybeComplete(c);
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
  c.connection?.close();
  c.connectionSub?.unsubscribe();
  c.complete();
}
