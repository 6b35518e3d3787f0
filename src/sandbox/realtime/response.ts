import type { SandboxContext, SandboxMessage, SandboxReply, SynthesizedSpeech } from '../context.js';
import { DEFAULT_AFTER_CHUNKS, DEFAULT_STALL_MS } from '../faults.js';
import type { FaultSpec } from '../types.js';
import { gaAudioFormat } from '../../providers/openai-realtime/audio-format.js';
import { encodeWireAudio, formatSampleRate, type WireAudioFormat } from './audio.js';
import type { ToolDefinition } from './config.js';
import { newId } from './ids.js';
import { obfuscation } from './obfuscation.js';
import { wireItem, type StoredContent, type StoredItem } from './items.js';
import type { ServerEvent } from './wire.js';

/** What a response needs from its session. */
export interface ResponseHost {
  readonly ctx: SandboxContext;
  emit(event: ServerEvent): void;
  /** A raw text frame (the `malformed` fault). */
  sendRaw(text: string): void;
  closeSocket(code: number, reason: string): void;
  /** Destroys the TCP connection without a close frame (the `reset` fault). */
  destroySocket(): void;
  /** Appends an item to the default conversation; returns the id of the item before it. */
  addItem(item: StoredItem): string | null;
  /** Rate-limit bookkeeping as a response starts (it reserves `tokens`): returns the `rate_limits` array. */
  rateLimits(tokens: number): readonly RateLimitWire[];
}

export interface ResponsePlan {
  readonly conversationId: string;
  /** False for `conversation: "none"` (out-of-band) responses: nothing is added to the conversation. */
  readonly inConversation: boolean;
  readonly output: 'audio' | 'text';
  readonly outputFormat: WireAudioFormat;
  readonly voice: string;
  readonly speed: number;
  readonly maxOutputTokens: number | 'inf';
  readonly metadata: unknown;
  readonly messages: readonly SandboxMessage[];
  readonly tools: readonly ToolDefinition[];
  /** Audio ms of user input in the conversation, for usage. */
  readonly inputAudioMs: number;
  /** A mid-response fault (ws_close, realtime_error, malformed, stall, reset), struck after `afterChunks` deltas. */
  readonly fault?: FaultSpec;
  /** What to say instead of asking the scenario (the idle-timeout nudge). */
  readonly reply?: SandboxReply;
  /**
   * Beta only: the beta response object carries the sampling `temperature` (openai-node
   * resources/beta/realtime/realtime.ts RealtimeResponse: `temperature`); GA's RealtimeResponse has none.
   */
  readonly temperature?: number;
}

/** One entry of `rate_limits.updated` (openai-node resources/realtime/realtime.ts RateLimitsUpdatedEvent.RateLimit). */
export interface RateLimitWire {
  readonly name: 'requests' | 'tokens';
  readonly limit: number;
  readonly remaining: number;
  readonly reset_seconds: number;
}

export type CancelReason = 'client_cancelled' | 'turn_detected';

/** Audio per `response.output_audio.delta`. */
const AUDIO_CHUNK_MS = 100;
/** Transcript deltas run this far ahead of the audio they describe, as OpenAI's do. */
const TRANSCRIPT_LEAD_MS = 200;
/** Audio is generated this many times faster than real time (when the profile paces at all). */
const AUDIO_SPEEDUP = 4;

class Closed extends Error {}
class Failed extends Error {}
class Aborted extends Error {}

type OpenOutput =
  | { kind: 'message'; item: Extract<StoredItem, { type: 'message' }>; part: StoredContent; outputIndex: number; previous: string | null }
  | { kind: 'function_call'; item: Extract<StoredItem, { type: 'function_call' }>; outputIndex: number; previous: string | null };

/**
 * One assistant response: events in the order the OpenAI Realtime API reference gives, paced by the latency profile,
 * cancellable at any await (the remaining `*.done` events and `response.done` still go out).
 */
