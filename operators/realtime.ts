import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { createResampler, type StreamingResampler } from '../src/audio/resample.js';
import type { AudioFrame, SampleRate } from '../src/audio/frame.js';
import { RxVoiceError, toRxVoiceError, type ErrorCode } from '../src/errors.js';
import { errorEvent, type InterruptionEvent, type PipelineEvent } from '../src/events.js';
import type { PlaybackClock } from '../src/playback.js';
import { realtimeUsage } from '../src/providers/openai/usage.js';
import { AudioDeltaDecoder, encodeAudio } from '../src/providers/openai-realtime/audio.js';
import {
  formatRate,
  type RealtimeAudioFormat,
  type RealtimeConnection,
  type RealtimeItem,
  type RealtimeServerEvent,
  type RealtimeSession,
  type RealtimeSessionConfig,
  type RealtimeTurnDetection,
} from '../src/providers/realtime-types.js';
import type { ToolContext, ToolDefinition } from '../src/tools.js';

/**
 * A function the model may call: any `ToolDefinition` the cascaded chain takes fits. The handler may also
 * return a plain value (handy in marble tests); `context.signal` is aborted when the reply is cancelled
 * or the chain unsubscribed.
 */
export interface RealtimeTool extends Omit<ToolDefinition, 'handler'> {
  /** Method syntax on purpose: its parameters are checked bivariantly, so typed `ToolDefinition<Args>`s fit. */
  handler(args: Record<string, unknown>, context: ToolContext): unknown;
}

/** When caller speech during a reply cuts it (same shape as `bargeIn`'s policy). `false`: never. */
export type RealtimeBargeIn = false | { readonly minSpeechMs?: number; readonly minWords?: number };

export interface RealtimeOptions {
  readonly session: RealtimeSession;
  readonly instructions?: string;
  /** `text` (default, the seed: a TTS downstream speaks it) or `audio` (the model's own audio is emitted). */
  readonly output?: 'text' | 'audio';
  /** Wire input format: PCM16 24 kHz (default) or G.711 8 kHz for telephony. */
  readonly inputFormat?: RealtimeAudioFormat;
  readonly voice?: string;
  /** Input transcription model (default `gpt-4o-mini-transcribe`); `false`: no input transcripts. */
  readonly transcriptionModel?: string | false;
  readonly language?: string;
  /**
   * `server_vad` (default) / `semantic_vad`: the server decides turns and the operator numbers them
   * `turn-1`, `turn-2`... itself (upstream speech events are dropped). `none`: an upstream `vad` decides;
   * its turn ids are used, and its `speech.ended` commits the buffer and asks for a response.
   */
  readonly turnDetection?: RealtimeTurnDetection;
  readonly tools?: readonly RealtimeTool[];
  /** Audio per `input_audio_buffer.append`, 20-100 ms. Default 40. */
  readonly batchMs?: number;
  /** Default `{}`: any caller speech during a reply cuts it. */
  readonly bargeIn?: RealtimeBargeIn;
  /**
   * Ignore caller speech while the assistant is speaking: no barge-in, and with local turn detection the
   * utterance is not sent at all (with server VAD the server still hears it).
   */
  readonly halfDuplex?: boolean;
  /** Caller speech within this many ms after the reply's audio started is taken for echo: no barge-in. */
  readonly echoGuardMs?: number;
  /** What the caller has heard of each reply (shared with `tts` and the sink). */
  readonly playback?: PlaybackClock;
  /**
   * `interruption` events from downstream (`tts`, when the reply's text is spoken by a TTS): the
   * assistant item on the server is cut to the heard text so the model remembers only what was heard.
   */
  readonly interruptions?: Observable<InterruptionEvent>;
  /** Reconnect attempts after an unexpected close before giving up with an error event. Default 3. */
  readonly maxReconnects?: number;
  /** First reconnect delay (doubles each attempt). Default 250 ms. */
  readonly reconnectDelayMs?: number;
  /** After the input ends, how long to wait for outstanding replies before closing. Default 20 000 ms. */
  readonly drainTimeoutMs?: number;
  /**
   * Open a fresh session (restored like a reconnect) at the first quiet moment after this long, before the
   * server's limit (OpenAI: 60 minutes) ends it mid-sentence. Default 55 minutes; 0 disables.
   */
  readonly renewAfterMs?: number;
  /**
   * A reply that was asked for (or is streaming) and then gets no server event for this long is treated
   * like a dropped socket: reconnect, restore, ask again. Default 15 000 ms; 0 disables.
   */
  readonly stallTimeoutMs?: number;
  /** With `turnDetection: none`, audio kept before `speech.started` is sent with the turn. Default 300 ms. */
  readonly prePaddingMs?: number;
  readonly scheduler?: SchedulerLike;
}

interface Batch {
  readonly startMs: number;
  readonly endMs: number;
  readonly samples: Int16Array;
}

interface ResponseState {
  readonly id: string;
  readonly turnId: string;
  text: string;
  /** Characters / samples of a replayed reply already emitted before a reconnect: skipped. */
  skipChars: number;
  skipSamples: number;
  audioItemId?: string;
  audioSamples: number;
  decoder?: AudioDeltaDecoder;
  cancelled: boolean;
  readonly calls: Set<string>;
  done: boolean;
}

