import type { AudioFrame, SampleRate } from '../audio/frame.js';
import { formatRate, type RealtimeEvent } from '../providers/realtime-types.js';
import { runToolCall } from '../tool-runner.js';
import { cancelReply, replyActive } from './barge.js';
import { maybeComplete } from './link.js';
import type { CallState, ResponseState } from './state.js';

type Ev<T extends RealtimeEvent['type']> = Extract<RealtimeEvent, { type: T }>;

/** Replies to a turn: the model's responses, their text, audio and tool calls. */
export function requestResponse(c: CallState, turnId: string): void {
  c.nextResponseTurn = turnId;
  c.awaitingResponse.add(turnId);
  // The resilient connection bounds the wait for it (stall timeout).
  c.conn()?.createResponse();
}

export function responseOf(c: CallState, responseId: string | undefined): ResponseState | undefined {
  return (responseId ? c.responses.get(responseId) : undefined) ?? c.activeResponse;
}

export function onResponseStarted(c: CallState, event: Ev<'response.started'>): void {
  const id = event.responseId ?? `response-${c.responses.size + 1}`;
  const turnId = c.nextResponseTurn ?? c.lastUserTurn ?? 'turn-0';
  c.nextResponseTurn = undefined;
  c.awaitingResponse.delete(turnId);
  const state: ResponseState = { id, turnId, text: '', skipChars: 0, skipSamples: 0, audioSamples: 0, cancelled: false, calls: new Set(), done: false };
  if (c.resumeAfterDrop?.turnId === turnId) {
    state.skipChars = c.resumeAfterDrop.skipChars;
    state.skipSamples = c.resumeAfterDrop.skipSamples;
    c.resumeAfterDrop = undefined;
  }
  c.responses.set(id, state);
  if (c.responses.size > 64) c.responses.delete(c.responses.keys().next().value as string);
  c.activeResponse = state;
  if (c.replyTurn !== turnId && c.replyTurn !== undefined && replyActive(c, c.replyTurn)) cancelReply(c, c.replyTurn, turnId, 'new_turn', true);
  c.replyTurn = turnId;
  if (c.reply(turnId).cancelled) {
    state.cancelled = true;
    c.conn()?.cancelResponse();
  }
}

export function onResponseItem(c: CallState, event: Ev<'response.item'>): void {
  const res = responseOf(c, event.responseId);
  if (res && event.kind === 'message' && c.cfg.output === 'audio') res.audioItemId = event.itemId || res.audioItemId;
}

export function onResponseText(c: CallState, event: Ev<'response.text'>): void {
  const res = responseOf(c, event.responseId);
  if (!res || res.cancelled) return;
  let delta = event.delta;
  res.text += delta;
  if (res.skipChars > 0) {
    const skip = Math.min(res.skipChars, delta.length);
    res.skipChars -= skip;
    delta = delta.slice(skip);
  }
  if (delta === '') return;
  c.reply(res.turnId).text += delta;
  c.emit({ type: 'assistant.text', turnId: res.turnId, delta });
}

export function onResponseAudio(c: CallState, event: Ev<'response.audio'>): void {
  const res = responseOf(c, event.responseId);
  if (!res || res.cancelled || c.cfg.output !== 'audio') return;
  if (!res.audioItemId) res.audioItemId = event.itemId;
  let samples = event.samples;
  res.audioSamples += samples.length;
  if (res.skipSamples > 0) {
    const skip = Math.min(res.skipSamples, samples.length);
    res.skipSamples -= skip;
    samples = samples.subarray(skip);
  }
  if (samples.length === 0) return;
  const r = c.reply(res.turnId);
  const rate = formatRate(c.cfg.inputFormat) as SampleRate;
  const frame: AudioFrame = { samples, sampleRate: rate, startMs: r.audioMs, seq: r.audioSeq++ };
  const ms = (samples.length * 1000) / rate;
  r.audioMs += ms;
  c.cfg.playback?.emitted(res.turnId, ms);
  c.emit({ type: 'assistant.audio', turnId: res.turnId, frame });
}

export function onResponseDone(c: CallState, event: Ev<'response.done'>): void {
  const res = (event.responseId ? c.responses.get(event.responseId) : undefined) ?? c.activeResponse;
  if (!res) return;
  res.done = true;
  if (c.activeResponse === res) c.activeResponse = undefined;
  if (event.status === 'failed') {
    if (c.errorReportedFor !== res.id) c.fail('provider_error', `Realtime response failed: ${event.error ?? 'unknown error'}`, res.turnId);
    maybeComplete(c);
    return;
  }
  if (res.cancelled || event.status === 'cancelled') {
    maybeComplete(c);
    return;
  }
  if (res.text !== '') {
    c.history.push({ turnId: res.turnId, item: { type: 'assistant_text', text: res.text }, ...(event.messageItemId ? { serverId: event.messageItemId } : {}) });
  }
  if (res.calls.size > 0) {
    continueAfterTools(c, res);
    return;
  }
  const r = c.reply(res.turnId);
  r.doneEmitted = true;
  // The model's audio is all here: the clock can tell when it has played out.
  if (c.cfg.output === 'audio') c.cfg.playback?.markComplete(res.turnId);
  c.emit({ type: 'assistant.done', turnId: res.turnId, text: r.text, ...(event.usage ? { usage: event.usage } : {}), finishReason: event.status });
  maybeComplete(c);
}

/** The model called a function: run it with the shared runner and give the model its result. */
export function onToolCall(c: CallState, event: Ev<'tool.call'>): void {
  const { callId, name } = event;
  if (c.pendingCalls.has(callId) || c.history.hasToolCall(callId)) return;
  const res = event.responseId ? c.responses.get(event.responseId) ?? c.activeResponse : c.activeResponse;
  const turnId = res?.turnId ?? c.lastUserTurn ?? 'turn-0';
  res?.calls.add(callId);
  c.pendingCalls.add(callId);
  c.history.push({ turnId, item: { type: 'tool_call', callId, name, arguments: event.arguments } });
  c.emit({ type: 'tool.call', turnId, callId, name, arguments: event.arguments });
  const abort = new AbortController();
  c.toolAborts.set(callId, { turnId, abort });
  runToolCall(
    c.cfg.tools.find((t) => t.name === name),
    name,
    event.arguments,
    { turnId, signal: abort.signal },
    ({ output, isError }) => {
      c.toolAborts.delete(callId);
      if (c.closed) return;
      c.pendingCalls.delete(callId);
      c.emit({ type: 'tool.result', turnId, callId, name, output, isError });
      c.history.push({ turnId, item: { type: 'tool_result', callId, output } });
      c.conn()?.sendToolResult(callId, output);
      if (res?.done) continueAfterTools(c, res);
      maybeComplete(c);
    },
  );
}

/** After a response with tool calls is done and every call is answered, the model speaks again. */
function continueAfterTools(c: CallState, res: ResponseState): void {
  for (const id of res.calls) if (c.pendingCalls.has(id)) return;
  if (res.calls.size === 0 || c.reply(res.turnId).cancelled) return;
  res.calls.clear();
  requestResponse(c, res.turnId);
}
