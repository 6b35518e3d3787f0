import type { Observable } from 'rxjs';
import type { TokenUsage } from '../events.js';
import type { JsonSchema } from './types.js';

/**
 * The vendor-neutral realtime speech-model interface behind the `realtime` operator: verbs going up, neutral
 * events coming down, item and response ids as opaque strings. A provider (OpenAI / Azure OpenAI in
 * `src/providers/openai-realtime/`) owns the URL, the auth, the dialect and every wire event name.
 *
 * ```
 * const connection = session.connect(config);      // nothing happens yet
 * connection.events.subscribe(...)                  // opens ONE connection, applies the config first
 * connection.appendAudio(samples)                   // queued until the connection is open
 * unsubscribe                                       // closes it normally
 * ```
 */
export interface RealtimeSession {
  readonly name: string;
  /** The provider's hard limit on one connection's length (OpenAI 60 min, Azure 30 min); undefined: none known. */
  readonly maxSessionMs?: number | undefined;
  /** The input transcription model used when the caller names none; undefined: no input transcripts by default. */
  readonly defaultTranscriptionModel?: string;
  /** A new connection; call again to reconnect. */
  connect(config: RealtimeSessionConfig): RealtimeConnection;
}

export interface RealtimeConnection {
  /**
   * Neutral events. Subscribing opens the connection; the stream completes after `close()`, and errors with
   * an `RxVoiceError` when the connection is refused (`auth`), drops (`connection`, retryable) or reaches
   * the provider's maximum length (`session_expired`, retryable). Unsubscribing closes it.
   */
  readonly events: Observable<RealtimeEvent>;
  /** Caller audio at `formatRate(config.inputFormat)`, mono. False once the connection is closed. */
  appendAudio(samples: Int16Array): boolean;
  /** Ends the pending user input: it becomes a user item (`input.committed`). */
  commit(): boolean;
  /** Drops uncommitted input audio. */
  clearInput(): boolean;
  createResponse(): boolean;
  /** Cancels the response in flight (the given one, or whichever is active). */
  cancelResponse(responseId?: string): boolean;
  /** Cuts an assistant audio item to what was played: the model then remembers only that. */
  truncate(itemId: string, atMs: number): boolean;
  deleteItem(itemId: string): boolean;
  /** Adds an item to the conversation (history restore, a heard-text replacement), after `previousItemId` if given. */
  addItem(item: RealtimeItem, previousItemId?: string): boolean;
  /** Answers a `tool.call`. */
  sendToolResult(callId: string, output: string): boolean;
  updateSession(config: RealtimeSessionConfig): boolean;
  close(): void;
}

/** A conversation item the client adds (history restore, tool exchanges, heard text). */
export type RealtimeItem =
  | { readonly type: 'user_text'; readonly text: string }
  /** A user turn whose transcript never arrived: its audio at the input rate, so the model still hears it. */
  | { readonly type: 'user_audio'; readonly samples: Int16Array }
  | { readonly type: 'assistant_text'; readonly text: string }
  | { readonly type: 'tool_call'; readonly callId: string; readonly name: string; readonly arguments: string }
  | { readonly type: 'tool_result'; readonly callId: string; readonly output: string };

/** How a response ended. */
export type RealtimeResponseStatus = 'completed' | 'cancelled' | 'failed' | 'incomplete';

/**
 * What a realtime connection reports. Audio positions are ms of input audio since the connection's first
 * appended sample; ids are the provider's, opaque.
 */
