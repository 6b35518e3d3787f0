import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { SandboxContext } from '../context.js';
import type { FaultSpec } from '../types.js';
import { splitIntoChunks, toWsAlignment } from './chunks.js';
import { chunkFaults, elevenLabsStatusFault, requestFaultText, resetSocket, sleep } from './faults.js';
import type { StreamFaults } from '../faults.js';
import { DEFAULT_WS_FORMAT, type OutputFormat, parseOutputFormat } from './formats.js';
import { synthesizeEncoded } from './rest.js';
import { TextBuffer, parseSchedule } from './text-buffer.js';
import type { WsAudioMessage, WsErrorMessage } from '../../providers/elevenlabs/wire.js';
import { WS_ERRORS, WS_INTERNAL_ERROR, closeReason, isKnownVoiceId } from './wire.js';

export interface StreamInputRoute {
  readonly voiceId: string;
  /** `multi-stream-input`: several contexts on one socket, messages carry `context_id` / `contextId`. */
  readonly multi: boolean;
}

const DEFAULT_INACTIVITY_S = 20;
const MAX_INACTIVITY_S = 180;
/** Single-context sockets use one context under this key; its messages carry no `contextId`. */
const SINGLE = '';

/**
 * `wss://…/v1/text-to-speech/{voice_id}/stream-input` (and `multi-stream-input`). Status faults reject
 * the handshake with ElevenLabs' HTTP error; everything else (bad key, bad query, bad messages,
 * inactivity) is an error message `{message, error, code: 1008}` then a close 1008 with the message as
 * reason (cut at 123 bytes, as ElevenLabs' reasons arrive).
 */
export function acceptStreamInput(
  ctx: SandboxContext,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  url: URL,
  route: StreamInputRoute,
): void {
  const fault = ctx.takeFault('tts_ws', requestFaultText(req, url));
  const statusFault = elevenLabsStatusFault(fault);
  if (statusFault) {
    const text = JSON.stringify(statusFault.body);
    const extra = Object.entries(statusFault.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.end(
      `HTTP/1.1 ${statusFault.status} ${statusText(statusFault.status)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${extra}Connection: close\r\n\r\n${text}`,
    );
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    new StreamInputSession(ctx, ws, socket, url, route, req.headers, fault).start();
  });
}

interface Generation {
  readonly context: ContextState;
  readonly text: string;
  /** performance.now() when the text that triggered it arrived. */
  readonly triggeredAt: number;
}

class ContextState {
  closed = false;
  /** Generations queued or being sent. */
  pending = 0;
  timer: NodeJS.Timeout | undefined;
  readonly buffer: TextBuffer;

  constructor(
    readonly id: string,
    schedule: readonly number[],
    autoMode: boolean,
  ) {
    this.buffer = new TextBuffer(schedule, autoMode);
  }
}

type Message = Record<string, unknown>;

class StreamInputSession {
  private readonly abort = new AbortController();
  private readonly contexts = new Map<string, ContextState>();
  private readonly queue: Generation[] = [];
  private draining = false;
  private authenticated = false;
  private initialized = false;
  private firstVoiceSettings: string | undefined;
  private schedule: readonly number[] = parseSchedule(undefined);
  private speed: number | undefined;
  private endOfInput = false;
  private closed = false;
  private lastAudioEnd = 0;
  private firstMessageTimer: NodeJS.Timeout | undefined;
  private readonly faults: StreamFaults;
  private readonly format: OutputFormat | undefined;
  private readonly inactivityMs: number;
  private readonly inactivityS: number;
  private readonly language: string | undefined;
  private readonly autoMode: boolean;

