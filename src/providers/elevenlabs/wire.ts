/**
 * ElevenLabs' wire shapes, the one copy the client (this folder) and the sandbox (src/sandbox/elevenlabs)
 * both use. Names follow `@elevenlabs/elevenlabs-js` (serialization/types/*: VoiceSettings,
 * WebsocketTtsClientMessageMulti, AudioOutput, Alignment / NormalizedAlignment,
 * AudioWithTimestampsResponse) and the API reference: snake_case in requests, camelCase in WebSocket
 * replies, snake_case + seconds in the REST `with-timestamps` replies.
 */

/** `voice_settings` in a REST body or the first `stream-input` message (elevenlabs-js VoiceSettings). */
export interface VoiceSettingsWire {
  readonly stability?: number;
  readonly similarity_boost?: number;
  readonly style?: number;
  readonly use_speaker_boost?: boolean;
  readonly speed?: number;
}

/** Request body of `POST /v1/text-to-speech/{voice_id}[/stream][/with-timestamps]`. */
export interface TextToSpeechBody {
  readonly text: string;
  readonly model_id?: string;
  readonly language_code?: string;
  readonly voice_settings?: VoiceSettingsWire;
  readonly seed?: number;
}

/**
 * A client message on `stream-input`: `{"text": " "}` opens (with `voice_settings` and
 * `generation_config` only then), text pieces follow (`flush` / `try_trigger_generation` force a
 * generation), `{"text": ""}` ends the input.
 */
export interface WsTextMessage {
  readonly text: string;
  readonly voice_settings?: VoiceSettingsWire;
  readonly generation_config?: { readonly chunk_length_schedule?: readonly number[] };
  readonly flush?: boolean;
  readonly try_trigger_generation?: boolean;
  readonly xi_api_key?: string;
}

/** WebSocket alignment (camelCase, ms, relative to the message's audio). */
export interface WsAlignment {
  readonly chars: string[];
  readonly charStartTimesMs: number[];
  readonly charDurationsMs: number[];
}

/**
 * Alignment as a client must read it: the AsyncAPI spec has also spelled the keys `charsStartTimesMs` /
 * `charsDurationsMs` (elevenlabs-js NormalizedAlignment), so both spellings are accepted.
 */
export type WsAlignmentReceived = Partial<WsAlignment> & {
  readonly charsStartTimesMs?: number[];
  readonly charsDurationsMs?: number[];
};

/** An audio message on `stream-input` (`contextId` only on `multi-stream-input`). */
export interface WsAudioMessage {
  readonly audio: string;
  readonly isFinal: null;
  readonly normalizedAlignment: WsAlignment | null;
  readonly alignment: WsAlignment | null;
  readonly contextId?: string;
}

/** A WebSocket error message; the socket then closes with `code` and the message as reason. */
export interface WsErrorMessage {
  readonly message: string;
  readonly error: string;
  readonly code: number;
}

/** REST with-timestamps alignment (snake_case, seconds). */
export interface RestAlignment {
  readonly characters: string[];
  readonly character_start_times_seconds: number[];
  readonly character_end_times_seconds: number[];
}

/** One line of `/stream/with-timestamps` (newline-delimited JSON), or the whole `/with-timestamps` body. */
export interface RestTimestampsChunk {
  readonly audio_base64: string;
  readonly alignment: RestAlignment | null;
  readonly normalized_alignment: RestAlignment | null;
}

/** `{"detail": {"status", "message"}}`: every ElevenLabs error except request validation. */
export interface ElevenLabsErrorBody {
  readonly detail: { readonly status: string; readonly message: string };
}

/** FastAPI's 422: `{"detail": [{"type", "loc", "msg", "input"}]}` (ElevenLabs' API is FastAPI). */
export interface ValidationErrorBody {
  readonly detail: ReadonlyArray<{ readonly type: string; readonly loc: ReadonlyArray<string | number>; readonly msg: string; readonly input: unknown }>;
}
