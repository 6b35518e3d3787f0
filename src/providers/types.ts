import type { Observable } from 'rxjs';
import type { SampleRate } from '../audio/frame.js';
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

export interface ChatToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

/** Chat Completions messages, in the wire's own shape so history round-trips unchanged. */
export type ChatMessage =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string | null; readonly tool_calls?: readonly ChatToolCall[] }
  | { readonly role: 'tool'; readonly tool_call_id: string; readonly content: string };

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

/** ElevenLabs' output formats that rxvoice decodes to PCM16 frames. */
export type TtsOutputFormat = 'pcm_16000' | 'pcm_22050' | 'pcm_24000' | 'pcm_44100' | 'ulaw_8000';

export interface VoiceSettings {
  readonly stability?: number;
  readonly similarityBoost?: number;
  readonly style?: number;
  readonly useSpeakerBoost?: boolean;
  readonly speed?: number;
}

export interface SynthesisRequest {
  /** The whole text, or text pieces as they are produced (each ending where speech can start). */
  readonly text: string | Observable<string>;
  readonly voiceId: string;
  readonly modelId?: string;
  readonly outputFormat: TtsOutputFormat;
  readonly language?: string;
  readonly voiceSettings?: VoiceSettings;
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

export interface Synthesizer {
  readonly name: string;
  synthesize(request: SynthesisRequest): Observable<SynthesisChunk>;
}