export type RealtimeEvent =
  | { readonly type: 'session.ready' }
  /** Server turn detection heard speech start / stop. */
  | { readonly type: 'speech.started'; readonly itemId?: string; readonly audioMs: number }
  | { readonly type: 'speech.stopped'; readonly itemId?: string; readonly audioMs: number }
  /** The pending input became user item `itemId`. */
  | { readonly type: 'input.committed'; readonly itemId?: string }
  | { readonly type: 'item.added'; readonly itemId: string; readonly previousItemId: string | null }
  | { readonly type: 'input.transcript.delta'; readonly itemId: string; readonly delta: string }
  | { readonly type: 'input.transcript.done'; readonly itemId: string; readonly text: string; readonly language?: string }
  | { readonly type: 'input.transcript.failed'; readonly itemId?: string; readonly message: string }
  | { readonly type: 'response.started'; readonly responseId?: string }
  /** The response opened an output item: an assistant message (text / audio) or a tool call. */
  | { readonly type: 'response.item'; readonly responseId?: string; readonly itemId: string; readonly kind: 'message' | 'tool_call' }
  /** Reply text, or the transcript of the model's own audio. */
  | { readonly type: 'response.text'; readonly responseId?: string; readonly itemId?: string; readonly delta: string }
  /** Reply audio at the output format's rate. */
  | { readonly type: 'response.audio'; readonly responseId?: string; readonly itemId?: string; readonly samples: Int16Array }
  | { readonly type: 'tool.call'; readonly responseId?: string; readonly callId: string; readonly name: string; readonly arguments: string }
  | {
      readonly type: 'response.done';
      readonly responseId?: string;
      readonly status: RealtimeResponseStatus;
      /** The assistant message item of the response, if it had one. */
      readonly messageItemId?: string;
      readonly usage?: TokenUsage;
      /** Why a `failed` response failed. */
      readonly error?: string;
    }
  | { readonly type: 'rate_limits'; readonly limits: readonly RealtimeRateLimit[] }
  /**
   * `commit_empty`: too little audio to commit; `server`: any other server error; `protocol`: a message
   * the provider could not read.
   */
  | { readonly type: 'error'; readonly code: 'commit_empty' | 'server' | 'protocol'; readonly message: string };

export interface RealtimeRateLimit {
  readonly name: string;
  readonly remaining: number;
  readonly limit: number;
  readonly resetSeconds: number;
}

/** Input audio on the wire: PCM16 at 24 kHz, or G.711 (8 kHz) for telephony. */
export type RealtimeAudioFormat = 'pcm16' | 'g711_ulaw' | 'g711_alaw';

export type RealtimeTurnDetection =
  | {
      readonly type: 'server_vad';
      readonly threshold?: number;
      readonly prefixPaddingMs?: number;
      readonly silenceDurationMs?: number;
      readonly idleTimeoutMs?: number;
      readonly createResponse?: boolean;
      readonly interruptResponse?: boolean;
    }
  | {
      readonly type: 'semantic_vad';
      readonly eagerness?: 'low' | 'medium' | 'high' | 'auto';
      readonly createResponse?: boolean;
      readonly interruptResponse?: boolean;
    }
  /** No server VAD: the local `vad` decides; the operator commits the buffer and asks for a response. */
  | { readonly type: 'none' };

export interface RealtimeToolSpec {
  readonly name: string;
  readonly description?: string;
  readonly parameters: JsonSchema;
}

/** What `session.update` sets; the provider writes it in the dialect its server speaks. */
export interface RealtimeSessionConfig {
  readonly instructions?: string;
  /** `text` (the reply is text, spoken by a TTS downstream) or `audio` (the model speaks; text = its transcript). */
  readonly output: 'text' | 'audio';
  readonly inputFormat: RealtimeAudioFormat;
  /** Output audio format when `output` is `audio` (default: the input format). */
  readonly outputFormat?: RealtimeAudioFormat;
  readonly voice?: string;
  /** Input transcription model (an Azure deployment name on Azure); omitted = no input transcripts. */
  readonly transcription?: { readonly model: string; readonly language?: string; readonly prompt?: string };
  readonly turnDetection: RealtimeTurnDetection;
  readonly tools?: readonly RealtimeToolSpec[];
  readonly toolChoice?: 'auto' | 'none' | 'required';
}

/** Bytes per ms of input/output audio on the wire, and the sample rate. */
export function formatRate(format: RealtimeAudioFormat): 24000 | 8000 {
  return format === 'pcm16' ? 24000 : 8000;
}
