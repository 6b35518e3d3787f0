import type { SandboxContext, SandboxReply } from '../context.js';
import { transcriptForAudio, type UtteranceText } from '../state.js';
import type { FaultSpec } from '../types.js';
import { decodeWireAudio, encodeWireAudio, formatSampleRate, type WireAudioFormat } from './audio.js';
import {
  ConfigError,
  defaultConfig,
  effectiveSilenceMs,
  parseSessionUpdate,
  sessionObject,
  type Protocol,
  type SessionConfig,
  type ToolDefinition,
} from './config.js';
import { HeardAudio } from './heard-audio.js';
import { newId } from './ids.js';
import { ItemError, parseClientItem, toSandboxMessages, wireItem, type StoredContent, type StoredItem } from './items.js';
import { ResponseRun, tokenize, type RateLimitWire } from './response.js';
import { obfuscation } from './obfuscation.js';
import type { TurnDetector, TurnDetectorFactory } from './turn-detector.js';
import { forProtocol, type ServerEvent } from './wire.js';

/** The socket side of a session, so the engine does not depend on `ws`. */
export interface SessionTransport {
  send(text: string): void;
  close(code: number, reason: string): void;
  destroy(): void;
}

export interface SessionOptions {
  readonly ctx: SandboxContext;
  readonly protocol: Protocol;
  readonly kind: 'realtime' | 'transcription';
  readonly model: string;
  /** Scenario position key (the `x-rxvoice-call` header); the session id when absent. */
  readonly callKey?: string;
  /** A mid-response fault taken at the upgrade; strikes during the session's first response. */
  readonly fault?: FaultSpec;
  readonly detectorFactory: TurnDetectorFactory;
  /** Transcripts of audio already heard (shared by the handler's sessions, for replays after a reconnect). */
  readonly heard?: HeardAudio;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const MIN_COMMIT_MS = 100;

const CLIENT_EVENTS = [
  'session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
  'conversation.item.create',
  'conversation.item.truncate',
  'conversation.item.delete',
  'conversation.item.retrieve',
  'response.create',
  'response.cancel',
] as const;

class ClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/**
 * One realtime session: the GA engine (OpenAI Realtime API reference). Client events are handled one at a time in
 * arrival order (an append's vad result lands before a following commit); responses run alongside.
 */
export class RealtimeSession {
  readonly id = newId('sess');
  private readonly conversationId = newId('conv');
  private config: SessionConfig;
  private readonly items: StoredItem[] = [];
  private readonly expiresAt: number;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private expiryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  // input audio buffer: samples since the last commit, at the input format's rate
  private buffer: Int16Array[] = [];
  private bufferSamples = 0;
  private bufferRate: 24000 | 8000 = 24000;
  private bufferStartMs = 0;
  private audioClockMs = 0;
  // server vad
  private detector: TurnDetector | undefined;
  private detectorBaseMs = 0;
  private speechItemId: string | undefined;
  // responses
  private active: ResponseRun | undefined;
  private readonly outOfBand = new Set<ResponseRun>();
  private fault: FaultSpec | undefined;
  private requestsRemaining = 1000;
  private tokensRemaining = 50000;

  constructor(
    private readonly options: SessionOptions,
    private readonly transport: SessionTransport,
  ) {
    this.config = defaultConfig(options.model, options.kind, options.protocol);
    this.fault = options.fault;
    this.expiresAt = Math.floor((Date.now() + options.ctx.maxSessionMs) / 1000);
    this.bufferRate = formatSampleRate(this.config.inputFormat);
    this.resetDetector();
    this.emit({ type: 'session.created', session: this.sessionObject() });
    if (options.protocol === 'ga' && options.kind === 'realtime') {
      this.emit({ type: 'conversation.created', conversation: { id: this.conversationId, object: 'realtime.conversation' } });
    }
    this.expiryTimer = setTimeout(() => this.expire(), options.ctx.maxSessionMs);
    this.expiryTimer.unref?.();
  }

