import type { AudioFrame } from './audio/frame.js';
import type { ErrorCode, ErrorStage } from './errors.js';

/**
 * The one vocabulary that flows through every chain. Each operator maps the events it owns and passes
 * the rest on untouched, so operators compose in any order that makes sense.
 *
 * ```
 * caller audio ─► vad ─► chunk ─► transcribe ─► llmStream ─► sentences ─► tts ─► sink
 *  audio.in       speech.*  utterance.chunk  transcript  assistant.text   assistant.audio
 * ```
 *
 * `turnId` names the caller utterance an event belongs to (assigned by `vad`: `turn-1`, `turn-2`, ...);
 * the assistant's reply to that utterance carries the same id, so metrics, logs and history line up.
 */
export type PipelineEvent =
  | AudioInEvent
  | SpeechStartedEvent
  | SpeechEndedEvent
  | SpeechPausedEvent
  | SpeechResumedEvent
  | UtteranceChunkEvent
  | TranscriptEvent
  | AssistantTextEvent
  | ToolCallEvent
  | ToolResultEvent
  | AssistantDoneEvent
  | AssistantAudioEvent
  | ReplyCancelEvent
  | ReplyResumeEvent
  | InterruptionEvent
  | MetricEvent
  | CostEvent
  | DtmfEvent
  | IdlePromptEvent
  | CallEndEvent
  | ToolSlowEvent
  | ErrorEvent;

export type PipelineEventType = PipelineEvent['type'];

/**
 * A key the caller pressed on the phone's keypad (the carrier's DTMF event): one of 0-9, *, #, A-D.
 * Phone transports put these on `PipelineChoice.dtmf`; `collectDigits` turns a run of them into an entry.
 */
export interface DtmfEvent {
  readonly type: 'dtmf';
  readonly digit: string;
  /** Call time (ms since the stream started) when the key press arrived. */
  readonly atMs: number;
  /** How long the key was held, when the carrier says (Vonage, Exotel). */
  readonly durationMs?: number;
}

/** Caller audio, as it arrives. */
export interface AudioInEvent {
  readonly type: 'audio.in';
  readonly frame: AudioFrame;
  /** Set by `vad` while the frame belongs to an utterance. */
  readonly turnId?: string;
}

export interface SpeechStartedEvent {
  readonly type: 'speech.started';
  readonly turnId: string;
  /** Audio time (ms from stream start) where speech began, pre-speech padding excluded. */
  readonly audioMs: number;
}

export type SpeechEndReason = 'silence' | 'max_length' | 'end_of_stream';

export interface SpeechEndedEvent {
  readonly type: 'speech.ended';
  readonly turnId: string;
  /** Audio time where speech ended (the last speech frame, before the end-of-turn silence). */
  readonly audioMs: number;
  readonly reason: SpeechEndReason;
  /**
   * Audio time when the end was decided (`audioMs` + the end-of-turn silence). With audio paced at real
   * time, the wall time of the true end of speech is `now - (decidedAudioMs - audioMs)`.
   */
  readonly decidedAudioMs: number;
}

/**
 * The caller paused inside a turn for the short preemptive pause (shorter than the end-of-turn silence).
 * Chains may start a speculative reply to what was said so far; no reply audio may leave the chain until
 * the turn is decided by `speech.ended`. At most one pause is open per turn: a `speech.resumed` or the
 * `speech.ended` of the same turn closes it.
 */
export interface SpeechPausedEvent {
  readonly type: 'speech.paused';
  readonly turnId: string;
  /** Audio time of the last speech frame before the pause. */
  readonly audioMs: number;
  /** Audio time when the pause was noticed (`audioMs` + the preemptive pause). */
  readonly decidedAudioMs: number;
}

/**
 * The caller went on speaking after a `speech.paused` of the same turn: every speculative request started
 * at that pause is cancelled and leaves no trace; the turn goes on and its next attempt covers the whole
 * utterance.
 */
export interface SpeechResumedEvent {
  readonly type: 'speech.resumed';
  readonly turnId: string;
  /** Audio time where speech resumed. */
  readonly audioMs: number;
}

/** A piece of one utterance's audio, emitted while the caller speaks (what a chunked upload needs). */
export interface UtteranceChunkEvent {
  readonly type: 'utterance.chunk';
  readonly turnId: string;
  /** 0, 1, 2 ... within the utterance. */
  readonly index: number;
  readonly samples: Int16Array;
  readonly sampleRate: AudioFrame['sampleRate'];
  readonly startMs: number;
  /** True on the utterance's last chunk (which may be empty). */
  readonly final: boolean;
}

export interface TranscriptEvent {
  readonly type: 'transcript';
  readonly turnId: string;
  readonly text: string;
  /** Partial transcripts may be revised; the final one is the utterance's text. */
  readonly final: boolean;
  /**
   * A partial that is the whole turn so far, transcribed at a pause (the preemptive request): a turn
   * detector reads it to decide whether the caller is done. The final transcript follows once the turn is
   * decided (the same text, unless the caller spoke again).
   */
  readonly preview?: boolean;
  /** ISO-639-1 code, detected or hinted. */
  readonly language?: string;
}

