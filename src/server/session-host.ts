import WebSocket from 'ws';
import { errorEvent, type AssistantAudioEvent, type PipelineEvent } from '../events.js';
import { RxVoiceError } from '../errors.js';
import { OutboundGate, type Corkable } from './outbound.js';
import { OutboundEncoder } from './outbound-audio.js';
import { CallRecorder } from './recording.js';
import type { ServerLog } from './logging.js';
import type { PipelineRun } from './session.js';
import type { AllowOptions, PipelineFactory, RecordingOptions, SessionStats, TransportName, WireFormat } from './types.js';

export interface SessionHostOptions {
  readonly id: string;
  readonly transport: TransportName;
  readonly factory: PipelineFactory;
  readonly allow: AllowOptions | undefined;
  readonly systemPrompt: string | undefined;
  readonly recording: RecordingOptions | undefined;
  readonly maxBufferedBytes: number;
  readonly idleTimeoutMs: number;
  /** How long a stopped call may take to finish its last reply before the socket is closed. */
  readonly finishGraceMs: number;
  readonly log: ServerLog;
  /** The connection under `ws`: sends of one tick are written together. */
  readonly socket?: Corkable;
}

/**
 * What a transport adapter needs from the server for one connection: the outbound gate, the recorder,
 * the pipeline's lifetime, the idle timer, and an orderly end (`finish`) or a hard one (socket closed).
 */
export class SessionHost {
  readonly gate: OutboundGate;
  readonly closed: Promise<void>;
  /** Resolves once the socket closed and the pipeline and recording were released (files complete). */
  readonly released: Promise<void>;
  private run: PipelineRun | undefined;
  private recorder: CallRecorder | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastMessageAt = 0;
  private finishing: Promise<void> | undefined;

  constructor(
    readonly ws: WebSocket,
    private readonly options: SessionHostOptions,
  ) {
    this.gate = new OutboundGate(ws, options.maxBufferedBytes, () => {
      options.log('client is not reading, dropping reply audio', { callId: options.id }, 'warn');
      this.notify(
        errorEvent(new RxVoiceError({ code: 'connection', stage: 'transport', message: 'client is not reading fast enough: reply audio is being dropped', retryable: true })),
      );
    }, options.socket);
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', () => this.touch());
    this.released = this.closed.then(() => this.release());
    this.touch();
  }

  get id(): string {
    return this.options.id;
  }
  get factory(): PipelineFactory {
    return this.options.factory;
  }
  get allow(): AllowOptions | undefined {
    return this.options.allow;
  }

  stats(): SessionStats {
    return {
      id: this.options.id,
      transport: this.options.transport,
      bufferedAmount: this.ws.bufferedAmount,
      maxBufferedAmount: this.gate.maxBufferedAmount,
      droppedAudioBytes: this.gate.droppedAudioBytes,
      sentAudioBytes: this.gate.sentAudioBytes,
    };
  }

  async openRecorder(): Promise<CallRecorder | undefined> {
    if (!this.options.recording) return undefined;
    this.recorder = await CallRecorder.open(this.options.recording, this.options.id);
    return this.recorder;
  }

  /** The server's prompt, unless the server lets clients bring their own and this one did. */
  systemPromptFor(clientPrompt: string | undefined): { systemPrompt?: string } {
    const prompt = this.options.allow?.systemPrompt && clientPrompt !== undefined ? clientPrompt : this.options.systemPrompt;
    return prompt === undefined ? {} : { systemPrompt: prompt };
  }

  /** A server notice (`ended`, `shutdown`, transport errors): rxvoice clients only, Twilio has no such message. */
  notify(value: unknown): void {
    if (this.options.transport === 'rxvoice') this.gate.sendEvent(JSON.stringify(value));
  }

  /** A line in the server's log, tagged with this session (never sent to the client). */
  log(line: string, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.options.log(line, { callId: this.options.id }, level);
  }

  /** A line in the call's turn log (when recording). */
  note(entry: Readonly<Record<string, unknown>>): void {
    this.recorder?.note(entry, this.run?.elapsedMs() ?? 0);
  }