  private get callKey(): string {
    return this.options.callKey ?? this.id;
  }

  private get silenceDefaultMs(): number {
    return this.options.ctx.profile.realtime.silenceDurationMs;
  }

  private sessionObject(): Json {
    return sessionObject(this.config, { id: this.id, expiresAt: this.expiresAt }, this.options.protocol, this.silenceDefaultMs);
  }

  // ---- wire ---------------------------------------------------------------------------------------

  private emit(event: ServerEvent): void {
    if (this.closed) return;
    const named = forProtocol(event, this.options.protocol);
    if (named === undefined) return;
    const { type, ...rest } = named;
    this.transport.send(JSON.stringify({ type, event_id: newId('event'), ...rest }));
  }

  private sendError(code: string, message: string, param: string | null, clientEventId: unknown, type = 'invalid_request_error'): void {
    this.emit({
      type: 'error',
      error: { type, code, message, param, event_id: typeof clientEventId === 'string' ? clientEventId : null },
    });
  }

  /** A text frame from the client. */
  receive(data: string | Buffer, isBinary: boolean): void {
    this.queue = this.queue
      .then(() => this.handleFrame(data, isBinary))
      .catch((err: unknown) => {
        this.sendError('server_error', `Internal sandbox error: ${err instanceof Error ? err.message : String(err)}`, null, null, 'server_error');
      });
  }

  /** The socket closed: stop everything the session owns. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    clearTimeout(this.idleTimer);
    for (const timer of this.transcriptTimers) clearTimeout(timer);
    this.transcriptTimers.clear();
    this.active?.stop();
    for (const run of this.outOfBand) run.stop();
    void this.detector?.release();
  }

  /** Ends the session from the server side (the handler's close()). */
  shutdown(code = 1001, reason = 'Server shutting down'): void {
    if (this.closed) return;
    this.transport.close(code, reason);
    this.dispose();
  }

