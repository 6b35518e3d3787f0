import { bargeInMet } from '../bargein-policy.js';
import type { InterruptionEvent } from '../events.js';
import { formatRate } from '../providers/realtime-types.js';
import type { CallState } from './state.js';

/**
 * Barge-in for the realtime chain, with the shared policy (src/bargein-policy.ts): caller speech during a
 * reply cuts it once it met the policy; the cut reply is cancelled on the session, and the model keeps
 * only what the caller heard of it.
 */

/** Whether the turn's reply is still going: asked for, streaming, running tools, or playing. */
export function replyActive(c: CallState, turnId: string): boolean {
  const r = c.replies.get(turnId);
  if (r?.cancelled) return false;
  const active = c.activeResponse;
  if (active && !active.cancelled && active.turnId === turnId) return true;
  if (c.awaitingResponse.has(turnId) || c.pendingCalls.size > 0) return true;
  const playback = c.cfg.playback;
  if (!playback) return false;
  if (playback.isActive(turnId)) return true;
  // A finished text reply a TTS downstream has not started speaking yet is still active.
  return r !== undefined && r.doneEmitted && r.text.trim() !== '' && !playback.isComplete(turnId) && playback.emittedMs(turnId) === 0;
}

/** Caller speech (turn `byTurnId`) started at `audioMs`: a barge-in candidate if a reply is active. */
export function onCallerSpeech(c: CallState, byTurnId: string, audioMs: number): void {
  const turnId = c.replyTurn;
  if (!turnId || turnId === byTurnId || !c.cfg.bargeIn.enabled || !replyActive(c, turnId)) return;
  if (c.cfg.halfDuplex) return;
  const startedAt = c.cfg.playback?.startedAt(turnId);
  if (c.cfg.echoGuardMs > 0 && startedAt !== undefined && c.cfg.scheduler.now() - startedAt < c.cfg.echoGuardMs) return;
  c.bargeCandidate = { turnId, byTurnId, startMs: audioMs };
  checkBargeCandidate(c);
}

/** Re-checks the candidate against the policy (on new audio, or a transcript with `words` words). */
export function checkBargeCandidate(c: CallState, words?: number): void {
  const candidate = c.bargeCandidate;
  if (!candidate) return;
  const t = c.cfg.bargeIn;
  // Words only count once a transcript said them; a policy without minWords needs none.
  if (!bargeInMet(t, c.uplink.lastAudioEndMs - candidate.startMs, t.minWords === 0 ? 0 : words ?? 0)) return;
  c.bargeCandidate = undefined;
  if (replyActive(c, candidate.turnId)) cancelReply(c, candidate.turnId, candidate.byTurnId, 'barge_in', true);
}

export function countTranscriptWords(c: CallState, turnId: string, text: string): void {
  if (c.bargeCandidate?.byTurnId === turnId) checkBargeCandidate(c, text.trim() === '' ? 0 : text.trim().split(/\s+/).length);
}

/** Cuts the turn's reply: the response is cancelled, tools told, and (model audio) the item truncated to what was played. */
export function cancelReply(c: CallState, turnId: string, byTurnId: string, reason: 'barge_in' | 'new_turn', announce: boolean): void {
  const r = c.reply(turnId);
  if (r.cancelled) return;
  r.cancelled = true;
  c.awaitingResponse.delete(turnId);
  if (c.resumeAfterDrop?.turnId === turnId) c.resumeAfterDrop = undefined;
  const active = c.activeResponse;
  if (active && active.turnId === turnId && !active.done) {
    active.cancelled = true;
    c.conn()?.cancelResponse();
  }
  for (const res of c.responses.values()) if (res.turnId === turnId) res.cancelled = true;
  // Handlers still running for the cut reply are told; their results still answer the calls.
  for (const { turnId: t, abort } of c.toolAborts.values()) if (t === turnId) abort.abort();
  if (announce) c.emit({ type: 'reply.cancel', turnId, byTurnId, reason });
  if (c.cfg.output !== 'audio') return;
  const played = Math.floor(c.cfg.playback ? c.cfg.playback.cut(turnId) : r.audioMs);
  const audioRes = [...c.responses.values()].filter((x) => x.turnId === turnId && x.audioItemId).pop();
  if (audioRes?.audioItemId) {
    const itemMs = Math.floor((audioRes.audioSamples * 1000) / formatRate(c.cfg.inputFormat));
    c.conn()?.truncate(audioRes.audioItemId, Math.min(played, itemMs));
  }
  const heardText = heardShare(r.text, played, r.audioMs);
  c.history.setAssistant(turnId, heardText);
  c.emit({ type: 'interruption', turnId, byTurnId, playedMs: Math.min(played, Math.round(r.audioMs)), heardText });
}

/** Text-output replies: downstream says what was heard; the session's item is replaced by it. */
export function onInterruption(c: CallState, event: InterruptionEvent): void {
  if (c.cfg.output !== 'text') return;
  const entry = c.history.lastAssistant(event.turnId);
  const heard = event.heardText.trim();
  if (entry?.serverId) {
    const connection = c.conn();
    connection?.deleteItem(entry.serverId);
    if (heard !== '') connection?.addItem({ type: 'assistant_text', text: heard }, c.history.previous.get(entry.serverId) ?? undefined);
  }
  c.history.setAssistant(event.turnId, heard);
}

/** The share of the reply's text heard, proportional to the audio played. */
export function heardShare(text: string, playedMs: number, totalMs: number): string {
  if (totalMs <= 0 || playedMs <= 0) return '';
  if (playedMs >= totalMs) return text;
  const cut = Math.floor((text.length * playedMs) / totalMs);
  const head = text.slice(0, cut);
  const wordTail = /^\S*/.exec(text.slice(cut))?.[0] ?? '';
  return (wordTail.length <= 1 ? head + wordTail : head).trimEnd();
}
