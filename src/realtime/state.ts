import type { SchedulerLike, Subscription } from 'rxjs';
import type { BargeInThresholds } from '../bargein-policy.js';
import { RxVoiceError, type ErrorCode } from '../errors.js';
import { errorEvent, type PipelineEvent } from '../events.js';
import type { PlaybackClock } from '../playback.js';
import type { RealtimeAudioFormat, RealtimeSession, RealtimeSessionConfig } from '../providers/realtime-types.js';
import type { ResilientConnection } from './resilient.js';
import type { RunnableTool } from '../tool-runner.js';
import { RealtimeHistory } from './history.js';
import type { Discarded, Speculation } from './speculation.js';
import type { AudioUplink } from './uplink.js';

/** The `realtime` operator's options, resolved to values. */
export interface CallConfig {
  readonly session: RealtimeSession;
  readonly sessionConfig: RealtimeSessionConfig;
  readonly scheduler: SchedulerLike;
  readonly inputFormat: RealtimeAudioFormat;
  readonly output: 'text' | 'audio';
  /** The server decides turns (server / semantic VAD); otherwise an upstream `vad` does. */
  readonly serverTurns: boolean;
  /** The server asks for a response itself at the end of a turn. */
  readonly createResponse: boolean;
  readonly maxReconnects: number;
  readonly reconnectDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly renewAfterMs: number;
  readonly stallTimeoutMs: number;
  readonly prePaddingMs: number;
  readonly tools: readonly RunnableTool[];
  readonly transcription: boolean;
  readonly language: string | undefined;
  readonly bargeIn: BargeInThresholds;
  readonly halfDuplex: boolean;
  readonly echoGuardMs: number;
  readonly playback: PlaybackClock | undefined;
  /** Local turns: commit and ask for a reply at the vad's `speech.paused`, held until `speech.ended`. */
  readonly preemptive: boolean;
  /** The pause's commit's input transcript leaves at once as a `preview` transcript. */
  readonly previewTranscripts: boolean;
  readonly onReplyHeld: ((turnId: string) => void) | undefined;
}

/** One response of the model, by the provider's (opaque) id. */
export interface ResponseState {
  readonly id: string;
  readonly turnId: string;
  text: string;
  /** Characters / samples of a replayed reply already emitted before a reconnect: skipped. */
  skipChars: number;
  skipSamples: number;
  audioItemId?: string;
  audioSamples: number;
  cancelled: boolean;
  readonly calls: Set<string>;
  done: boolean;
}

/** What the chain emitted for one turn's reply, across its responses. */
export interface TurnReply {
  text: string;
  audioMs: number;
  audioSeq: number;
  doneEmitted: boolean;
  cancelled: boolean;
}

/** The whole bookkeeping of one call through the `realtime` operator (one subscription). */
export class CallState {
  readonly subs: Subscription[] = [];
  readonly history = new RealtimeHistory();

  // connection
  connection: ResilientConnection | undefined;
  connectionSub: Subscription | undefined;
  /** Where the current connection's audio timeline starts in the call's. */
  connBaseMs = 0;
  fatal = false;
  fatalCode: ErrorCode = 'connection';
  /** Turns already named in an utteranceLost error after giving up (each named once). */
  lostNamed = new Set<string>();
  closed = false;
  drainTimer: Subscription | undefined;
  inputDone = false;

  // turns
  localTurn: string | undefined;
  /** Local turns dropped by half duplex: their speech events are swallowed and their audio not sent. */
  readonly ignoredTurns = new Set<string>();
  turnCounter = 0;
  readonly itemTurn = new Map<string, string>();
  speechTurn: string | undefined;
  speechStartedAudioMs = 0;
  lastUserTurn: string | undefined;
  readonly commitQueue: string[] = [];
  readonly transcripts = new Map<string, string>();

  // replies
  nextResponseTurn: string | undefined;
  readonly awaitingResponse = new Set<string>();
  readonly responses = new Map<string, ResponseState>();
  activeResponse: ResponseState | undefined;
  replyTurn: string | undefined;
  readonly replies = new Map<string, TurnReply>();
  readonly pendingCalls = new Set<string>();
  readonly toolAborts = new Map<string, { turnId: string; abort: AbortController }>();
  resumeAfterDrop: { turnId: string; skipChars: number; skipSamples: number } | undefined;
  bargeCandidate: { turnId: string; byTurnId: string; startMs: number } | undefined;
  /** A preemptive reply started at a pause, its events held until the turn is decided. */
  speculation: Speculation | undefined;
  /** A discarded speculation whose events are still arriving. */
  discarded: Discarded | undefined;
  /** A server error during a response is followed by its failed `response.done`: one error event, not two. */
  errorReportedFor: string | undefined;

  constructor(
    readonly cfg: CallConfig,
    readonly emit: (event: PipelineEvent) => void,
    readonly complete: () => void,
    readonly uplink: AudioUplink,
  ) {}

  /** The live connection, if the chain has not given up. */
  conn(): ResilientConnection | undefined {
    return this.connection && !this.fatal ? this.connection : undefined;
  }

  reply(turnId: string): TurnReply {
    let r = this.replies.get(turnId);
    if (!r) {
      r = { text: '', audioMs: 0, audioSeq: 0, doneEmitted: false, cancelled: false };
      this.replies.set(turnId, r);
      if (this.replies.size > 64) this.replies.delete(this.replies.keys().next().value as string);
    }
    return r;
  }

  fail(code: ErrorCode, message: string, turnId?: string, retryable = false, utteranceLost?: boolean): void {
    this.emit(errorEvent(new RxVoiceError({ code, stage: 'realtime', message, retryable }), turnId, utteranceLost));
  }

  /** Anything the call still waits for: a reply, a tool, a commit, a transcript. */
  outstanding(): boolean {
    return (
      this.activeResponse !== undefined ||
      this.awaitingResponse.size > 0 ||
      this.pendingCalls.size > 0 ||
      this.commitQueue.length > 0 ||
      (this.cfg.transcription && this.history.awaitingTranscript((t) => this.reply(t).cancelled))
    );
  }
}