export interface AssistantTextEvent {
  readonly type: 'assistant.text';
  readonly turnId: string;
  readonly delta: string;
  /**
   * Set by `sentences` on text that ends at a boundary where speech can start; deltas straight from a
   * model have no `segment`.
   */
  readonly segment?: boolean;
  /**
   * Set by `speakable` when `delta` was rewritten for speech ("five dollars"): the model's own text
   * ("$5"), which the history keeps. `heardOriginal` maps what was heard back onto it.
   */
  readonly original?: string;
}

export interface ToolCallEvent {
  readonly type: 'tool.call';
  readonly turnId: string;
  readonly callId: string;
  readonly name: string;
  /** JSON text, as the model produced it. */
  readonly arguments: string;
}

export interface ToolResultEvent {
  readonly type: 'tool.result';
  readonly turnId: string;
  readonly callId: string;
  readonly name: string;
  /** What the model is told: the handler's result as JSON, or the error it threw. */
  readonly output: string;
  readonly isError: boolean;
}

/** What one model request used, as the provider reported it (the parts are included in the totals). */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens served from the provider's prompt cache (billed cheaper). */
  readonly cachedInputTokens?: number;
  /** Input tokens that were audio (realtime models). */
  readonly audioInputTokens?: number;
  /** The cached part of `audioInputTokens`. */
  readonly cachedAudioInputTokens?: number;
  /** Output tokens that were audio (realtime models speaking). */
  readonly audioOutputTokens?: number;
}

/** Sums two usages part by part (a reply made of several requests: tool rounds, retries). */
export function addUsage(a: TokenUsage | undefined, b: TokenUsage): TokenUsage {
  if (!a) return b;
  const sum = (x: number | undefined, y: number | undefined): number | undefined => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const parts = {
    cachedInputTokens: sum(a.cachedInputTokens, b.cachedInputTokens),
    audioInputTokens: sum(a.audioInputTokens, b.audioInputTokens),
    cachedAudioInputTokens: sum(a.cachedAudioInputTokens, b.cachedAudioInputTokens),
    audioOutputTokens: sum(a.audioOutputTokens, b.audioOutputTokens),
  };
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    ...Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)),
  };
}

export interface AssistantDoneEvent {
  readonly type: 'assistant.done';
  readonly turnId: string;
  /** The reply's whole text as generated (what was heard is in `interruption`). */
  readonly text: string;
  readonly usage?: TokenUsage;
  readonly finishReason?: string;
}

export interface AssistantAudioEvent {
  readonly type: 'assistant.audio';
  readonly turnId: string;
  readonly frame: AudioFrame;
  /** Text spoken in this frame, from the synthesizer's alignment, when it has one. */
  readonly text?: string;
}

/**
 * Tells the operators downstream to drop the reply to `turnId` now: `llmStream` aborts its request, `tts`
 * stops and reports what was heard with an `interruption` event. Emitted by the barge-in policy when the
 * caller speaks over a reply, or when a new turn makes a reply stale.
 */
export interface ReplyCancelEvent {
  readonly type: 'reply.cancel';
  readonly turnId: string;
  readonly byTurnId: string;
  readonly reason: 'barge_in' | 'new_turn';
}

/**
 * Undoes a false interruption: the caller's speech that cut the reply to `turnId` turned out to be no
 * words (a cough, an "mhm"), so `tts` speaks the part of that reply the caller has not heard yet.
 * Emitted by `bargeIn`.
 */
export interface ReplyResumeEvent {
  readonly type: 'reply.resume';
  readonly turnId: string;
  /** The caller turn whose speech was a false interruption. */
  readonly byTurnId: string;
}

export interface InterruptionEvent {
  readonly type: 'interruption';
  /** The turn whose reply was cut. */
  readonly turnId: string;
  /** The caller turn that cut it. */
  readonly byTurnId: string;
  /** Reply audio actually played before the cut, in ms. */
  readonly playedMs: number;
  /** The part of the reply the caller heard; history keeps only this. */
  readonly heardText: string;
  /**
   * Set on the report that closes a RESUMED reply (after `reply.resume`): `heardText` is then all the caller
   * heard of the reply across the cut, which is longer than the first report's. The last report wins.
   */
  readonly resumed?: boolean;
}

export type MetricName =
  | 'speech_end' // value: audio time of the end of speech
  | 'transcript_final' // value: ms from end of speech to the final transcript
  | 'llm_first_token' // value: ms from end of speech
  | 'tts_first_byte' // value: ms from end of speech
  | 'first_audio_out' // value: ms from end of speech to the first reply audio leaving the chain
  | 'stage_duration' // value: ms a stage took; `stage` says which
  | 'rate_limits'
  // value: 1; `detail.outcome` is 'started' | 'used' | 'discarded', `detail.stage` the request kind
  | 'speculation'
  // value: the silence (ms) the turn detector asked for; `detail`: done, confidence, reason, detector
  | 'turn_verdict'
  // value: ms until the retry; `stage` the request kind, `detail.code` why, `detail.attempt` the one that failed
  | 'retry';

