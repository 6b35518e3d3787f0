import type { Observable } from 'rxjs';
import type { JsonSchema } from './types.js';

/**
 * The small, vendor-neutral interface behind the `realtime` operator (LiveKit-plugin style): the operator
 * speaks the GA event vocabulary and never knows the URL, the auth header or the protocol dialect (GA or
 * the retired beta/Azure-preview one) of the server behind it. The provider translates both ways.
 *
 * ```
 * const connection = session.connect(config);      // nothing happens yet
 * connection.events.subscribe(...)                  // opens ONE socket, sends session.update first
 * connection.send({ type: 'input_audio_buffer.append', audio })  // queued until the socket is open
 * unsubscribe                                       // closes it with 1000
 * ```
 */
export interface RealtimeSession {
  readonly name: string;
  /** A new connection (one socket); call again to reconnect. */
  connect(config: RealtimeSessionConfig): RealtimeConnection;
}

export interface RealtimeConnection {
  /**
   * Server events in GA names (beta names are renamed by the provider). Subscribing opens the socket; the
   * stream completes when the socket closes after `close()`, and errors with an `RxVoiceError` when the
   * upgrade is refused (`auth` for 401/403) or the socket closes unexpectedly (`connection`, retryable; or
   * `session_expired` after the server's maximum session length). Unsubscribing closes the socket.
   */
  readonly events: Observable<RealtimeServerEvent>;
  /** Sends a client event (GA shape); queued while the socket opens. False once the socket is closed. */
  send(event: RealtimeClientEvent): boolean;
  /** Closes the socket normally (1000); `events` completes. */
  close(): void;
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

/** A server event in GA names. Only `type` is certain; every other field is read defensively. */
export interface RealtimeServerEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Client events the operator sends (GA shapes). */
export type RealtimeClientEvent =
  | { readonly type: 'input_audio_buffer.append'; readonly audio: string }
  | { readonly type: 'input_audio_buffer.commit' }
  | { readonly type: 'input_audio_buffer.clear' }
  | { readonly type: 'response.create'; readonly response?: Readonly<Record<string, unknown>> }
  | { readonly type: 'response.cancel'; readonly response_id?: string }
  | {
      readonly type: 'conversation.item.truncate';
      readonly item_id: string;
      readonly content_index: number;
      readonly audio_end_ms: number;
    }
  | { readonly type: 'conversation.item.delete'; readonly item_id: string }
  | { readonly type: 'conversation.item.create'; readonly previous_item_id?: string | null; readonly item: RealtimeItem };

/** Conversation items the client creates (history restore, tool results), GA content-part spellings. */
export type RealtimeItem =
  | {
      readonly type: 'message';
      readonly role: 'user' | 'system';
      readonly content: readonly (
        | { readonly type: 'input_text'; readonly text: string }
        /** Base64 audio in the session's input format (a user turn whose transcript never arrived). */
        | { readonly type: 'input_audio'; readonly audio: string }
      )[];
    }
  | {
      readonly type: 'message';
      readonly role: 'assistant';
      readonly content: readonly { readonly type: 'output_text'; readonly text: string }[];
    }
  | { readonly type: 'function_call'; readonly call_id: string; readonly name: string; readonly arguments: string }
  | { readonly type: 'function_call_output'; readonly call_id: string; readonly output: string };

/** Bytes per ms of input/output audio on the wire, and the sample rate. */
export function formatRate(format: RealtimeAudioFormat): 24000 | 8000 {
  return format === 'pcm16' ? 24000 : 8000;
}