export class ResponseRun {
  readonly id = newId('resp');
  readonly finished: Promise<void>;
  private readonly abort = new AbortController();
  private cancelReason: CancelReason | undefined;
  private stopped = false;
  private ended = false;
  private deltas = 0;
  private faultStruck = false;
  private readonly output: StoredItem[] = [];
  private open: OpenOutput | undefined;
  private outputTextTokens = 0;
  private outputAudioMs = 0;
  /** performance.now() of the first audio delta, to estimate when the caller finishes hearing it. */
  private firstAudioAt: number | undefined;
  private incompleteReason: string | undefined;
  /** The model's voice for the reply, synthesised while the response start is waited out. */
  private preparedSpeech: { text: string; speech: Promise<SynthesizedSpeech> } | undefined;

  constructor(
    private readonly host: ResponseHost,
    private readonly plan: ResponsePlan,
  ) {
    this.finished = this.run();
  }

  get active(): boolean {
    return !this.ended;
  }

  /** Estimated ms until the caller has heard all the audio sent (played at real time from the first delta). */
  remainingPlaybackMs(): number {
    if (this.firstAudioAt === undefined) return 0;
    return Math.max(0, this.firstAudioAt + this.outputAudioMs - performance.now());
  }

  /** Ends the response as `cancelled`; resolves once `response.done` is out. */
  cancel(reason: CancelReason): Promise<void> {
    if (!this.ended && this.cancelReason === undefined) {
      this.cancelReason = reason;
      this.abort.abort();
    }
    return this.finished;
  }

  /** The socket went away: stop without sending anything. */
  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private emit(event: ServerEvent): void {
    if (!this.stopped) this.host.emit(event);
  }

  private responseObject(status: string, statusDetails: unknown, usage: unknown): ServerEvent {
    const plan = this.plan;
    return {
      type: 'realtime.response',
      object: 'realtime.response',
      id: this.id,
      status,
      status_details: statusDetails,
      output: this.output.map(wireItem),
      conversation_id: plan.inConversation ? plan.conversationId : null,
      output_modalities: [plan.output],
      max_output_tokens: plan.maxOutputTokens,
      ...(plan.temperature === undefined ? {} : { temperature: plan.temperature }),
      audio: { output: { format: gaAudioFormat(plan.outputFormat), voice: plan.voice } },
      usage,
      metadata: plan.metadata ?? null,
    };
  }

  private async run(): Promise<void> {
    const { type: _t, ...created } = this.responseObject('in_progress', null, null);
    this.emit({ type: 'response.created', response: created });
    // Rate limits come as a response starts, with its output tokens reserved, not after it (openai-node
    // resources/realtime/realtime.ts RateLimitsUpdatedEvent: "Emitted at the beginning of a Response ...
    // some tokens will be "reserved" for the output tokens").
    this.emit({ type: 'rate_limits.updated', rate_limits: this.host.rateLimits(this.reservedTokens()) });
    let status: 'completed' | 'cancelled' | 'failed' | 'incomplete' = 'completed';
    let failure: { type: string; code: string } | undefined;
    try {
      const reply = this.plan.reply ?? this.host.ctx.reply(this.plan.messages);
      // The model's voice is synthesised while the response start is waited out: the real model streams
      // its audio, so the sandbox's own speech synthesis must not add to the profile's latency.
      this.prepareSpeech(reply);
      // Drawn per response: the model has heard the audio already, so the length of the turn does not count.
      await this.sleep(this.host.ctx.latency.realtimeResponseStartMs());
      await this.produce(reply);
      if (this.incompleteReason !== undefined) status = 'incomplete';
    } catch (err) {
      if (this.stopped || err instanceof Closed) {
        this.ended = true;
        return;
      }
      if (err instanceof Aborted || this.cancelReason !== undefined) status = 'cancelled';
      else {
        status = 'failed';
        failure = { type: 'server_error', code: 'server_error' };
        if (!(err instanceof Failed)) this.sendServerError();
      }
    }
    this.finishOpen(status === 'completed' ? 'completed' : 'incomplete');
    const details =
      status === 'cancelled'
        ? { type: 'cancelled', reason: this.cancelReason ?? 'client_cancelled' }
        : status === 'failed'
          ? { type: 'failed', error: failure }
          : status === 'incomplete'
            ? { type: 'incomplete', reason: this.incompleteReason }
            : null;
    const usage = this.usage();
    const { type: _t2, ...done } = this.responseObject(status, details, usage);
    this.ended = true;
    this.emit({ type: 'response.done', response: done });
  }