export interface MetricEvent {
  readonly type: 'metric';
  readonly turnId: string;
  readonly name: MetricName;
  readonly valueMs: number;
  readonly stage?: ErrorStage;
  /** Scheduler time when the metric was taken. */
  readonly atMs: number;
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * What a turn cost, emitted once per turn by `costMeter` (when its reply is done, its utterance lost, or at
 * the end of the call): the usage stage by stage, its price in US dollars, and the call's total so far.
 */
export interface CostEvent {
  readonly type: 'cost';
  readonly turnId: string;
  readonly usage: {
    readonly transcribeAudioSeconds: number;
    readonly reply?: TokenUsage;
    readonly ttsCharacters: number;
  };
  readonly usd: number;
  readonly byStage: { readonly transcribe: number; readonly reply: number; readonly tts: number };
  /** Sum of every turn of the call so far, this one included. */
  readonly callUsd: number;
  /** Models that had usage but no price in the table (their part counts as 0). */
  readonly unpriced?: readonly string[];
}

/**
 * The caller has been silent for `silentMs` since the assistant's last audio finished playing, so the chain
 * asks whether they are still there: the prompt is spoken as a reply of its own, `turnId` (`idle-1`, ...).
 * Emitted by `idlePrompt`, right before the prompt's `assistant.text`.
 */
export interface IdlePromptEvent {
  readonly type: 'idle.prompt';
  /** The prompt's own reply id. */
  readonly turnId: string;
  /** The last caller turn before the silence, when there was one. */
  readonly afterTurnId?: string;
  /** 1 for the first prompt of a silence, 2 for the next... */
  readonly count: number;
  readonly silentMs: number;
  /** Scheduler time of the prompt. */
  readonly atMs: number;
}

/**
 * The chain asks for the call to end once what it is saying now has been heard (a polite hang-up after an
 * idle caller). `rxvoice serve` ends the call as for a spent budget: no new turn, the reply in progress is
 * heard out, the client gets `ended`. A library user ends the input stream.
 */
export interface CallEndEvent {
  readonly type: 'call.end';
  readonly reason: 'idle';
  /** The goodbye's reply id, when one was spoken. */
  readonly turnId?: string;
  readonly atMs: number;
}

/**
 * A tool has not answered within its threshold: `slowToolFiller` speaks a filler for the turn (and a mixer
 * may play a thinking sound) until the turn's `tool.result`.
 */
export interface ToolSlowEvent {
  readonly type: 'tool.slow';
  readonly turnId: string;
  readonly callId: string;
  readonly name: string;
  /** How long the tool had been running when it was declared slow (its threshold). */
  readonly waitedMs: number;
  /** The filler spoken, when one was. */
  readonly filler?: string;
  readonly atMs: number;
}

/** A typed, user-safe error. The chain goes on after it: the next turn still works. */
export interface ErrorEvent {
  readonly type: 'error';
  /** The utterance it affected, when there is one. */
  readonly turnId?: string;
  readonly code: ErrorCode;
  readonly stage: ErrorStage;
  /** Readable, with no secret in it. */
  readonly message: string;
  readonly retryable: boolean;
  /** True when the error ended the utterance without a transcript (the utterance is not lost silently). */
  readonly utteranceLost?: boolean;
}

/** Narrows an event by its `type`, for `filter(isEvent('transcript'))`. */
export function isEvent<T extends PipelineEventType>(type: T) {
  return (event: PipelineEvent): event is Extract<PipelineEvent, { type: T }> => event.type === type;
}

export type EventOf<T extends PipelineEventType> = Extract<PipelineEvent, { type: T }>;

/** A failed request that will be retried after `delayMs` (counted by the server's metrics and the turn log). */
export function retryMetric(turnId: string, stage: ErrorStage, delayMs: number, atMs: number, code: ErrorCode, attempt: number): MetricEvent {
  return { type: 'metric', turnId, name: 'retry', valueMs: delayMs, stage, atMs, detail: { code, attempt } };
}

export type SpeculationOutcome = 'started' | 'used' | 'discarded';

/** A speculative request (started at a `speech.paused`) and what became of it. */
export function speculationMetric(
  turnId: string,
  stage: ErrorStage,
  outcome: SpeculationOutcome,
  atMs: number,
  extra?: Readonly<Record<string, string | number | boolean>>,
): MetricEvent {
  return { type: 'metric', turnId, name: 'speculation', valueMs: 1, stage, atMs, detail: { outcome, stage, ...extra } };
}

/** Builds the `error` event for an error, with its message already free of secrets. */
export function errorEvent(
  err: { code: ErrorCode; stage: ErrorStage; message: string; retryable?: boolean },
  turnId?: string,
  utteranceLost?: boolean,
): ErrorEvent {
  return {
    type: 'error',
    ...(turnId === undefined ? {} : { turnId }),
    code: err.code,
    stage: err.stage,
    message: err.message,
    retryable: err.retryable ?? false,
    ...(utteranceLost === undefined ? {} : { utteranceLost }),
  };
}
