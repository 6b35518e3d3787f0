import type { RealtimeEvent } from '../providers/realtime-types.js';
import { countTranscriptWords, onCallerSpeech } from './barge.js';
import { maybeComplete } from './link.js';
import { activeTurnId } from './turns.js';
import { onResponseAudio, onResponseDone, onResponseItem, onResponseStarted, onResponseText, onToolCall } from './responses.js';
import { interceptSpeculation } from './speculation.js';
import type { CallState } from './state.js';

/** Neutral session events -> the call's bookkeeping and pipeline events. */
export function onRealtimeEvent(c: CallState, event: RealtimeEvent): void {
  if (interceptSpeculation(c, event)) return;
  switch (event.type) {
    case 'session.ready':
      return;
    case 'speech.started': {
      if (!c.cfg.serverTurns) return;
      const audioMs = c.connBaseMs + event.audioMs;
      if (c.speechTurn !== undefined) {
        // The same utterance heard again after a reconnect (its audio was resent).
        if (event.itemId) c.itemTurn.set(event.itemId, c.speechTurn);
        return;
      }
      const turnId = `turn-${++c.turnCounter}`;
      c.speechTurn = turnId;
      c.speechStartedAudioMs = audioMs;
      if (event.itemId) c.itemTurn.set(event.itemId, turnId);
      c.emit({ type: 'speech.started', turnId, audioMs });
      onCallerSpeech(c, turnId, audioMs);
      return;
    }
    case 'speech.stopped': {
      if (!c.cfg.serverTurns) return;
      const turnId = (event.itemId ? c.itemTurn.get(event.itemId) : undefined) ?? c.speechTurn;
      if (!turnId) return;
      const audioMs = Math.max(c.speechStartedAudioMs, c.connBaseMs + event.audioMs);
      c.speechTurn = undefined;
      c.bargeCandidate = undefined;
      c.lastUserTurn = turnId;
      if (c.cfg.createResponse) c.awaitingResponse.add(turnId);
      c.emit({ type: 'speech.ended', turnId, audioMs, reason: 'silence', decidedAudioMs: Math.max(audioMs, c.uplink.lastAudioEndMs) });
      return;
    }
    case 'input.committed': {
      const itemId = event.itemId;
      const turnId = c.cfg.serverTurns ? (itemId ? c.itemTurn.get(itemId) : undefined) ?? c.lastUserTurn : c.commitQueue.shift();
      if (!turnId) return;
      if (itemId) c.itemTurn.set(itemId, turnId);
      // The committed audio now belongs to the turn's user item (kept until its transcript arrives).
      const audio = c.uplink.takeCommitted();
      const text = c.transcripts.get(turnId) ?? '';
      c.history.push({
        turnId,
        item: { type: 'user_text', text },
        ...(itemId ? { serverId: itemId } : {}),
        ...(text === '' && c.cfg.transcription ? { audio } : {}),
      });
      return;
    }
    case 'item.added':
      c.history.previous.set(event.itemId, event.previousItemId);
      return;
    case 'input.transcript.delta': {
      const turnId = c.itemTurn.get(event.itemId);
      if (!turnId) return;
      const text = (c.transcripts.get(turnId) ?? '') + event.delta;
      c.transcripts.set(turnId, text);
      c.emit({ type: 'transcript', turnId, text, final: false });
      countTranscriptWords(c, turnId, text);
      return;
    }
    case 'input.transcript.done': {
      const turnId = c.itemTurn.get(event.itemId);
      if (!turnId) return;
      c.transcripts.set(turnId, event.text);
      // Some servers send no language; the hint stands in when one was given.
      const language = event.language || c.cfg.language || '';
      c.history.setUserText(turnId, event.text);
      c.emit({ type: 'transcript', turnId, text: event.text, final: true, ...(language ? { language } : {}) });
      countTranscriptWords(c, turnId, event.text);
      maybeComplete(c);
      return;
    }
    case 'input.transcript.failed': {
      const turnId = event.itemId ? c.itemTurn.get(event.itemId) : undefined;
      c.history.dropAudio(turnId);
      c.fail('provider_error', `Input transcription failed: ${event.message}`, turnId);
      return;
    }
    case 'response.started':
      onResponseStarted(c, event);
      return;
    case 'response.item':
      onResponseItem(c, event);
      return;
    case 'response.text':
      onResponseText(c, event);
      return;
    case 'response.audio':
      onResponseAudio(c, event);
      return;
    case 'tool.call':
      onToolCall(c, event);
      return;
    case 'response.done':
      onResponseDone(c, event);
      return;
    case 'rate_limits': {
      const detail: Record<string, number> = {};
      for (const l of event.limits) {
        detail[`${l.name}_remaining`] = l.remaining;
        detail[`${l.name}_limit`] = l.limit;
        detail[`${l.name}_reset_s`] = l.resetSeconds;
      }
      c.emit({ type: 'metric', turnId: c.replyTurn ?? c.lastUserTurn ?? 'turn-0', name: 'rate_limits', valueMs: 0, atMs: c.cfg.scheduler.now(), detail });
      return;
    }
    case 'error':
      onError(c, event);
      return;
  }
}

function onError(c: CallState, event: Extract<RealtimeEvent, { type: 'error' }>): void {
  if (event.code === 'commit_empty') {
    const turnId = c.cfg.serverTurns ? c.lastUserTurn : c.commitQueue.shift();
    if (turnId) {
      c.awaitingResponse.delete(turnId);
      c.reply(turnId).cancelled = true;
    }
    c.fail('bad_audio', `The realtime server found too little audio to commit: ${event.message}`, turnId, false, true);
    return;
  }
  if (event.code === 'protocol') {
    c.fail('protocol', event.message, c.activeResponse?.turnId);
    return;
  }
  c.errorReportedFor = c.activeResponse?.id;
  c.fail('provider_error', `Realtime server error: ${event.message}`, activeTurnId(c));
}