  private expire(): void {
    const ms = this.options.ctx.maxSessionMs;
    const span = ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} minutes` : `${ms / 1000} seconds`;
    const message = `Your session hit the maximum duration of ${span}.`;
    this.sendError('session_expired', message, null, null);
    this.shutdown(1001, message);
  }

  private async handleFrame(data: string | Buffer, isBinary: boolean): Promise<void> {
    if (this.closed) return;
    if (isBinary) {
      this.sendError('invalid_event', 'Binary frames are not supported; send JSON text frames.', null, null);
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
    } catch (err) {
      this.sendError('invalid_event', `Invalid JSON: ${err instanceof Error ? err.message : 'parse error'}`, null, null);
      return;
    }
    if (!isObject(event)) {
      this.sendError('invalid_event', 'Expected a JSON object.', null, null);
      return;
    }
    const eventId = event.event_id;
    if (typeof event.type !== 'string') {
      this.sendError('invalid_event', "The 'type' field is missing.", 'type', eventId);
      return;
    }
    try {
      await this.dispatch(event.type, event);
    } catch (err) {
      if (err instanceof ClientError || err instanceof ConfigError) this.sendError(err.code, err.message, err.param, eventId);
      else if (err instanceof ItemError) this.sendError('invalid_value', err.message, err.param, eventId);
      else throw err;
    }
  }

  private async dispatch(type: string, event: Json): Promise<void> {
    switch (type) {
      case 'session.update':
      case 'transcription_session.update':
        return this.updateSession(event);
      case 'input_audio_buffer.append':
        return this.append(event);
      case 'input_audio_buffer.commit':
        return this.commitByClient();
      case 'input_audio_buffer.clear':
        this.clearBuffer();
        this.resetDetector();
        this.emit({ type: 'input_audio_buffer.cleared' });
        return;
      case 'conversation.item.create':
        return this.createItem(event);
      case 'conversation.item.truncate':
        return this.truncate(event);
      case 'conversation.item.delete':
        return this.deleteItem(event);
      case 'conversation.item.retrieve':
        return this.retrieveItem(event);
      case 'response.create':
        return this.createResponse(event);
      case 'response.cancel':
        return this.cancelByClient(event);
      default:
        throw new ClientError(
          'invalid_event',
          `Invalid value: '${type}'. Supported values are: ${CLIENT_EVENTS.map((t) => `'${t}'`).join(', ')}.`,
          'type',
        );
    }
  }

  // ---- session --------------------------------------------------------------------------------------

  private updateSession(event: Json): void {
    const previous = this.config;
    this.config = parseSessionUpdate(event.session, this.config, this.options.protocol);
    if (previous.inputFormat !== this.config.inputFormat) {
      this.clearBuffer();
      this.bufferRate = formatSampleRate(this.config.inputFormat);
    }
    if (previous.turnDetection !== this.config.turnDetection || previous.inputFormat !== this.config.inputFormat) this.resetDetector();
    const type = event.type === 'transcription_session.update' ? 'transcription_session.updated' : 'session.updated';
    this.emit({ type, session: this.sessionObject() });
  }

  // ---- input audio ------------------------------------------------------------------------------------

  private async append(event: Json): Promise<void> {
    if (typeof event.audio !== 'string') throw new ClientError('missing_required_parameter', "Missing required parameter: 'audio'.", 'audio');
    const samples = decodeWireAudio(event.audio, this.config.inputFormat);
    if (samples === undefined) {
      throw new ClientError('invalid_value', `Invalid 'audio': expected base64-encoded ${this.config.inputFormat} audio.`, 'audio');
    }
    const td = this.config.turnDetection;
    if (td !== null && this.detector === undefined) {
      // Created on the first audio, so sessions that never stream audio never load the model.
      this.detector = this.options.detectorFactory({ threshold: td.threshold, silenceMs: effectiveSilenceMs(td, this.silenceDefaultMs) });
      this.detectorBaseMs = this.audioClockMs;
    }
    if (this.bufferSamples === 0) this.bufferStartMs = this.audioClockMs;
    this.buffer.push(samples);
    this.bufferSamples += samples.length;
    this.audioClockMs += (samples.length * 1000) / this.bufferRate;
    if (this.detector === undefined || td === null) return;
    const transitions = await this.detector.push(samples, this.bufferRate);
    for (const transition of transitions) {
      if (this.closed) return;
      if (transition.kind === 'start') {
        const itemId = newId('item');
        this.speechItemId = itemId;
        clearTimeout(this.idleTimer);
        const startMs = Math.max(0, Math.round(this.detectorBaseMs + transition.speechStartMs - td.prefixPaddingMs));
        this.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: startMs, item_id: itemId });
        if (td.interruptResponse && this.active?.active) await this.active.cancel('turn_detected');
      } else {
        const itemId = this.speechItemId ?? newId('item');
        this.speechItemId = undefined;
        const endMs = Math.round(this.detectorBaseMs + transition.decidedMs);
        this.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: endMs, item_id: itemId });
        this.commit(itemId, endMs);
        if (td.createResponse && this.config.kind === 'realtime' && !this.active?.active) this.startResponse({});
      }
    }
  }

  private bufferedMs(): number {
    return (this.bufferSamples * 1000) / this.bufferRate;
  }

  private clearBuffer(): void {
    this.buffer = [];
    this.bufferSamples = 0;
    this.bufferStartMs = this.audioClockMs;
  }

  /** Takes the buffered audio up to session time `upToMs` (all of it when omitted); the rest stays. */
  private takeBuffer(upToMs?: number): Int16Array {
    const all = new Int16Array(this.bufferSamples);
    let at = 0;
    for (const piece of this.buffer) {
      all.set(piece, at);
      at += piece.length;
    }
    const cut = upToMs === undefined ? all.length : Math.max(0, Math.min(all.length, Math.round(((upToMs - this.bufferStartMs) * this.bufferRate) / 1000)));
    const rest = all.slice(cut);
    this.buffer = rest.length > 0 ? [rest] : [];
    this.bufferSamples = rest.length;
    this.bufferStartMs += (cut * 1000) / this.bufferRate;
    return all.subarray(0, cut);
  }

  private resetDetector(): void {
    void this.detector?.release();
    this.detector = undefined;
    this.speechItemId = undefined;
  }

  private commitByClient(): void {
    const ms = this.bufferedMs();
    if (ms < MIN_COMMIT_MS) {
      throw new ClientError(
        'input_audio_buffer_commit_empty',
        `Error committing input audio buffer: buffer too small. Expected at least ${MIN_COMMIT_MS}ms of audio, but buffer only has ${ms.toFixed(2)}ms of audio.`,
      );
    }
    const itemId = this.speechItemId ?? newId('item');
    this.commit(itemId);
    this.resetDetector();
  }

  /** Commits a user audio item: `committed`, then the item stored and announced (`added`, `done`). */
  private addUserAudioItem(itemId: string, spoken: string, audioMs: number): Extract<StoredItem, { type: 'message' }> {
    const previous = this.lastItemId();
    this.emit({ type: 'input_audio_buffer.committed', previous_item_id: previous, item_id: itemId });
    const item: Extract<StoredItem, { type: 'message' }> = {
      id: itemId,
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio', transcript: null, spoken, audioMs }],
    };
    this.items.push(item);
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: wireItem(item) });
    this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: wireItem(item) });
    return item;
  }

  /**
   * Turns buffered audio into a user item, then transcribes it when the session asks for transcripts. The
   * words are the scripted utterance's, or its partial when the audio holds only its start (a commit at a
   * mid-sentence pause). The transcript comes the profile's `transcriptMs` after the commit: the real API
   * transcribes on a separate ASR model, "asynchronously with Response creation, so this event may come
   * before or after the Response events" (ConversationItemInputAudioTranscriptionCompletedEvent in
   * openai/openai-node src/resources/realtime/realtime.ts).
   */
  private commit(itemId: string, upToMs?: number): void {
    clearTimeout(this.idleTimer);
    const audio = this.takeBuffer(upToMs);
    const audioMs = (audio.length * 1000) / this.bufferRate;
    const utterance = this.replayUtterance ?? this.options.ctx.nextUtterance(this.callKey);
    this.replayUtterance = undefined;
    this.lastUserCommit = { itemId, utterance };
    const spoken = transcriptForAudio(utterance, audioMs);
    this.options.heard?.remember(audio, spoken);
    this.committedAudio.set(itemId, { samples: audio.slice(), format: this.config.inputFormat });
    const item = this.addUserAudioItem(itemId, spoken, audioMs);
    if (this.config.transcription === null) return;
    const delayMs = this.options.ctx.latency.realtimeTranscriptMs();
    if (delayMs <= 0) {
      this.sendTranscript(item, spoken, audioMs);
      return;
    }
    const timer = setTimeout(() => {
      this.transcriptTimers.delete(timer);
      // A deleted item is not transcribed any more.
      if (!this.closed && this.items.includes(item)) this.sendTranscript(item, spoken, audioMs);
    }, delayMs);
    this.transcriptTimers.add(timer);
  }

  private sendTranscript(item: Extract<StoredItem, { type: 'message' }>, spoken: string, audioMs: number): void {
    const itemId = item.id;
    for (const delta of tokenize(spoken)) {
      this.emit({ type: 'conversation.item.input_audio_transcription.delta', item_id: itemId, content_index: 0, delta, obfuscation: obfuscation(delta) });
    }
    const part = item.content[0];
    if (part?.type === 'input_audio') part.transcript = spoken;
    const audioTokens = Math.round(audioMs / 100);
    const textTokens = Math.ceil(spoken.length / 4);
    this.emit({
      type: 'conversation.item.input_audio_transcription.completed',
      item_id: itemId,
      content_index: 0,
      transcript: spoken,
      usage: {
        type: 'tokens',
        total_tokens: audioTokens + textTokens,
        input_tokens: audioTokens,
        input_token_details: { text_tokens: 0, audio_tokens: audioTokens },
        output_tokens: textTokens,
      },
    });
  }

  /** Transcripts still to come (timers cleared when the session ends). */
  private readonly transcriptTimers = new Set<NodeJS.Timeout>();
  /** The newest committed user item and its scripted utterance. */
  private lastUserCommit: { readonly itemId: string; readonly utterance: UtteranceText } | undefined;
  /**
   * The utterance of a committed user item the client deleted again (a discarded speculative reply): the
   * caller's turn is not over, so the next commit gets the same utterance instead of the script's next one.
   */
  private replayUtterance: UtteranceText | undefined;

  private readonly committedAudio = new Map<string, { samples: Int16Array; format: WireAudioFormat }>();

  // ---- conversation -------------------------------------------------------------------------------------

  private lastItemId(): string | null {
    return this.items.at(-1)?.id ?? null;
  }

  private findItem(id: unknown, param: string): StoredItem {
    const item = typeof id === 'string' ? this.items.find((i) => i.id === id) : undefined;
    if (item === undefined) throw new ClientError('invalid_value', `Item with item_id '${String(id)}' not found.`, param);
    return item;
  }

  private createItem(event: Json): void {
    const raw = event.item;
    const requestedId = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    if (requestedId !== undefined && this.items.some((i) => i.id === requestedId)) {
      throw new ClientError('invalid_value', `Item with id '${requestedId}' already exists.`, 'item.id');
    }
    const item = parseClientItem(raw, requestedId ?? newId('item'));
    if (item.type === 'message' && isObject(raw) && Array.isArray(raw.content)) this.hearItemAudio(item.content, raw.content);
    const prev = event.previous_item_id;
    let index: number;
    if (prev === undefined || prev === null) index = this.items.length;
    else if (prev === 'root') index = 0;
    else {
      const at = this.items.findIndex((i) => i.id === prev);
      if (at < 0) throw new ClientError('invalid_value', `Previous item with id '${String(prev)}' not found.`, 'previous_item_id');
      index = at + 1;
    }
    const previous = index === 0 ? null : (this.items[index - 1]?.id ?? null);
    this.items.splice(index, 0, item);
    this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: wireItem(item) });
    this.emit({ type: 'conversation.item.done', previous_item_id: previous, item: wireItem(item) });
  }

  /** User audio sent as an item: the model hears it, so it gets words (the same ones if it was heard before). */
  private hearItemAudio(content: StoredContent[], raw: unknown[]): void {
    content.forEach((part, i) => {
      const wire = raw[i];
      if (part.type !== 'input_audio' || !isObject(wire) || typeof wire.audio !== 'string') return;
      const samples = decodeWireAudio(wire.audio, this.config.inputFormat);
      if (samples === undefined) throw new ClientError('invalid_value', `Invalid 'item.content[${i}].audio': expected base64 ${this.config.inputFormat} audio.`, `item.content[${i}].audio`);
      part.audioMs = (samples.length * 1000) / formatSampleRate(this.config.inputFormat);
      if (part.transcript !== null) return;
      const known = this.options.heard?.recall(samples);
      part.spoken = known ?? this.options.ctx.nextUtterance(this.callKey).transcript;
      if (known === undefined) this.options.heard?.remember(samples, part.spoken);
    });
  }

  private truncate(event: Json): void {
    const item = this.findItem(event.item_id, 'item_id');
    const contentIndex = typeof event.content_index === 'number' ? event.content_index : 0;
    const part = item.type === 'message' && item.role === 'assistant' ? item.content[contentIndex] : undefined;
    if (part === undefined || part.type !== 'output_audio') {
      throw new ClientError('invalid_value', 'Only assistant messages with audio content can be truncated.', 'item_id');
    }
    const endMs = event.audio_end_ms;
    if (typeof endMs !== 'number' || !Number.isInteger(endMs) || endMs < 0) {
      throw new ClientError('invalid_value', "Invalid value for 'audio_end_ms': expected a non-negative integer.", 'audio_end_ms');
    }
    if (endMs > Math.ceil(part.audioMs)) {
      throw new ClientError(
        'invalid_value',
        `Audio content of ${Math.ceil(part.audioMs)}ms is shorter than ${endMs}ms.`,
        'audio_end_ms',
      );
    }
    part.transcript = heardTranscript(part.transcript, part.alignment, endMs);
    part.audioMs = endMs;
    this.emit({ type: 'conversation.item.truncated', item_id: item.id, content_index: contentIndex, audio_end_ms: endMs });
  }

  private deleteItem(event: Json): void {
    const item = this.findItem(event.item_id, 'item_id');
    this.items.splice(this.items.indexOf(item), 1);
    if (this.lastUserCommit?.itemId === item.id) {
      this.replayUtterance = this.lastUserCommit.utterance;
      this.lastUserCommit = undefined;
    }
    this.emit({ type: 'conversation.item.deleted', item_id: item.id });
  }

  private retrieveItem(event: Json): void {
    const item = this.findItem(event.item_id, 'item_id');
    const wire = wireItem(item);
    const audio = this.committedAudio.get(item.id);
    if (audio !== undefined && Array.isArray(wire.content)) {
      wire.content = wire.content.map((part: Json) => (part.type === 'input_audio' ? { ...part, audio: encodeWireAudio(audio.samples, audio.format) } : part));
    }
    this.emit({ type: 'conversation.item.retrieved', item: wire });
  }

  // ---- responses ------------------------------------------------------------------------------------------

  private createResponse(event: Json): void {
    if (this.config.kind === 'transcription') {
      throw new ClientError('invalid_value', 'Responses are not available in a transcription session.', 'type');
    }
    const overrides = isObject(event.response) ? event.response : {};
    const inConversation = overrides.conversation !== 'none';
    if (inConversation && this.active?.active) {
      throw new ClientError(
        'conversation_already_has_active_response',
        `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`,
      );
    }
    this.startResponse(overrides);
  }

  private startResponse(overrides: Json, reply?: SandboxReply): void {
    const config = this.config;
    const inConversation = overrides.conversation !== 'none';
    const modalities = overrides.output_modalities ?? overrides.modalities;
    const output = Array.isArray(modalities) ? (modalities.includes('audio') ? 'audio' : 'text') : config.output;
    const audioOut = isObject(overrides.audio) && isObject(overrides.audio.output) ? overrides.audio.output : {};
    const voice = typeof audioOut.voice === 'string' ? audioOut.voice : typeof overrides.voice === 'string' ? overrides.voice : config.voice;
    const instructions = typeof overrides.instructions === 'string' ? overrides.instructions : config.instructions;
    const tools = Array.isArray(overrides.tools) ? (overrides.tools.filter((t) => isObject(t) && typeof t.name === 'string') as ToolDefinition[]) : config.tools;
    const context = Array.isArray(overrides.input) ? this.inputItems(overrides.input) : this.items;
    const max = overrides.max_output_tokens ?? overrides.max_response_output_tokens;
    const fault = this.fault;
    this.fault = undefined;
    const run = new ResponseRun(
      {
        ctx: this.options.ctx,
        emit: (e) => this.emit(e),
        sendRaw: (text) => {
          if (!this.closed) this.transport.send(text);
        },
        closeSocket: (code, reason) => this.shutdown(code, reason),
        destroySocket: () => {
          this.transport.destroy();
          this.dispose();
        },
        addItem: (item) => {
          const previous = this.lastItemId();
          this.items.push(item);
          return previous;
        },
        rateLimits: (tokens): RateLimitWire[] => {
          this.requestsRemaining = Math.max(0, this.requestsRemaining - 1);
          this.tokensRemaining = Math.max(0, this.tokensRemaining - tokens);
          return [
            { name: 'requests', limit: 1000, remaining: this.requestsRemaining, reset_seconds: 60 },
            { name: 'tokens', limit: 50000, remaining: this.tokensRemaining, reset_seconds: 60 },
          ];
        },
      },
      {
        conversationId: this.conversationId,
        inConversation,
        output,
        outputFormat: config.outputFormat,
        voice,
        speed: config.speed,
        maxOutputTokens: max === 'inf' || (typeof max === 'number' && max >= 1) ? max : config.maxOutputTokens,
        metadata: overrides.metadata ?? null,
        messages: toSandboxMessages(instructions, context),
        tools,
        inputAudioMs: context.reduce(
          (n, item) => n + (item.type === 'message' ? item.content.reduce((m, p) => m + (p.type === 'input_audio' ? p.audioMs : 0), 0) : 0),
          0,
        ),
        ...(fault === undefined ? {} : { fault }),
        ...(reply === undefined ? {} : { reply }),
        ...(this.options.protocol === 'beta' ? { temperature: typeof overrides.temperature === 'number' ? overrides.temperature : config.temperature } : {}),
      },
    );
    clearTimeout(this.idleTimer);
    if (inConversation) {
      this.active = run;
      void run.finished.then(() => this.armIdleTimeout(run));
    } else {
      this.outOfBand.add(run);
      void run.finished.then(() => this.outOfBand.delete(run));
    }
  }

  /**
   * GA `idle_timeout_ms`: when the caller says nothing for that long after the reply has been heard, the
   * server emits `input_audio_buffer.timeout_triggered`, commits the (silent) buffer as a user item and
   * answers it with a nudge.
   */
  private armIdleTimeout(run: ResponseRun): void {
    const idleMs = this.config.turnDetection?.idleTimeoutMs;
    if (this.closed || this.active !== run || typeof idleMs !== 'number' || this.config.kind !== 'realtime') return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.queue = this.queue.then(() => this.idleTimeout());
    }, run.remainingPlaybackMs() + idleMs);
    this.idleTimer.unref?.();
  }

  private idleTimeout(): void {
    if (this.closed || this.active?.active || this.speechItemId !== undefined) return;
    const itemId = newId('item');
    const startMs = Math.round(this.bufferStartMs);
    const audio = this.takeBuffer();
    const endMs = Math.round(this.audioClockMs);
    this.emit({ type: 'input_audio_buffer.timeout_triggered', audio_start_ms: startMs, audio_end_ms: endMs, item_id: itemId });
    this.addUserAudioItem(itemId, '', (audio.length * 1000) / this.bufferRate);
    this.resetDetector();
    this.startResponse({}, { kind: 'text', text: 'Are you still there?' });
  }

  /** `response.input`: item references and inline items, as the context of an out-of-band response. */
  private inputItems(input: unknown[]): StoredItem[] {
    return input.map((raw, i) => {
      if (isObject(raw) && raw.type === 'item_reference') return this.findItem(raw.id, `response.input[${i}].id`);
      return parseClientItem(raw, newId('item'));
    });
  }

  private async cancelByClient(event: Json): Promise<void> {
    const wanted = event.response_id;
    const candidates = [this.active, ...this.outOfBand].filter((r): r is ResponseRun => r !== undefined && r.active);
    const run = typeof wanted === 'string' ? candidates.find((r) => r.id === wanted) : this.active?.active ? this.active : undefined;
    if (run === undefined) {
      throw new ClientError('response_cancel_not_active', 'Cancellation failed: no active response found.');
    }
    await run.cancel('client_cancelled');
  }
}

/** What remains of an assistant transcript when the caller heard only the first `endMs` of its audio. */
function heardTranscript(transcript: string, alignment: { charStartMs: readonly number[] } | undefined, endMs: number): string {
  if (alignment === undefined || alignment.charStartMs.length === 0) return transcript;
  const starts = alignment.charStartMs;
  let heard = 0;
  while (heard < starts.length && (starts[heard] ?? 0) < endMs) heard++;
  const chars = Math.round((heard * transcript.length) / starts.length);
  return transcript.slice(0, chars).trimEnd();
}