  private async produce(reply: SandboxReply): Promise<void> {
    if (this.callsGivenTool(reply)) {
      await this.functionCall(reply.name, reply.arguments);
      return;
    }
    await this.message(messageText(reply));
  }

  private callsGivenTool(reply: SandboxReply): reply is Extract<SandboxReply, { kind: 'tool_call' }> {
    return reply.kind === 'tool_call' && this.plan.tools.some((tool) => tool.name === reply.name);
  }

  /** The tokens the message sends, and whether `max_output_tokens` cut them. */
  private messageTokens(fullText: string): { tokens: string[]; cut: boolean } {
    const tokens = tokenize(fullText);
    const max = this.plan.maxOutputTokens;
    return max !== 'inf' && tokens.length > max ? { tokens: tokens.slice(0, max), cut: true } : { tokens, cut: false };
  }

  private prepareSpeech(reply: SandboxReply): void {
    if (this.plan.output !== 'audio' || this.callsGivenTool(reply)) return;
    const spoken = this.messageTokens(messageText(reply)).tokens.join('');
    const speech = this.host.ctx.synthesize(spoken, formatSampleRate(this.plan.outputFormat), { speed: this.plan.speed });
    speech.catch(() => undefined); // awaited (and its error handled) in speak()
    this.preparedSpeech = { text: spoken, speech };
  }

  private openItem(item: StoredItem): { outputIndex: number; previous: string | null } {
    const outputIndex = this.output.length;
    this.output.push(item);
    this.emit({ type: 'response.output_item.added', response_id: this.id, output_index: outputIndex, item: wireItem(item) });
    let previous: string | null = null;
    if (this.plan.inConversation) {
      previous = this.host.addItem(item);
      this.emit({ type: 'conversation.item.added', previous_item_id: previous, item: wireItem(item) });
    }
    return { outputIndex, previous };
  }

  private async message(fullText: string): Promise<void> {
    const { tokens, cut } = this.messageTokens(fullText);
    if (cut) this.incompleteReason = 'max_output_tokens';
    const text = tokens.join('');
    const audio = this.plan.output === 'audio';
    const item: Extract<StoredItem, { type: 'message' }> = { id: newId('item'), type: 'message', role: 'assistant', status: 'in_progress', content: [] };
    const { outputIndex, previous } = this.openItem(item);
    const part: StoredContent = audio ? { type: 'output_audio', transcript: '', audioMs: 0 } : { type: 'output_text', text: '' };
    item.content.push(part);
    this.open = { kind: 'message', item, part, outputIndex, previous };
    this.emit({
      type: 'response.content_part.added',
      ...this.partIds(item.id, outputIndex),
      // response.content_part.* name their parts `audio` / `text` in GA too, unlike item content
      // (openai-node resources/realtime/realtime.ts ResponseContentPartAddedEvent.Part: type 'text' | 'audio').
      part: audio ? { type: 'audio', transcript: '' } : { type: 'text', text: '' },
    });
    const tokenDelay = this.tokenDelayMs();
    if (part.type === 'output_text') {
      const pace = this.pacedSleep(tokenDelay);
      for (const token of tokens) {
        await pace();
        await this.beforeDelta();
        part.text += token;
        this.outputTextTokens++;
        this.emit({ type: 'response.output_text.delta', ...this.partIds(item.id, outputIndex), delta: token });
      }
    } else if (part.type === 'output_audio') {
      await this.speak(text, tokens, part, item.id, outputIndex, tokenDelay);
    }
    this.finishOpen('completed');
  }