  constructor(
    private readonly ctx: SandboxContext,
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly url: URL,
    private readonly route: StreamInputRoute,
    private readonly headers: IncomingHttpHeaders,
    fault: FaultSpec | undefined,
  ) {
    const query = url.searchParams;
    const parsed = parseOutputFormat(query.get('output_format') ?? DEFAULT_WS_FORMAT);
    this.format = parsed.ok ? parsed.format : undefined;
    // Fractions of a second are a sandbox extension, so tests need not wait 20 s.
    const seconds = Number(query.get('inactivity_timeout') ?? DEFAULT_INACTIVITY_S);
    this.inactivityS = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, MAX_INACTIVITY_S) : DEFAULT_INACTIVITY_S;
    this.inactivityMs = this.inactivityS * 1000;
    this.language = query.get('language_code') ?? undefined;
    this.autoMode = query.get('auto_mode') === 'true';
    this.faults = chunkFaults(
      fault,
      {
        reset: () => resetSocket(this.socket),
        close: () => this.closeWith(WS_INTERNAL_ERROR, 'We are sorry, something went wrong. You are not charged for this request.'),
        malformed: () => this.ws.send('{"audio": "AAAA", "isFinal": nu'),
      },
      this.abort.signal,
    );
  }

  start(): void {
    this.ws.on('close', () => this.shutdown());
    this.ws.on('error', () => this.shutdown());
    const query = this.url.searchParams;
    if (this.headers['xi-api-key'] !== undefined || query.has('xi-api-key') || query.has('xi_api_key')) {
      const failure = this.ctx.checkAuth('elevenlabs', this.headers, query);
      if (failure) return this.fail(authMessage(failure.body));
      this.authenticated = true;
    } else if (this.headers.authorization !== undefined || query.has('authorization')) {
      // Single-use tokens cannot be verified offline: any one is accepted.
      this.authenticated = true;
    }
    if (!isKnownVoiceId(this.route.voiceId)) {
      return this.fail(WS_ERRORS.badQuery(`A voice with the voice_id ${this.route.voiceId} was not found.`));
    }
    if (!this.format) {
      const parsed = parseOutputFormat(query.get('output_format') ?? DEFAULT_WS_FORMAT);
      return this.fail(WS_ERRORS.badQuery(parsed.ok ? 'Invalid output_format.' : parsed.message));
    }
    this.ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    // Until the first message there is no context yet: the connection itself times out.
    this.firstMessageTimer = setTimeout(() => this.fail(WS_ERRORS.inputTimeout(this.inactivityS)), this.inactivityMs);
  }

  // ---- input -------------------------------------------------------------------------------------

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    clearTimeout(this.firstMessageTimer);
    const message = isBinary ? undefined : parseObject(rawText(data));
    if (!message) return this.fail(WS_ERRORS.invalidMessage());
    if (!this.initialized) {
      if (!this.initialize(message)) return;
      // The initial " " only opens the stream; it is not text to speak.
      if (typeof message.text === 'string' && message.text.trim() === '' && message.text !== '') {
        this.touch(this.context(this.route.multi ? (stringField(message, 'context_id') ?? SINGLE) : SINGLE));
        return;
      }
    } else if (message.voice_settings !== undefined && canonical(message.voice_settings) !== this.firstVoiceSettings) {
      // Multi-context accepts settings in a new context's first message; a change is still refused.
      if (!(this.route.multi && this.firstVoiceSettings === undefined)) return this.fail(WS_ERRORS.voiceSettingsChanged());
    }
    if (this.route.multi) this.onMultiMessage(message);
    else this.onSingleMessage(message);
  }

  private initialize(message: Message): boolean {
    if (!this.authenticated) {
      // The key may come in the first message; both spellings are in use (ElevenLabs AsyncAPI spec).
      const key = stringField(message, 'xi_api_key') ?? stringField(message, 'xi-api-key');
      const failure = this.ctx.checkAuth('elevenlabs', key ? { 'xi-api-key': key } : {}, new URLSearchParams());
      // Single-use tokens (`authorization`) cannot be verified offline: any non-empty one is accepted.
      if (failure && !stringField(message, 'authorization')) {
        this.fail(authMessage(failure.body));
        return false;
      }
      this.authenticated = true;
    }
    this.initialized = true;
    if (message.voice_settings !== undefined) this.firstVoiceSettings = canonical(message.voice_settings);
    const settings = message.voice_settings as { speed?: unknown } | undefined;
    if (settings && typeof settings.speed === 'number') this.speed = settings.speed;
    const config = (message.generation_config ?? message.generator_config) as { chunk_length_schedule?: unknown } | undefined;
    this.schedule = parseSchedule(config?.chunk_length_schedule);
    return true;
  }

  private onSingleMessage(message: Message): void {
    const context = this.context(SINGLE);
    if (this.endOfInput) return;
    const text = message.text;
    if (text !== undefined && typeof text !== 'string') return this.fail(WS_ERRORS.invalidMessage());
    this.touch(context);
    if (text === '' && message.flush !== true) {
      // End of input: generate what is left, then isFinal and a normal close.
      this.endOfInput = true;
      clearTimeout(context.timer);
      this.enqueue(context, context.buffer.flush());
      this.finishWhenDrained();
      return;
    }
    this.enqueue(context, context.buffer.add(text ?? '', message.flush === true, message.try_trigger_generation === true));
  }

  private onMultiMessage(message: Message): void {
    if (message.close_socket === true) {
      this.endOfInput = true;
      for (const context of this.contexts.values()) {
        clearTimeout(context.timer);
        this.enqueue(context, context.buffer.flush());
        context.closed = true;
      }
      this.finishWhenDrained();
      return;
    }
    const id = stringField(message, 'context_id') ?? SINGLE;
    const context = this.context(id);
    const text = message.text;
    if (text !== undefined && typeof text !== 'string') return this.fail(WS_ERRORS.invalidMessage());
    this.touch(context);
    if (message.close_context === true) {
      // Barge-in: drop what is buffered or queued, stop its audio, then confirm with isFinal.
      this.dropContext(context);
      if (context.pending === 0) this.send({ isFinal: true, contextId: id });
      return;
    }
    // In multi-context, an empty text is a keepalive, not the end.
    this.enqueue(context, context.buffer.add(text ?? '', message.flush === true, message.try_trigger_generation === true));
  }

  private context(id: string): ContextState {
    let context = this.contexts.get(id);
    if (!context) {
      context = new ContextState(id, this.schedule, this.autoMode);
      this.contexts.set(id, context);
    }
    return context;
  }

  /**
   * (Re)arms a context's inactivity timer. No text within the timeout closes a single-context socket
   * with 1008; on multi-context it ends that context (error message with its `contextId`), and the
   * socket only when no context is left.
   */
  private touch(context: ContextState): void {
    clearTimeout(context.timer);
    context.timer = setTimeout(() => {
      const error = WS_ERRORS.inputTimeout(this.inactivityS);
      if (!this.route.multi) return this.fail(error);
      this.dropContext(context);
      this.send({ message: error.message, error: error.error, contextId: context.id });
      if ([...this.contexts.values()].every((c) => c.closed)) this.fail(error);
    }, this.inactivityMs);
  }

  /** Closes a multi-stream context: its buffer and queued generations go, its audio in flight stops. */
  private dropContext(context: ContextState): void {
    context.closed = true;
    clearTimeout(context.timer);
    this.contexts.delete(context.id);
    const kept = this.queue.filter((g) => g.context !== context);
    context.pending -= this.queue.length - kept.length;
    this.queue.splice(0, this.queue.length, ...kept);
  }

  // ---- output ------------------------------------------------------------------------------------

  private enqueue(context: ContextState, texts: readonly string[]): void {
    const now = performance.now();
    for (const text of texts) {
      if (text.trim() === '') continue;
      context.pending += 1;
      this.queue.push({ context, text, triggeredAt: now });
    }
    void this.drain();
  }

  /** Generations run one at a time, in order, across contexts (one voice, one synthesizer). */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next && !this.closed; next = this.queue.shift()) {
        await this.generate(next);
        next.context.pending -= 1;
        if (this.route.multi && next.context.closed && next.context.pending === 0 && !this.endOfInput) {
          this.send({ isFinal: true, contextId: next.context.id });
        }
      }
    } catch {
      this.fail(WS_ERRORS.internal());
    } finally {
      this.draining = false;
    }
    this.finishWhenDrained();
  }

  private async generate(generation: Generation): Promise<void> {
    const format = this.format as OutputFormat;
    const encoded = await synthesizeEncoded(
      this.ctx,
      {
        text: generation.text,
        ...(this.language ? { language_code: this.language } : {}),
        ...(this.speed !== undefined ? { voice_settings: { speed: this.speed } } : {}),
      },
      format,
    );
    const { speedFactor } = this.ctx.profile.tts;
    const firstByteMs = this.ctx.latency.ttsFirstByteMs(); // one draw per generation
    // Audio starts `firstByteMs` after its text arrived, but never before the previous audio was sent.
    const origin = Math.max(generation.triggeredAt + firstByteMs, this.lastAudioEnd);
    for (const chunk of splitIntoChunks(encoded)) {
      const at = origin + (speedFactor > 0 ? chunk.startMs / speedFactor : 0);
      await sleep(at - performance.now(), this.abort.signal);
      if (this.closed || (this.route.multi && generation.context.closed && !this.endOfInput)) return;
      if (!(await this.faults.before())) return;
      const alignment = toWsAlignment(chunk.alignment);
      const message: WsAudioMessage = {
        audio: chunk.bytes.toString('base64'),
        isFinal: null,
        normalizedAlignment: alignment,
        alignment,
        ...(this.route.multi ? { contextId: generation.context.id } : {}),
      };
      this.send(message);
      this.lastAudioEnd = origin + (speedFactor > 0 ? (chunk.startMs + chunk.durationMs) / speedFactor : 0);
    }
  }

  private finishWhenDrained(): void {
    if (!this.endOfInput || this.closed || this.draining || this.queue.length > 0) return;
    if (this.route.multi) {
      for (const context of this.contexts.values()) this.send({ isFinal: true, contextId: context.id });
    } else {
      this.send({ isFinal: true });
    }
    this.closeWith(1000, '');
  }

  // ---- errors and teardown -----------------------------------------------------------------------

  private send(message: object): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  private fail(error: WsErrorMessage): void {
    if (this.closed) return;
    this.send(error);
    this.closeWith(error.code, error.message);
  }

  private closeWith(code: number, reason: string): void {
    if (this.closed) return;
    this.shutdown();
    this.ws.close(code, closeReason(reason));
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    clearTimeout(this.firstMessageTimer);
    for (const context of this.contexts.values()) clearTimeout(context.timer);
    this.queue.length = 0;
  }
}

function authMessage(body: unknown): WsErrorMessage {
  const detail = (body as { detail?: { status?: unknown; message?: unknown } } | undefined)?.detail;
  const status = typeof detail?.status === 'string' ? detail.status : 'invalid_api_key';
  const message = typeof detail?.message === 'string' ? detail.message : 'Invalid API key';
  return WS_ERRORS.auth(status, message);
}

/** JSON with sorted keys, so that the same settings in another key order are not a "change". */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function parseObject(text: string): Message | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Message) : undefined;
  } catch {
    return undefined;
  }
}

function stringField(message: Message, key: string): string | undefined {
  const value = message[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function statusText(status: number): string {
  return { 401: 'Unauthorized', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
}
