import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { bargeInThresholds, chainDecidesBargeIn, type BargeInPolicy } from '../src/bargein-policy.js';
import { errorEvent, type InterruptionEvent, type PipelineEvent } from '../src/events.js';
import type { PlaybackClock } from '../src/playback.js';
import {
  formatRate,
  type RealtimeAudioFormat,
  type RealtimeSession,
  type RealtimeSessionConfig,
  type RealtimeTurnDetection,
} from '../src/providers/realtime-types.js';
import { cancelReply, checkBargeCandidate, onInterruption, replyActive } from '../src/realtime/barge.js';
import { connect, lostAfterGivingUp } from '../src/realtime/link.js';
import { CallState, type CallConfig } from '../src/realtime/state.js';
import { onSpeechPaused, onSpeechResumed } from '../src/realtime/speculation.js';
import { onInputComplete, onLocalSpeechEnded, onLocalSpeechStarted } from '../src/realtime/turns.js';
import { AudioUplink } from '../src/realtime/uplink.js';
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

/** When caller speech during a reply cuts it: the policy `bargeIn` applies too. `false`: never. */
export type RealtimeBargeIn = BargeInPolicy;

export interface RealtimeOptions {
  readonly session: RealtimeSession;
  readonly instructions?: string;
  /** `text` (default, the seed: a TTS downstream speaks it) or `audio` (the model's own audio is emitted). */
  readonly output?: 'text' | 'audio';
  /** Wire input format: PCM16 24 kHz (default) or G.711 8 kHz for telephony. */
  readonly inputFormat?: RealtimeAudioFormat;
  readonly voice?: string;
  /** Input transcription model (default: the session's `defaultTranscriptionModel`); `false`: no input transcripts. */
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
   * provider's cap (`session.maxSessionMs`) ends it mid-reply. Default: the
   * cap less 5 minutes (55 minutes when the session names no cap); 0 disables.
   */
  readonly renewAfterMs?: number;
  /**
   * A reply that was asked for (or is streaming) and then gets no server event for this long is treated
   * like a dropped socket: reconnect, restore, ask again. Default 15 000 ms; 0 disables.
   */
  readonly stallTimeoutMs?: number;
  /** With `turnDetection: none`, audio kept before `speech.started` is sent with the turn. Default 300 ms. */
  readonly prePaddingMs?: number;
  /**
   * Local turns (turn detection `none`): at the vad's `speech.paused` commit what was said and ask for the
   * reply, holding everything it sends until `speech.ended`; `speech.resumed` removes it without a trace.
   * Counted as `speculation` metrics. Default true (it acts only when the vad reports pauses).
   */
  readonly preemptive?: boolean;
  /**
   * With `preemptive`: the input transcript of the pause's commit leaves at once as a `transcript` with
   * `preview: true` (for a `turnDetector` after this operator); the final transcript still waits for the
   * turn's end. Default false.
   */
  readonly previewTranscripts?: boolean;
  /**
   * With `preemptive`: called once per speculative reply when its first text, audio or tool call is held,
   * i.e. the reply is ready and only the end of the turn keeps it (give it to `turnDetector({ replyReady })`).
   */
  readonly onReplyHeld?: (turnId: string) => void;
  readonly scheduler?: SchedulerLike;
}

/** Renew this long before the provider's cap. */
const RENEW_MARGIN_MS = 5 * 60_000;

/**
 * Talks to a realtime speech model through a vendor-neutral `RealtimeSession`, one connection per
 * subscription. Caller audio streams up as it arrives; transcripts, reply text, reply audio, tool calls
 * and turn boundaries come back as pipeline events. Other events pass through untouched.
 *
 * ```
 * in:   a-a-a-a-a-a-a-a-a-a---------------|        a audio.in (server VAD decides turns)
 * out:  a-a-S-a-a-a-E-a-a-a--T--x-x-x-D---|        S speech.started, E speech.ended, T transcript,
 *                                                   x assistant.text / assistant.audio, D assistant.done
 *
 * in:   S-a-a-P-a-a-E--------|                      local turns, preemptive: P speech.paused commits and
 * out:  S-a-a-P-a-a-E(Txx)D--|                      asks; the reply is held until E (a speech.resumed
 *                                                   instead removes it from the session)
 * ```
 *
 * Barge-in (the shared policy): caller speech during a reply cancels the response, emits `reply.cancel`
 * (so `tts` stops) and, when the model's own audio is played, truncates the item to the ms actually
 * played and emits an `interruption`. A dropped connection reconnects and restores instructions, tools,
 * the conversation so far and the audio of the turn not yet committed; the session is renewed the same
 * way at a quiet moment before the provider's cap. The bookkeeping lives in `src/realtime/`.
 */