  private async speak(
    text: string,
    tokens: readonly string[],
    part: Extract<StoredContent, { type: 'output_audio' }>,
    itemId: string,
    outputIndex: number,
    tokenDelay: number,
  ): Promise<void> {
    const rate = formatSampleRate(this.plan.outputFormat);
    const prepared = this.preparedSpeech?.text === text ? this.preparedSpeech.speech : undefined;
    const speech = await (prepared ?? this.host.ctx.synthesize(text, rate, { speed: this.plan.speed }));
    this.check();
    part.alignment = speech.alignment;
    const samples = speech.samples;
    const chunk = Math.round((rate * AUDIO_CHUNK_MS) / 1000);
    const totalMs = (samples.length * 1000) / rate;
    const startMsOf = charTimer(text, speech.alignment, totalMs);
    const tokenStarts: number[] = [];
    let offset = 0;
    for (const token of tokens) {
      tokenStarts.push(startMsOf(offset + (token.length - token.trimStart().length)));
      offset += token.length;
    }
    const audioDelay = tokenDelay > 0 ? AUDIO_CHUNK_MS / AUDIO_SPEEDUP : 0;
    const ids = this.partIds(itemId, outputIndex);
    let next = 0;
    const sendTranscriptUpTo = async (ms: number): Promise<void> => {
      while (next < tokens.length && (tokenStarts[next] ?? 0) < ms) {
        await this.beforeDelta();
        const token = tokens[next] ?? '';
        part.transcript += token;
        this.outputTextTokens++;
        next++;
        this.emit({ type: 'response.output_audio_transcript.delta', ...ids, delta: token, obfuscation: obfuscation(token) });
      }
    };
    for (let start = 0; start < samples.length; start += chunk) {
      const piece = samples.subarray(start, Math.min(samples.length, start + chunk));
      const endMs = ((start + piece.length) * 1000) / rate;
      await sendTranscriptUpTo(endMs + TRANSCRIPT_LEAD_MS);
      await this.sleep(audioDelay);
      await this.beforeDelta();
      part.audioMs = endMs;
      this.outputAudioMs += (piece.length * 1000) / rate;
      this.firstAudioAt ??= performance.now();
      this.emit({ type: 'response.output_audio.delta', ...ids, delta: encodeWireAudio(piece, this.plan.outputFormat) });
    }
    await sendTranscriptUpTo(Number.POSITIVE_INFINITY);
  }

  private async functionCall(name: string, args: string): Promise<void> {
    const item: Extract<StoredItem, { type: 'function_call' }> = {
      id: newId('item'),
      type: 'function_call',
      status: 'in_progress',
      call_id: newId('call'),
      name,
      arguments: '',
    };
    const { outputIndex, previous } = this.openItem(item);
    this.open = { kind: 'function_call', item, outputIndex, previous };
    const pace = this.pacedSleep(this.tokenDelayMs());
    for (let i = 0; i < args.length; i += 8) {
      await pace();
      await this.beforeDelta();
      const delta = args.slice(i, i + 8);
      item.arguments += delta;
      this.outputTextTokens++;
      this.emit({ type: 'response.function_call_arguments.delta', response_id: this.id, item_id: item.id, output_index: outputIndex, call_id: item.call_id, delta });
    }
    this.emit({
      type: 'response.function_call_arguments.done',
      response_id: this.id,
      item_id: item.id,
      output_index: outputIndex,
      call_id: item.call_id,
      name,
      arguments: item.arguments,
    });
    this.finishOpen('completed');
  }

  /** Sends the closing events of whatever is still open (after completion, cancel or failure). */
  private finishOpen(status: 'completed' | 'incomplete'): void {
    const open = this.open;
    if (open === undefined) return;
    this.open = undefined;
    if (open.kind === 'message') {
      const ids = this.partIds(open.item.id, open.outputIndex);
      const part = open.part;
      if (part.type === 'output_audio') {
        this.emit({ type: 'response.output_audio.done', ...ids });
        this.emit({ type: 'response.output_audio_transcript.done', ...ids, transcript: part.transcript });
        this.emit({ type: 'response.content_part.done', ...ids, part: { type: 'audio', transcript: part.transcript } });
      } else if (part.type === 'output_text') {
        this.emit({ type: 'response.output_text.done', ...ids, text: part.text });
        this.emit({ type: 'response.content_part.done', ...ids, part: { type: 'text', text: part.text } });
      }
    }
    open.item.status = status;
    this.emit({ type: 'response.output_item.done', response_id: this.id, output_index: open.outputIndex, item: wireItem(open.item) });
    if (this.plan.inConversation) {
      this.emit({ type: 'conversation.item.done', previous_item_id: open.previous, item: wireItem(open.item) });
    }
  }