interface HistoryEntry {
  readonly turnId: string;
  item: RealtimeItem;
  serverId?: string;
  /** A user turn whose transcript has not arrived: its audio, replayed as an audio item on restore. */
  audio?: Batch[];
}

interface TurnReply {
  /** Text emitted downstream for the turn, across its responses. */
  text: string;
  audioMs: number;
  audioSeq: number;
  doneEmitted: boolean;
  cancelled: boolean;
}

const IGNORED_ERRORS = new Set(['response_cancel_not_active', 'conversation_already_has_active_response']);

/**
 * Talks to a realtime speech model (OpenAI / Azure gpt-realtime) over one session per subscription.
 * Caller audio streams up as it arrives; transcripts, reply text, reply audio, tool calls and turn
 * boundaries come back as pipeline events. Other events pass through untouched.
 *
 * ```
 * in:   a-a-a-a-a-a-a-a-a-a---------------|        a audio.in (server VAD decides turns)
 * out:  a-a-S-a-a-a-E-a-a-a--T--x-x-x-D---|        S speech.started, E speech.ended, T transcript,
 *                                                   x assistant.text / assistant.audio, D assistant.done
 * ```
 *
 * Barge-in: caller speech during a reply sends `response.cancel`, emits `reply.cancel` (so `tts` stops)
 * and, when the model's own audio is played, `conversation.item.truncate` with the ms actually played and
 * an `interruption` event. An unexpected close reconnects, restores instructions, tools and the
 * conversation so far, and resends the audio of the turn not yet committed; the 60-minute session limit
 * reconnects the same way without a visible error.
 */