export function realtime(options: RealtimeOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const cfg = resolve(options);
  const wireRate = formatRate(cfg.inputFormat);
  const batchMs = Math.min(100, Math.max(20, options.batchMs ?? 40));

  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      let c: CallState | undefined;
      const uplink = new AudioUplink({
        wireRate,
        batchMs,
        append: (samples) => void c?.conn()?.appendAudio(samples),
        betweenTurns: () => cfg.serverTurns && c?.speechTurn === undefined,
      });
      const call = new CallState(cfg, (e) => subscriber.next(e), () => subscriber.complete(), uplink);
      c = call;

      const onAudio = (event: Extract<PipelineEvent, { type: 'audio.in' }>): void => {
        if (!call.fatal) {
          const err = uplink.push(event.frame, cfg.serverTurns || call.localTurn !== undefined);
          if (err) call.emit(errorEvent(err));
          else checkBargeCandidate(call);
        }
        call.emit(event);
        if (call.connection?.renewDue) call.connection.checkRenewal();
      };

      connect(call);
      if (options.interruptions) call.subs.push(options.interruptions.subscribe((e: InterruptionEvent) => onInterruption(call, e)));
      call.subs.push(
        source.subscribe({
          next: (event) => {
            switch (event.type) {
              case 'audio.in':
                onAudio(event);
                return;
              case 'speech.started':
                if (cfg.serverTurns) return;
                if (cfg.halfDuplex && call.replyTurn !== undefined && replyActive(call, call.replyTurn)) {
                  call.ignoredTurns.add(event.turnId);
                  return;
                }
                call.emit(event);
                onLocalSpeechStarted(call, event.turnId, event.audioMs);
                return;
              case 'speech.ended':
                if (cfg.serverTurns) return;
                if (call.ignoredTurns.delete(event.turnId)) return;
                call.emit(event);
                if (call.fatal) {
                  if (!call.lostNamed.has(event.turnId)) {
                    call.lostNamed.add(event.turnId);
                    call.emit(lostAfterGivingUp(call, event.turnId));
                  }
                  return;
                }
                onLocalSpeechEnded(call, event.turnId);
                return;
              case 'speech.paused':
                call.emit(event);
                if (cfg.preemptive && !cfg.serverTurns && !call.fatal) onSpeechPaused(call, event.turnId);
                return;
              case 'speech.resumed':
                call.emit(event);
                onSpeechResumed(call, event.turnId);
                return;
              case 'reply.cancel':
                call.emit(event);
                cancelReply(call, event.turnId, event.byTurnId, event.reason, false);
                return;
              default:
                call.emit(event);
            }
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => onInputComplete(call),
        }),
      );

      return () => {
        call.closed = true;
        for (const { abort } of call.toolAborts.values()) abort.abort();
        for (const s of call.subs) s.unsubscribe();
        call.connection?.close();
        call.connectionSub?.unsubscribe();
      };
    });
}

/** Options -> values, and the session configuration the provider applies. */
function resolve(options: RealtimeOptions): CallConfig {
  const inputFormat = options.inputFormat ?? 'pcm16';
  const output = options.output ?? 'text';
  const bargeIn = bargeInThresholds(options.bargeIn);
  const guarded = options.halfDuplex === true || (options.echoGuardMs ?? 0) > 0;
  const turnDetection = withBargeInDefaults(options.turnDetection ?? { type: 'server_vad' }, chainDecidesBargeIn(bargeIn, guarded));
  const tools = options.tools ?? [];
  const transcriptionModel = options.transcriptionModel ?? options.session.defaultTranscriptionModel ?? false;
  const cap = options.session.maxSessionMs;
  const sessionConfig: RealtimeSessionConfig = {
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
  return {
    session: options.session,
    sessionConfig,
    scheduler: options.scheduler ?? asyncScheduler,
    inputFormat,
    output,
    serverTurns: turnDetection.type !== 'none',
    createResponse: turnDetection.type === 'none' ? false : turnDetection.createResponse ?? true,
    maxReconnects: options.maxReconnects ?? 3,
    reconnectDelayMs: options.reconnectDelayMs ?? 250,
    drainTimeoutMs: options.drainTimeoutMs ?? 20_000,
    renewAfterMs: options.renewAfterMs ?? (cap !== undefined && cap > 0 ? Math.max(cap / 2, cap - RENEW_MARGIN_MS) : 55 * 60_000),
    stallTimeoutMs: options.stallTimeoutMs ?? 15_000,
    prePaddingMs: options.prePaddingMs ?? 300,
    tools,
    transcription: transcriptionModel !== false,
    language: options.language,
    bargeIn,
    halfDuplex: options.halfDuplex === true,
    echoGuardMs: options.echoGuardMs ?? 0,
    playback: options.playback,
    preemptive: options.preemptive ?? true,
    previewTranscripts: options.previewTranscripts === true,
    onReplyHeld: options.onReplyHeld,
  };
}

/** Barge-in decided by the chain (a policy with thresholds, or none) must not be pre-empted by the server. */
function withBargeInDefaults(td: RealtimeTurnDetection, chainDecides: boolean): RealtimeTurnDetection {
  if (td.type === 'none' || td.interruptResponse !== undefined) return td;
  return { ...td, interruptResponse: !chainDecides };
}
