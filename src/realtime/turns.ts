import { onCallerSpeech } from './barge.js';
import { finish, maybeComplete } from './link.js';
import { requestResponse } from './responses.js';
import { useSpeculation } from './speculation.js';
import type { CallState } from './state.js';

/** Caller turns decided by an upstream `vad` (turn detection `none`), and the end of the caller's audio. */

/** The turn a server error belongs to: the reply in flight, else the last caller turn. */
export function activeTurnId(c: CallState): string | undefined {
  return c.activeResponse?.turnId ?? c.lastUserTurn;
}

export function onLocalSpeechStarted(c: CallState, turnId: string, audioMs: number): void {
  c.localTurn = turnId;
  c.uplink.startTurn(audioMs, c.cfg.prePaddingMs);
  onCallerSpeech(c, turnId, audioMs);
}

/** The local turn ended: its audio is committed and a response asked for. */
export function onLocalSpeechEnded(c: CallState, turnId: string): void {
  if (c.localTurn !== turnId) return;
  if (useSpeculation(c, turnId)) return;
  c.uplink.flush();
  c.localTurn = undefined;
  c.commitQueue.push(turnId);
  c.lastUserTurn = turnId;
  c.conn()?.commit();
  requestResponse(c, turnId);
}

/** The caller's audio ended: a turn still open is committed by hand, then the call drains. */
export function onInputComplete(c: CallState): void {
  c.uplink.flush();
  if (c.cfg.serverTurns && c.speechTurn !== undefined) {
    // The caller's audio ended mid-utterance: the server cannot hear the silence, so commit by hand.
    const turnId = c.speechTurn;
    c.speechTurn = undefined;
    c.lastUserTurn = turnId;
    const end = c.uplink.lastAudioEndMs;
    c.emit({ type: 'speech.ended', turnId, audioMs: end, reason: 'end_of_stream', decidedAudioMs: end });
    c.conn()?.commit();
    requestResponse(c, turnId);
  }
  c.inputDone = true;
  c.drainTimer = c.cfg.scheduler.schedule(() => finish(c), c.cfg.drainTimeoutMs);
  c.subs.push(c.drainTimer);
  maybeComplete(c);
}
