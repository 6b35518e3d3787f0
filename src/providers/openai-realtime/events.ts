import type { Observable } from 'rxjs';

/**
 * OpenAI / Azure OpenAI realtime wire shapes (OpenAI Realtime API reference, GA `session.type: realtime`;
 * openai-node `resources/realtime/realtime.ts`), and the one copy of the GA <-> beta dialect map that both
 * the client (`wire.ts`) and the sandbox (`src/sandbox/realtime/wire.ts`) use.
 */

/** A server event in GA names. Only `type` is certain; every other field is read defensively. */
export interface OpenAIServerEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Client events the provider sends (GA shapes). */
export type OpenAIClientEvent =
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
  | { readonly type: 'conversation.item.create'; readonly previous_item_id?: string | null; readonly item: OpenAIItem }
  | { readonly type: 'session.update'; readonly session: Readonly<Record<string, unknown>> };

/** Conversation items the client creates (history restore, tool results), GA content-part spellings. */
export type OpenAIItem =
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

/** One socket speaking the wire protocol (GA names both ways; the dialect is translated below it). */
export interface OpenAIWireConnection {
  /**
   * Server events in GA names. Subscribing opens the socket; the stream completes when the socket closes
   * after `close()`, and errors with an `RxVoiceError` when the upgrade is refused (`auth` for 401/403) or
   * the socket closes unexpectedly (`connection`, retryable; or `session_expired` after the server's
   * maximum session length). Unsubscribing closes the socket.
   */
  readonly events: Observable<OpenAIServerEvent>;
  /** Sends a client event (GA shape); queued while the socket opens. False once the socket is closed. */
  send(event: OpenAIClientEvent): boolean;
  close(): void;
}

/**
 * GA server event name -> beta name. The beta protocol is the GA engine under other names (OpenAI Realtime
 * API reference, "Migrating from beta"): `response.audio.*` became `response.output_audio.*`,
 * `response.text.*` `response.output_text.*`, and `conversation.item.created` `conversation.item.added`.
 */
export const GA_TO_BETA_EVENTS: Readonly<Record<string, string>> = {
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
  'response.output_text.delta': 'response.text.delta',
  'response.output_text.done': 'response.text.done',
  'conversation.item.added': 'conversation.item.created',
};

/** Beta server event name -> GA name: the same map read the other way. */
export const BETA_TO_GA_EVENTS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(GA_TO_BETA_EVENTS).map(([ga, beta]) => [beta, ga]),
);

/** GA server events the beta protocol does not have. */
export const GA_ONLY_EVENTS: ReadonlySet<string> = new Set(['conversation.item.done']);

/** GA content-part type -> beta (assistant parts: `output_text`/`output_audio` were `text`/`audio`). */
export const GA_TO_BETA_PART_TYPES: Readonly<Record<string, string>> = { output_text: 'text', output_audio: 'audio' };