  /** Tokens a response reserves as it starts: its prompt (estimated) plus its output allowance. */
  private reservedTokens(): number {
    const prompt = this.plan.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4) + 4, 0);
    const max = this.plan.maxOutputTokens;
    return prompt + (max === 'inf' ? 4096 : max);
  }

  private partIds(itemId: string, outputIndex: number): Record<string, unknown> {
    return { response_id: this.id, item_id: itemId, output_index: outputIndex, content_index: 0 };
  }

  private tokenDelayMs(): number {
    const tps = this.host.ctx.profile.realtime.tokensPerSecond;
    return tps > 0 && Number.isFinite(tps) ? 1000 / tps : 0;
  }

  private usage() {
    const inputText = Math.ceil(this.plan.messages.reduce((n, m) => n + m.content.length, 0) / 4);
    const inputAudio = Math.round(this.plan.inputAudioMs / 100);
    const outputAudio = Math.round(this.outputAudioMs / 50);
    const input = inputText + inputAudio;
    const output = this.outputTextTokens + outputAudio;
    return {
      total_tokens: input + output,
      input_tokens: input,
      output_tokens: output,
      input_token_details: {
        text_tokens: inputText,
        audio_tokens: inputAudio,
        image_tokens: 0,
        cached_tokens: 0,
        cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 },
      },
      output_token_details: { text_tokens: this.outputTextTokens, audio_tokens: outputAudio },
    };
  }

  private check(): void {
    if (this.stopped) throw new Closed();
    if (this.abort.signal.aborted) throw new Aborted();
  }

  /** Paced waits without drift: the n-th ends at origin + n * ms, so late timers do not add up over a reply. */
  private pacedSleep(ms: number): () => Promise<void> {
    const origin = performance.now();
    let count = 0;
    return () => this.sleep(Math.max(0, origin + ++count * ms - performance.now()));
  }

  /** Waits, waking early on cancel; a zero wait still yields so client events (a cancel) get in. */
  private async sleep(ms: number): Promise<void> {
    this.check();
    await new Promise<void>((resolve) => {
      const signal = this.abort.signal;
      const done = (): void => {
        signal.removeEventListener('abort', done);
        clearTimeout(timer);
        resolve();
      };
      const timer = ms > 0 ? setTimeout(done, ms) : setTimeout(done, 0);
      signal.addEventListener('abort', done, { once: true });
    });
    this.check();
  }

  /** Counts a delta and strikes the session's fault when its turn comes. */
  private async beforeDelta(): Promise<void> {
    const fault = this.plan.fault;
    if (fault !== undefined && !this.faultStruck && this.deltas >= (fault.afterChunks ?? DEFAULT_AFTER_CHUNKS)) {
      this.faultStruck = true;
      switch (fault.kind) {
        case 'ws_close':
          this.stopped = true;
          this.host.closeSocket(1011, 'Internal server error (rxvoice sandbox fault ws_close)');
          throw new Closed();
        case 'reset':
          this.stopped = true;
          this.host.destroySocket();
          throw new Closed();
        case 'realtime_error':
          this.sendServerError();
          throw new Failed();
        case 'malformed':
          this.host.sendRaw('{"type":"response.output_audio.delta","delta":"AAAA');
          break;
        case 'stall':
          await this.sleep(fault.stallMs ?? DEFAULT_STALL_MS);
          break;
        default:
          break;
      }
    }
    this.deltas++;
  }

  private sendServerError(): void {
    this.emit({
      type: 'error',
      error: {
        type: 'server_error',
        code: 'server_error',
        message: 'The server had an error while processing your request. Sorry about that! (rxvoice sandbox fault)',
        param: null,
        event_id: null,
      },
    });
  }
}

/** Word-sized pieces whose concatenation is the text (leading spaces kept, as OpenAI's deltas have them). */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** Start time (ms) of the character at a string offset, from the synthesizer's alignment. */
function charTimer(text: string, alignment: { chars: readonly string[]; charStartMs: readonly number[] }, totalMs: number) {
  const length = text.length;
  const starts = alignment.charStartMs;
  return (offset: number): number => {
    if (length === 0) return 0;
    if (starts.length === length) return starts[offset] ?? totalMs;
    if (starts.length > 0) return starts[Math.min(starts.length - 1, Math.floor((offset * starts.length) / length))] ?? 0;
    return (offset / length) * totalMs;
  };
}

/** What a reply says as a message: a tool the session was not given, the model says it would have used. */
function messageText(reply: SandboxReply): string {
  return reply.kind === 'text' ? reply.text : `I would need the ${reply.name} tool for that, but it is not available.`;
}