export function realtime(options: RealtimeOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const inputFormat = options.inputFormat ?? 'pcm16';
  const wireRate = formatRate(inputFormat);
  const output = options.output ?? 'text';
  const batchMs = Math.min(100, Math.max(20, options.batchMs ?? 40));
  const batchSamples = Math.round((wireRate * batchMs) / 1000);
  const bargeIn: RealtimeBargeIn = options.bargeIn ?? {};
  const turnDetection: RealtimeTurnDetection = withBargeInDefaults(
    options.turnDetection ?? { type: 'server_vad' },
    bargeIn,
    options.halfDuplex === true || (options.echoGuardMs ?? 0) > 0,
  );
  const serverTurns = turnDetection.type !== 'none';
  const createResponse = turnDetection.type === 'none' ? false : turnDetection.createResponse ?? true;
  const maxReconnects = options.maxReconnects ?? 3;
  const reconnectDelayMs = options.reconnectDelayMs ?? 250;
  const drainTimeoutMs = options.drainTimeoutMs ?? 20_000;
  const renewAfterMs = options.renewAfterMs ?? 55 * 60_000;
  const prePaddingMs = options.prePaddingMs ?? 300;
  const stallTimeoutMs = options.stallTimeoutMs ?? 15_000;
  const tools = options.tools ?? [];
  const transcriptionModel = options.transcriptionModel === undefined ? 'gpt-4o-mini-transcribe' : options.transcriptionModel;
  const config: RealtimeSessionConfig = {
    ...(options.instructions !== undefined ? { instructions: options.instructions } : {}),
    output,
    inputFormat,
    ...(options.voice ? { voice: options.voice } : {}),
    ...(transcriptionModel
      ? { transcription: { model: transcriptionModel, ...(options.language ? { language: options.language } : {}) } }
      : {}),
    turnDetection,
    tools: tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters })),
  };

  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const emit = (event: PipelineEvent): void => subscriber.next(event);
      const subs: Subscription[] = [];

      // ---- connection state ----
      let connection: RealtimeConnection | undefined;
      let connectionSub: Subscription | undefined;
      let connBaseMs = 0;
      let attempts = 0;
      let fatal = false;
      let fatalCode: ErrorCode = 'connection';
      /** Turns already named in an utteranceLost error after giving up (each named once). */
      let lostNamed = new Set<string>();
      let closed = false;

      // ---- audio state ----
      let resampler: StreamingResampler | undefined;
      let resamplerRate = 0;
      let batchParts: Int16Array[] = [];
      let batchLen = 0;
      let batchStartMs = 0;
      let lastAudioEndMs = 0;
      /** Audio sent since the last commit (resent after a reconnect). */
      let uncommitted: Batch[] = [];
      /** Recent audio before a local turn starts (turnDetection none). */
      let ring: Batch[] = [];
      let localTurn: string | undefined;

      // ---- turn / reply state ----
      let turnCounter = 0;
      const itemTurn = new Map<string, string>();
      let speechTurn: string | undefined;
      let speechStartedAudioMs = 0;
      let lastUserTurn: string | undefined;
      let nextResponseTurn: string | undefined;
      const commitQueue: string[] = [];
      const awaitingResponse = new Set<string>();
      const responses = new Map<string, ResponseState>();
      let activeResponse: ResponseState | undefined;
      let replyTurn: string | undefined;
      const replies = new Map<string, TurnReply>();
      const pendingCalls = new Set<string>();
      const toolAborts = new Map<string, { turnId: string; abort: AbortController }>();
      let resumeAfterDrop: { turnId: string; skipChars: number; skipSamples: number } | undefined;
      let bargeCandidate: { turnId: string; byTurnId: string; startMs: number } | undefined;
      const history: HistoryEntry[] = [];
      const itemPrevious = new Map<string, string | null>();
      const transcripts = new Map<string, string>();
      let inputDone = false;
      let drainTimer: Subscription | undefined;

      const reply = (turnId: string): TurnReply => {
        let r = replies.get(turnId);
        if (!r) {
          r = { text: '', audioMs: 0, audioSeq: 0, doneEmitted: false, cancelled: false };
          replies.set(turnId, r);
          if (replies.size > 64) replies.delete(replies.keys().next().value as string);
        }
        return r;
      };

      const fail = (code: ErrorCode, message: string, turnId?: string, retryable = false, utteranceLost?: boolean): void => {
        emit(errorEvent(new RxVoiceError({ code, stage: 'realtime', message, retryable }), turnId, utteranceLost));
      };
      // A server `error` during a response is followed by `response.done` (failed): one error event, not two.
      let errorReportedFor: string | undefined;

      const lostAfterGivingUp = (turnId: string) =>
        errorEvent(
          { code: fatalCode, stage: 'realtime', message: 'The realtime session is unavailable (the chain gave up), so this utterance was not heard', retryable: false },
          turnId,
          true,
        );
      const send: RealtimeConnection['send'] = (event) => (connection && !fatal ? connection.send(event) : false);

      // ---- connection life ----
      let renewTimer: Subscription | undefined;
      let renewDue = false;

      const connect = (restore: boolean): void => {
        if (closed || fatal) return;
        renewTimer?.unsubscribe();
        renewDue = false;
        if (renewAfterMs > 0) {
          renewTimer = scheduler.schedule(() => {
            renewDue = true;
            maybeRenew();
          }, renewAfterMs);
          subs.push(renewTimer);
        }
        connBaseMs = uncommitted[0]?.startMs ?? (serverTurns ? lastAudioEndMs : 0);
        const conn = options.session.connect(config);
        connection = conn;
        connectionSub = conn.events.subscribe({
          next: (event) => {
            onServerEvent(event);
            armStallTimer();
            maybeRenew();
          },
          error: (err: unknown) => onDrop(toRxVoiceError(err, 'realtime', 'connection')),
          complete: () => {
            if (!closed) onDrop(new RxVoiceError({ code: 'connection', stage: 'realtime', retryable: true, message: 'Realtime session ended' }));
          },
        });
        if (restore) restoreSession();
      };

      const restoreSession = (): void => {
        for (const entry of history) {
          const item = entry.item;
          if (entry.audio && item.type === 'message' && item.role === 'user') {
            // Transcript never arrived: the model still hears what the caller said.
            const samples = concat(entry.audio.map((b) => b.samples));
            if (samples.length === 0) continue;
            const audio = encodeAudio(samples, inputFormat);
            send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_audio', audio }] } });
            continue;
          }
          if (item.type === 'message' && item.content.every((c) => 'text' in c && c.text === '')) continue;
          send({ type: 'conversation.item.create', item });
        }
        for (const batch of uncommitted) send({ type: 'input_audio_buffer.append', audio: encodeAudio(batch.samples, inputFormat) });
        if (!serverTurns && commitQueue.length > 0) send({ type: 'input_audio_buffer.commit' });
        const turnToAnswer = resumeAfterDrop?.turnId ?? [...awaitingResponse][0];
        if (turnToAnswer && !reply(turnToAnswer).cancelled && pendingCalls.size === 0) requestResponse(turnToAnswer);
      };

      /** Swaps in a fresh session while nothing is in flight (no speech, reply, tool call or commit). */
      const maybeRenew = (): void => {
        if (!renewDue || closed || fatal || !connection) return;
        if (speechTurn !== undefined || localTurn !== undefined || outstanding()) return;
        const old = connectionSub;
        connectionSub = undefined;
        connection = undefined;
        old?.unsubscribe();
        connect(true);
      };

      /** While a reply is awaited from the server (not from a tool handler), silence is bounded. */
      let stallTimer: Subscription | undefined;
      const armStallTimer = (): void => {
        stallTimer?.unsubscribe();
        stallTimer = undefined;
        if (stallTimeoutMs <= 0 || closed || fatal || !connection) return;
        if (pendingCalls.size > 0 || (activeResponse === undefined && awaitingResponse.size === 0)) return;
        stallTimer = scheduler.schedule(() => {
          stallTimer = undefined;
          const stalled = connectionSub;
          if (!stalled || closed) return;
          connectionSub = undefined;
          stalled.unsubscribe();
          onDrop(new RxVoiceError({ code: 'timeout', stage: 'realtime', retryable: true, message: `The realtime server sent nothing for ${stallTimeoutMs} ms while a reply was due` }));
        }, stallTimeoutMs);
      };

      const onDrop = (err: RxVoiceError): void => {
        stallTimer?.unsubscribe();
        stallTimer = undefined;
        connectionSub = undefined;
        connection = undefined;
        if (closed) return;
        if (activeResponse && !activeResponse.done && !activeResponse.cancelled) {
          resumeAfterDrop = { turnId: activeResponse.turnId, skipChars: activeResponse.text.length, skipSamples: activeResponse.audioSamples };
          awaitingResponse.add(activeResponse.turnId);
        }
        activeResponse = undefined;
        const expired = err.code === 'session_expired';
        if (!err.retryable || (!expired && attempts >= maxReconnects)) {
          fatal = true;
          const message = err.retryable ? `${err.message}; gave up after ${attempts} reconnect attempts` : err.message;
          const code = err.code === 'timeout' ? 'timeout' : err.retryable ? 'connection' : err.code;
          fatalCode = code;
          // Every utterance in flight without a final transcript is named as lost, never left silent.
          const lost = [...new Set([...commitQueue, ...awaitingResponse, speechTurn, localTurn, lastUserTurn])].filter(
            (t): t is string => t !== undefined && !transcripts.has(t),
          );
          const first = lost[0];
          emit(errorEvent({ code, stage: 'realtime', message, retryable: false }, first ?? lastUserTurn, first === undefined ? undefined : true));
          for (const turnId of lost.slice(1)) emit(lostAfterGivingUp(turnId));
          lostNamed = new Set(lost);
          maybeComplete();
          return;
        }
        const delay = expired ? 0 : reconnectDelayMs * 2 ** attempts;
        if (!expired) attempts++;
        subs.push(scheduler.schedule(() => connect(true), delay));
      };

      // ---- caller audio ----
      const onAudio = (frame: AudioFrame): void => {
        if (resamplerRate !== frame.sampleRate) {
          resampler = frame.sampleRate === wireRate ? undefined : createResampler(frame.sampleRate, wireRate);
          resamplerRate = frame.sampleRate;
        }
        let samples: Int16Array;
        try {
          samples = resampler ? resampler.push(frame.samples) : frame.samples;
        } catch (err) {
          const e = toRxVoiceError(err, 'audio', 'unsupported_sample_rate');
          emit(errorEvent(e));
          return;
        }
        const startMs = frame.startMs;
        const endMs = frame.startMs + (frame.samples.length * 1000) / frame.sampleRate;
        lastAudioEndMs = Math.max(lastAudioEndMs, endMs);
        if (serverTurns || localTurn !== undefined) {
          addToBatch(samples, startMs);
        } else {
          ring.push({ startMs, endMs, samples });
          while (ring.length > 0 && ring[0]!.endMs < endMs - 2000) ring.shift();
        }
        checkBargeCandidate();
      };

      const addToBatch = (samples: Int16Array, startMs: number): void => {
        if (batchLen === 0) batchStartMs = startMs;
        batchParts.push(samples);
        batchLen += samples.length;
        if (batchLen >= batchSamples) flushBatch();
      };

      const flushBatch = (): void => {
        if (batchLen === 0) return;
        const samples = concat(batchParts);
        batchParts = [];
        batchLen = 0;
        const batch: Batch = { startMs: batchStartMs, endMs: batchStartMs + (samples.length * 1000) / wireRate, samples };
        uncommitted.push(batch);
        if (serverTurns && speechTurn === undefined) {
          // Between turns only the recent past can become part of the next one (prefix padding).
          while (uncommitted.length > 1 && uncommitted[0]!.endMs < batch.endMs - 1500) uncommitted.shift();
        }
        send({ type: 'input_audio_buffer.append', audio: encodeAudio(samples, inputFormat) });
      };

      // ---- local turn detection (turnDetection: none) ----
      /** Local turns dropped by half duplex: their speech events are swallowed and their audio not sent. */
      const ignoredTurns = new Set<string>();

      const onLocalSpeechStarted = (turnId: string, audioMs: number): void => {
        localTurn = turnId;
        for (const b of ring) if (b.endMs > audioMs - prePaddingMs) addToBatch(b.samples, b.startMs);
        ring = [];
        onCallerSpeech(turnId, audioMs);
      };

      const onLocalSpeechEnded = (turnId: string): void => {
        if (localTurn !== turnId) return;
        flushBatch();
        localTurn = undefined;
        commitQueue.push(turnId);
        lastUserTurn = turnId;
        send({ type: 'input_audio_buffer.commit' });
        requestResponse(turnId);
      };

      const requestResponse = (turnId: string): void => {
        nextResponseTurn = turnId;
        awaitingResponse.add(turnId);
        send({ type: 'response.create' });
        armStallTimer();
      };

      // ---- barge-in ----
      const replyActive = (turnId: string): boolean => {
        const r = replies.get(turnId);
        if (r?.cancelled) return false;
        if (activeResponse && !activeResponse.cancelled && activeResponse.turnId === turnId) return true;
        if (awaitingResponse.has(turnId) || [...pendingCalls].length > 0) return true;
        const playback = options.playback;
        if (!playback) return false;
        if (playback.isActive(turnId)) return true;
        // A finished text reply a TTS downstream has not started speaking yet is still active.
        return r !== undefined && r.doneEmitted && r.text.trim() !== '' && !playback.isComplete(turnId) && playback.emittedMs(turnId) === 0;
      };

      const onCallerSpeech = (byTurnId: string, audioMs: number): void => {
        const turnId = replyTurn;
        if (!turnId || turnId === byTurnId || bargeIn === false || !replyActive(turnId)) return;
        if (options.halfDuplex) return;
        const startedAt = options.playback?.startedAt(turnId);
        if (options.echoGuardMs && startedAt !== undefined && scheduler.now() - startedAt < options.echoGuardMs) return;
        bargeCandidate = { turnId, byTurnId, startMs: audioMs };
        checkBargeCandidate();
      };

      const checkBargeCandidate = (words?: number): void => {
        const c = bargeCandidate;
        if (!c || bargeIn === false) return;
        const minSpeechMs = bargeIn.minSpeechMs ?? 0;
        const longEnough = minSpeechMs <= 0 || lastAudioEndMs - c.startMs >= minSpeechMs;
        const enoughWords = (bargeIn.minWords ?? 0) === 0 || (words ?? 0) >= (bargeIn.minWords ?? 0);
        if (!longEnough || !enoughWords) return;
        bargeCandidate = undefined;
        if (replyActive(c.turnId)) cancelReply(c.turnId, c.byTurnId, 'barge_in', true);
      };

      const cancelReply = (turnId: string, byTurnId: string, reason: 'barge_in' | 'new_turn', announce: boolean): void => {
        const r = reply(turnId);
        if (r.cancelled) return;
        r.cancelled = true;
        awaitingResponse.delete(turnId);
        if (resumeAfterDrop?.turnId === turnId) resumeAfterDrop = undefined;
        if (activeResponse && activeResponse.turnId === turnId && !activeResponse.done) {
          activeResponse.cancelled = true;
          send({ type: 'response.cancel' });
        }
        for (const res of responses.values()) if (res.turnId === turnId) res.cancelled = true;
        // Handlers still running for the cut reply are told; their results still answer the calls.
        for (const { turnId: t, abort } of toolAborts.values()) if (t === turnId) abort.abort();
        if (announce) emit({ type: 'reply.cancel', turnId, byTurnId, reason });
        if (output === 'audio') {
          const played = Math.floor(options.playback ? options.playback.cut(turnId) : r.audioMs);
          const audioRes = [...responses.values()].filter((x) => x.turnId === turnId && x.audioItemId).pop();
          if (audioRes?.audioItemId) {
            const itemMs = Math.floor((audioRes.audioSamples * 1000) / formatRate(inputFormat));
            send({ type: 'conversation.item.truncate', item_id: audioRes.audioItemId, content_index: 0, audio_end_ms: Math.min(played, itemMs) });
          }
          const heardText = heardShare(r.text, played, r.audioMs);
          setAssistantHistory(turnId, heardText);
          emit({ type: 'interruption', turnId, byTurnId, playedMs: Math.min(played, Math.round(r.audioMs)), heardText });
        }
      };

      /** Text-output replies: downstream says what was heard; the server's item is cut to it. */
      const onInterruption = (event: InterruptionEvent): void => {
        if (output !== 'text') return;
        const entry = [...history].reverse().find((e) => e.turnId === event.turnId && e.item.type === 'message' && e.item.role === 'assistant');
        const heard = event.heardText.trim();
        if (entry?.serverId) {
          send({ type: 'conversation.item.delete', item_id: entry.serverId });
          if (heard !== '') {
            const previous = itemPrevious.get(entry.serverId);
            send({
              type: 'conversation.item.create',
              ...(previous ? { previous_item_id: previous } : {}),
              item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: heard }] },
            });
          }
        }
        setAssistantHistory(event.turnId, heard);
      };

      const setAssistantHistory = (turnId: string, text: string): void => {
        for (let i = history.length - 1; i >= 0; i--) {
          const e = history[i]!;
          if (e.turnId === turnId && e.item.type === 'message' && e.item.role === 'assistant') {
            e.item = { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] };
            return;
          }
        }
        if (text !== '') history.push({ turnId, item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] } });
      };

      // ---- server events ----
      const turnOfItem = (event: RealtimeServerEvent): string | undefined => {
        const id = str(event.item_id);
        return id ? itemTurn.get(id) : undefined;
      };

      const onServerEvent = (event: RealtimeServerEvent): void => {
        // Only real progress proves the session works: a server that accepts sockets but never answers
        // must still run out of attempts.
        if (/^(response\.|input_audio_buffer\.|conversation\.item\.input_audio_transcription\.)/.test(event.type)) attempts = 0;
        switch (event.type) {
          case 'session.created':
          case 'session.updated':
            return;
          case 'input_audio_buffer.speech_started': {
            if (!serverTurns) return;
            const itemId = str(event.item_id);
            const audioMs = connBaseMs + num(event.audio_start_ms);
            if (speechTurn !== undefined) {
              // The same utterance heard again after a reconnect (its audio was resent).
              if (itemId) itemTurn.set(itemId, speechTurn);
              return;
            }
            const turnId = `turn-${++turnCounter}`;
            speechTurn = turnId;
            speechStartedAudioMs = audioMs;
            if (itemId) itemTurn.set(itemId, turnId);
            emit({ type: 'speech.started', turnId, audioMs });
            onCallerSpeech(turnId, audioMs);
            return;
          }
          case 'input_audio_buffer.speech_stopped': {
            if (!serverTurns) return;
            const turnId = turnOfItem(event) ?? speechTurn;
            if (!turnId) return;
            const audioMs = Math.max(speechStartedAudioMs, connBaseMs + num(event.audio_end_ms));
            speechTurn = undefined;
            bargeCandidate = undefined;
            lastUserTurn = turnId;
            if (createResponse) awaitingResponse.add(turnId);
            emit({ type: 'speech.ended', turnId, audioMs, reason: 'silence', decidedAudioMs: Math.max(audioMs, lastAudioEndMs) });
            return;
          }
          case 'input_audio_buffer.committed': {
            const itemId = str(event.item_id);
            const turnId = serverTurns ? (turnOfItem(event) ?? lastUserTurn) : commitQueue.shift();
            if (!turnId) return;
            if (itemId) itemTurn.set(itemId, turnId);
            // The committed audio now belongs to the turn's user item (kept until its transcript arrives).
            const audio = uncommitted;
            uncommitted = [];
            const text = transcripts.get(turnId) ?? '';
            history.push({
              turnId,
              item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
              ...(itemId ? { serverId: itemId } : {}),
              ...(text === '' && transcriptionModel ? { audio } : {}),
            });
            return;
          }
          case 'conversation.item.added': {
            const item = event.item as { id?: unknown } | undefined;
            const id = str(item?.id);
            const previous = event.previous_item_id;
            if (id) itemPrevious.set(id, typeof previous === 'string' ? previous : null);
            return;
          }
          case 'conversation.item.input_audio_transcription.delta': {
            const turnId = turnOfItem(event);
            if (!turnId) return;
            const text = (transcripts.get(turnId) ?? '') + str(event.delta);
            transcripts.set(turnId, text);
            emit({ type: 'transcript', turnId, text, final: false });
            countWords(turnId, text);
            return;
          }
          case 'conversation.item.input_audio_transcription.completed': {
            const turnId = turnOfItem(event);
            if (!turnId) return;
            const text = str(event.transcript);
            transcripts.set(turnId, text);
            // GA transcription events carry no language; the hint stands in when one was given.
            const language = str(event.language) || options.language || '';
            const entry = history.find((e) => e.turnId === turnId && e.item.type === 'message' && e.item.role === 'user');
            if (entry) {
              entry.item = { type: 'message', role: 'user', content: [{ type: 'input_text', text }] };
              delete entry.audio;
            }
            emit({ type: 'transcript', turnId, text, final: true, ...(language ? { language } : {}) });
            countWords(turnId, text);
            maybeComplete();
            return;
          }
          case 'conversation.item.input_audio_transcription.failed': {
            const turnId = turnOfItem(event);
            for (const e of history) if (e.turnId === turnId) delete e.audio;
            fail('provider_error', `Input transcription failed: ${errorText(event)}`, turnId);
            return;
          }
          case 'response.created': {
            const response = event.response as { id?: unknown } | undefined;
            const id = str(response?.id) || `response-${responses.size + 1}`;
            const turnId = nextResponseTurn ?? lastUserTurn ?? 'turn-0';
            nextResponseTurn = undefined;
            awaitingResponse.delete(turnId);
            const state: ResponseState = { id, turnId, text: '', skipChars: 0, skipSamples: 0, audioSamples: 0, cancelled: false, calls: new Set(), done: false };
            if (resumeAfterDrop?.turnId === turnId) {
              state.skipChars = resumeAfterDrop.skipChars;
              state.skipSamples = resumeAfterDrop.skipSamples;
              resumeAfterDrop = undefined;
            }
            responses.set(id, state);
            if (responses.size > 64) responses.delete(responses.keys().next().value as string);
            activeResponse = state;
            if (replyTurn !== turnId && replyTurn !== undefined && replyActive(replyTurn)) cancelReply(replyTurn, turnId, 'new_turn', true);
            replyTurn = turnId;
            if (reply(turnId).cancelled) {
              state.cancelled = true;
              send({ type: 'response.cancel' });
            }
            return;
          }
          case 'response.output_item.added': {
            const res = responseOf(event);
            const item = event.item as { id?: unknown; type?: unknown } | undefined;
            if (res && item?.type === 'message' && output === 'audio') res.audioItemId = str(item.id) || res.audioItemId;
            return;
          }
          case 'response.output_text.delta':
          case 'response.output_audio_transcript.delta': {
            const res = responseOf(event);
            if (!res || res.cancelled) return;
            let delta = str(event.delta);
            res.text += delta;
            if (res.skipChars > 0) {
              const skip = Math.min(res.skipChars, delta.length);
              res.skipChars -= skip;
              delta = delta.slice(skip);
            }
            if (delta === '') return;
            reply(res.turnId).text += delta;
            emit({ type: 'assistant.text', turnId: res.turnId, delta });
            return;
          }
          case 'response.output_audio.delta': {
            const res = responseOf(event);
            if (!res || res.cancelled || output !== 'audio') return;
            if (!res.audioItemId) res.audioItemId = str(event.item_id) || undefined;
            res.decoder ??= new AudioDeltaDecoder(inputFormat);
            let samples = res.decoder.decode(str(event.delta));
            res.audioSamples += samples.length;
            if (res.skipSamples > 0) {
              const skip = Math.min(res.skipSamples, samples.length);
              res.skipSamples -= skip;
              samples = samples.subarray(skip);
            }
            if (samples.length === 0) return;
            const r = reply(res.turnId);
            const rate = formatRate(inputFormat) as SampleRate;
            const frame: AudioFrame = { samples, sampleRate: rate, startMs: r.audioMs, seq: r.audioSeq++ };
            const ms = (samples.length * 1000) / rate;
            r.audioMs += ms;
            options.playback?.emitted(res.turnId, ms);
            emit({ type: 'assistant.audio', turnId: res.turnId, frame });
            return;
          }
          case 'response.function_call_arguments.done': {
            const res = responseOf(event);
            const callId = str(event.call_id);
            if (!callId || pendingCalls.has(callId) || history.some((e) => e.item.type === 'function_call' && e.item.call_id === callId)) return;
            const turnId = res?.turnId ?? lastUserTurn ?? 'turn-0';
            runTool(turnId, callId, str(event.name), str(event.arguments) || '{}', res);
            return;
          }
          case 'response.done': {
            const response = (event.response ?? {}) as { id?: unknown; status?: unknown; usage?: unknown; status_details?: unknown };
            const res = responses.get(str(response.id)) ?? activeResponse;
            if (!res) return;
            res.done = true;
            if (activeResponse === res) activeResponse = undefined;
            const status = str(response.status) || 'completed';
            if (status === 'failed') {
              if (errorReportedFor === res.id) {
                maybeComplete();
                return;
              }
              const details = response.status_details as { error?: { message?: unknown; code?: unknown } } | undefined;
              fail('provider_error', `Realtime response failed: ${str(details?.error?.message) || str(details?.error?.code) || 'unknown error'}`, res.turnId);
              maybeComplete();
              return;
            }
            if (res.cancelled || status === 'cancelled') {
              maybeComplete();
              return;
            }
            if (res.text !== '') history.push({ turnId: res.turnId, item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: res.text }] }, ...assistantItemId(event) });
            if (res.calls.size > 0) {
              continueAfterTools(res);
              return;
            }
            const r = reply(res.turnId);
            r.doneEmitted = true;
            // The model's audio is all here: the clock can tell when it has played out.
            if (output === 'audio') options.playback?.markComplete(res.turnId);
            const usage = realtimeUsage(response.usage);
            emit({
              type: 'assistant.done',
              turnId: res.turnId,
              text: r.text,
              ...(usage ? { usage } : {}),
              finishReason: status,
            });
            maybeComplete();
            return;
          }
          case 'rate_limits.updated': {
            const limits = Array.isArray(event.rate_limits) ? (event.rate_limits as { name?: unknown; remaining?: unknown; limit?: unknown; reset_seconds?: unknown }[]) : [];
            const detail: Record<string, number> = {};
            for (const l of limits) {
              const name = str(l.name);
              if (!name) continue;
              detail[`${name}_remaining`] = num(l.remaining);
              detail[`${name}_limit`] = num(l.limit);
              detail[`${name}_reset_s`] = num(l.reset_seconds);
            }
            emit({ type: 'metric', turnId: replyTurn ?? lastUserTurn ?? 'turn-0', name: 'rate_limits', valueMs: 0, atMs: scheduler.now(), detail });
            return;
          }
          case 'error': {
            const error = (event.error ?? {}) as { code?: unknown };
            const code = str(error.code);
            if (IGNORED_ERRORS.has(code)) return;
            if (code === 'input_audio_buffer_commit_empty') {
              const turnId = serverTurns ? lastUserTurn : commitQueue.shift();
              if (turnId) {
                awaitingResponse.delete(turnId);
                reply(turnId).cancelled = true;
              }
              fail('bad_audio', `The realtime server found too little audio to commit: ${errorText(event)}`, turnId, false, true);
              return;
            }
            errorReportedFor = activeResponse?.id;
            fail('provider_error', `Realtime server error: ${errorText(event)}`, activeResponse?.turnId ?? lastUserTurn);
            return;
          }
          case 'client.protocol_error':
            fail('protocol', str(event.message) || 'Unparseable realtime message', activeResponse?.turnId);
            return;
          default:
            return;
        }
      };

      const countWords = (turnId: string, text: string): void => {
        if (bargeCandidate?.byTurnId === turnId) checkBargeCandidate(text.trim() === '' ? 0 : text.trim().split(/\s+/).length);
      };

      const responseOf = (event: RealtimeServerEvent): ResponseState | undefined => {
        const id = str(event.response_id);
        return (id ? responses.get(id) : undefined) ?? activeResponse;
      };

      // ---- tools ----
      const runTool = (turnId: string, callId: string, name: string, args: string, res: ResponseState | undefined): void => {
        res?.calls.add(callId);
        pendingCalls.add(callId);
        history.push({ turnId, item: { type: 'function_call', call_id: callId, name, arguments: args } });
        emit({ type: 'tool.call', turnId, callId, name, arguments: args });
        const finish = (outputText: string, isError: boolean): void => {
          toolAborts.delete(callId);
          if (closed) return;
          pendingCalls.delete(callId);
          emit({ type: 'tool.result', turnId, callId, name, output: outputText, isError });
          history.push({ turnId, item: { type: 'function_call_output', call_id: callId, output: outputText } });
          send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output: outputText } });
          if (res?.done) continueAfterTools(res);
          maybeComplete();
        };
        const tool = tools.find((t) => t.name === name);
        if (!tool) {
          finish(JSON.stringify({ error: `unknown tool: ${name}` }), true);
          return;
        }
        const abort = new AbortController();
        toolAborts.set(callId, { turnId, abort });
        let result: unknown;
        try {
          result = tool.handler(JSON.parse(args) as Record<string, unknown>, { turnId, signal: abort.signal });
        } catch (err) {
          finish(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }), true);
          return;
        }
        if (isPromiseLike(result)) {
          result.then(
            (value) => finish(JSON.stringify(value ?? null), false),
            (err: unknown) => finish(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }), true),
          );
        } else {
          finish(JSON.stringify(result ?? null), false);
        }
      };

      /** After a response with tool calls is done and every call is answered, the model speaks again. */
      const continueAfterTools = (res: ResponseState): void => {
        for (const id of res.calls) if (pendingCalls.has(id)) return;
        if (res.calls.size === 0 || reply(res.turnId).cancelled) return;
        res.calls.clear();
        requestResponse(res.turnId);
      };

      // ---- end of input ----
      const outstanding = (): boolean =>
        activeResponse !== undefined ||
        awaitingResponse.size > 0 ||
        pendingCalls.size > 0 ||
        commitQueue.length > 0 ||
        (transcriptionModel !== false && history.some((e) => e.audio !== undefined && !reply(e.turnId).cancelled));

      const maybeComplete = (): void => {
        if (!inputDone || closed) return;
        if (!fatal && outstanding()) return;
        finish();
      };

      const finish = (): void => {
        if (closed) return;
        closed = true;
        drainTimer?.unsubscribe();
        renewTimer?.unsubscribe();
        stallTimer?.unsubscribe();
        connection?.close();
        connectionSub?.unsubscribe();
        subscriber.complete();
      };

      const onInputComplete = (): void => {
        flushBatch();
        if (serverTurns && speechTurn !== undefined) {
          // The caller's audio ended mid-utterance: the server cannot hear the silence, so commit by hand.
          const turnId = speechTurn;
          speechTurn = undefined;
          lastUserTurn = turnId;
          emit({ type: 'speech.ended', turnId, audioMs: lastAudioEndMs, reason: 'end_of_stream', decidedAudioMs: lastAudioEndMs });
          send({ type: 'input_audio_buffer.commit' });
          requestResponse(turnId);
        }
        inputDone = true;
        drainTimer = scheduler.schedule(() => finish(), drainTimeoutMs);
        subs.push(drainTimer);
        maybeComplete();
      };

      connect(false);
      if (options.interruptions) subs.push(options.interruptions.subscribe((e) => onInterruption(e)));
      subs.push(
        source.subscribe({
          next: (event) => {
            switch (event.type) {
              case 'audio.in':
                if (!fatal) onAudio(event.frame);
                emit(event);
                if (renewDue) maybeRenew();
                return;
              case 'speech.started':
                if (serverTurns) return;
                if (options.halfDuplex && replyTurn !== undefined && replyActive(replyTurn)) {
                  ignoredTurns.add(event.turnId);
                  return;
                }
                emit(event);
                onLocalSpeechStarted(event.turnId, event.audioMs);
                return;
              case 'speech.ended':
                if (serverTurns) return;
                if (ignoredTurns.delete(event.turnId)) return;
                emit(event);
                if (fatal) {
                  if (!lostNamed.has(event.turnId)) {
                    lostNamed.add(event.turnId);
                    emit(lostAfterGivingUp(event.turnId));
                  }
                  return;
                }
                onLocalSpeechEnded(event.turnId);
                return;
              case 'reply.cancel':
                emit(event);
                cancelReply(event.turnId, event.byTurnId, event.reason, false);
                return;
              default:
                emit(event);
            }
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => onInputComplete(),
        }),
      );

      return () => {
        closed = true;
        stallTimer?.unsubscribe();
        for (const { abort } of toolAborts.values()) abort.abort();
        for (const s of subs) s.unsubscribe();
        connection?.close();
        connectionSub?.unsubscribe();
      };
    });
}