  attach(run: PipelineRun, recorder: CallRecorder | undefined): void {
    this.run = run;
    this.recorder = recorder;
    // A pipeline that ends by itself (fatal error, or its own end) ends the call.
    void run.done.then(() => {
      if (!this.finishing) void this.finish('pipeline ended');
    });
  }

  /** Orderly end: no more caller audio, let the pipeline finish its last reply, then close with 1000. */
  finish(reason: string, graceMs: number = this.options.finishGraceMs): Promise<void> {
    if (this.finishing) return this.finishing;
    this.finishing = (async () => {
      this.run?.end();
      if (this.run) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.run.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
      }
      this.notify({ type: 'ended', reason });
      this.close(1000, reason);
      await this.closed;
    })();
    return this.finishing;
  }

  close(code: number, reason: string): void {
    this.gate.flushAudio(); // the reply audio of this tick goes before the close frame
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
    // A peer that never answers the close handshake must not hold the session open.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  /** Per message: only a timestamp. The one idle timer re-arms itself for what is left when it fires. */
  private touch(): void {
    this.lastMessageAt = Date.now();
    if (this.idleTimer === undefined && this.options.idleTimeoutMs > 0) this.armIdle(this.options.idleTimeoutMs);
  }

  private armIdle(delayMs: number): void {
    this.idleTimer = setTimeout(() => {
      const left = this.lastMessageAt + this.options.idleTimeoutMs - Date.now();
      if (left > 0) return this.armIdle(left);
      this.options.log(`idle for ${this.options.idleTimeoutMs} ms, closing`, { callId: this.options.id });
      this.close(4408, 'idle timeout');
    }, delayMs);
    this.idleTimer.unref();
  }

  private async release(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.run?.dispose();
    try {
      await this.recorder?.close();
    } catch (err) {
      this.options.log(`recording not finalized: ${err instanceof Error ? err.message : String(err)}`, { callId: this.options.id }, 'error');
    }
  }
}

/**
 * Reply audio policy shared by the transports: re-encode to the client's format, announce each new turn,
 * feed the recording, and drop the audio of a reply once it is cancelled (barge-in or a stale turn).
 */
export class OutboundAudioPolicy {
  private readonly encoder: OutboundEncoder;
  private currentTurn: string | undefined;
  private readonly cancelled = new Set<string>();

  constructor(
    format: WireFormat,
    _host: SessionHost,
    private readonly recorder: CallRecorder | undefined,
    private readonly onTurnStart: (turnId: string) => void,
    private readonly onCancel?: (turnId: string) => void,
    private readonly onResume?: (turnId: string) => void,
  ) {
    this.encoder = new OutboundEncoder(format);
  }

  durationMs(bytes: number): number {
    return this.encoder.durationMs(bytes);
  }

  encode(event: AssistantAudioEvent): Buffer | undefined {
    if (this.cancelled.has(event.turnId)) return undefined;
    if (event.turnId !== this.currentTurn) {
      this.currentTurn = event.turnId;
      this.onTurnStart(event.turnId);
    }
    this.recorder?.assistant(event.frame.samples, event.frame.sampleRate);
    return this.encoder.encode(event.frame);
  }

  /** Watches the non-audio events for the end of a reply. */
  observe(event: PipelineEvent): void {
    if (event.type === 'reply.resume') {
      // A false interruption: the rest of the reply is spoken after all, announced again as a new stretch.
      this.cancelled.delete(event.turnId);
      if (event.turnId === this.currentTurn) this.currentTurn = undefined;
      this.onResume?.(event.turnId);
      return;
    }
    // An `interruption` flagged `resumed` only closes the books on a resumed reply; it cuts nothing.
    const cuts = event.type === 'reply.cancel' || (event.type === 'interruption' && !event.resumed);
    if (!cuts || this.cancelled.has(event.turnId)) return;
    this.cancelled.add(event.turnId);
    if (event.turnId === this.currentTurn) {
      this.recorder?.clearAssistant();
      this.onCancel?.(event.turnId);
    }
  }
}
