import type { Observable } from 'rxjs';
import type { SampleRate } from '../audio/frame.js';
import type { AudioFormat } from '../audio/format.js';
import type { TokenUsage } from '../events.js';

/**
 * Small vendor-neutral interfaces. Operators take one of these as an option and never know which vendor
 * (or the sandbox) is behind it. Every method returns a cold Observable: subscribing starts the request,
 * unsubscribing aborts it and releases its socket.
 */

// ---- speech to text -------------------------------------------------------------------------------

export interface TranscriptionRequest {
  /** PCM16 mono audio of one utterance, as it arrives; completes when the caller stops. */
  readonly audio: Observable<Int16Array>;
  readonly sampleRate: SampleRate;
  /** ISO-639-1 hint; omitted means auto-detect. */
  readonly language?: string;
  readonly prompt?: string;
  /** Ask for partial transcripts as they are produced. */
  readonly stream?: boolean;
  /** Caller utterance id, for logs and the sandbox's scenario bookkeeping. */
  readonly turnId?: string;
}

export interface TranscriptUpdate {
  readonly text: string;
  readonly final: boolean;
  readonly language?: string;
}

export interface Transcriber {
  readonly name: string;
  transcribe(request: TranscriptionRequest): Observable<TranscriptUpdate>;
}

// ---- chat -----------------------------------------------------------------------------------------

/** A function call the model asked for; `arguments` is the JSON text it wrote (parsed by the tool runner). */
export interface ChatToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/**
 * The history a chat model sees, in rxvoice's own terms: each provider maps it to its wire (Chat
 * Completions in `src/providers/openai/messages.ts`). An assistant message may carry tool calls (its text
 * is then what was said before them, possibly ''); each call is answered by a `tool` message.
 */
export type ChatMessage =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly ChatToolCall[] }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly content: string };

/** A JSON Schema object, as tools declare their parameters. */
export type JsonSchema = { readonly [key: string]: unknown };

export interface ToolSpec {
  readonly name: string;
  readonly description?: string;
  readonly parameters: JsonSchema;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolSpec[];
  readonly temperature?: number;
  readonly maxTokens?: number;
}

export type ChatChunk =
  | { readonly type: 'text'; readonly delta: string }
  /** A tool-call fragment: `id` and `name` come on the first fragment of an index, arguments in pieces. */
  | {
      readonly type: 'tool_call';
      readonly index: number;
      readonly id?: string;
      readonly name?: string;
      readonly argumentsDelta: string;
    }
  | { readonly type: 'done'; readonly finishReason: string; readonly usage?: TokenUsage };

export interface ChatModel {
  readonly name: string;
  stream(request: ChatRequest): Observable<ChatChunk>;
}

// ---- text to speech -------------------------------------------------------------------------------

/**
 * How a voice speaks, in terms any text-to-speech provider can map; each provider maps what it has a knob
 * for and ignores the rest (ElevenLabs: `src/providers/elevenlabs/options.ts`). All optional.
 */
export interface VoiceStyle {
  /** Speaking rate; 1 is the voice's normal pace. */
  readonly speed?: number;
  /** 0..1: steady, even delivery (1) versus varied and expressive (0). */
  readonly stability?: number;
  /** 0..1: how closely to keep to the voice's original timbre. */
  readonly similarity?: number;
  /** 0..1: how much to exaggerate the voice's own style. */
  readonly expressiveness?: number;
}

export interface SynthesisRequest {
  /** The whole text, or text pieces as they are produced (each ending where speech can start). */
  readonly text: string | Observable<string>;
  /** The provider's voice id; omitted: the synthesizer's default voice. */
  readonly voiceId?: string;
  /** The audio wanted back; a synthesizer that cannot produce it fails the request with a clear error. */
  readonly outputFormat: AudioFormat;
  readonly language?: string;
  readonly voiceStyle?: VoiceStyle;
  readonly turnId?: string;
  /**
   * Whether the provider should read numbers, dates and the like out itself (its own text normalisation):
   * `true` on, `false` off; omitted: the provider's default. Providers without it ignore it.
   */
  readonly normalizeText?: boolean;
}

/** Character timing for a chunk of audio, relative to the chunk's start. */
export interface Alignment {
  readonly chars: readonly string[];
  readonly charStartMs: readonly number[];
  readonly charDurationMs: readonly number[];
}

export interface SynthesisChunk {
  /** PCM16 mono at `sampleRate` (mu-law output is decoded; transports re-encode). */
  readonly samples: Int16Array;
  readonly sampleRate: SampleRate;
  readonly alignment?: Alignment;
}

/**
 * Text to speech. The model is the synthesizer's own choice (set where it is built), so operators never
 * name one; `name` reads `vendor:model` (e.g. `elevenlabs:eleven_flash_v2_5`), which prices the audio.
 */
export interface Synthesizer {
  readonly name: string;
  synthesize(request: SynthesisRequest): Observable<SynthesisChunk>;
}