/** Barge-in decided by the operator (a policy with thresholds, or none) must not be pre-empted by the server. */
function withBargeInDefaults(td: RealtimeTurnDetection, bargeIn: RealtimeBargeIn, guarded: boolean): RealtimeTurnDetection {
  if (td.type === 'none' || td.interruptResponse !== undefined) return td;
  const operatorDecides = guarded || bargeIn === false || (bargeIn.minSpeechMs ?? 0) > 0 || (bargeIn.minWords ?? 0) > 0;
  return { ...td, interruptResponse: !operatorDecides };
}

function assistantItemId(event: RealtimeServerEvent): { serverId?: string } {
  const output = ((event.response as { output?: unknown } | undefined)?.output ?? []) as { id?: unknown; type?: unknown }[];
  const message = Array.isArray(output) ? output.find((o) => o.type === 'message') : undefined;
  const id = str(message?.id);
  return id ? { serverId: id } : {};
}

/** The share of the reply's text heard, proportional to the audio played. */
function heardShare(text: string, playedMs: number, totalMs: number): string {
  if (totalMs <= 0 || playedMs <= 0) return '';
  if (playedMs >= totalMs) return text;
  const cut = Math.floor((text.length * playedMs) / totalMs);
  const head = text.slice(0, cut);
  const wordTail = /^\S*/.exec(text.slice(cut))?.[0] ?? '';
  return (wordTail.length <= 1 ? head + wordTail : head).trimEnd();
}

function concat(parts: readonly Int16Array[]): Int16Array {
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Int16Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function errorText(event: RealtimeServerEvent): string {
  const error = (event.error ?? {}) as { message?: unknown; code?: unknown };
  return [str(error.code), str(error.message)].filter((s) => s !== '').join(': ') || 'unknown error';
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
