import type { OperatorFunction } from 'rxjs';
import type { AudioFrame } from '../audio/frame.js';
import type { Observable } from 'rxjs';
import type { DtmfEvent, PipelineEvent } from '../events.js';
import type { ExotelOptions, PlivoOptions, TelnyxOptions, VonageOptions } from './carriers/options.js';
import type { CarrierName } from './carriers/types.js';
import type { AnsweringMachineOptions } from './carriers/amd-action.js';
import type { CallControl } from './call-control.js';
import type { PlaceCallOptions } from './carriers/twilio/place-call.js';
import type { TwilioCall } from './carriers/twilio/rest.js';
import type { PlaybackClock } from '../playback.js';
import type { ClientSampleRate } from './codec.js';
import type { MetricsOptions } from './metrics.js';
import type { CallLogOptions, StructuredLogger } from './logging.js';
import type { StageModels, TracingOptions } from './tracing.js';

export type PipelineName = 'cascaded' | 'realtime';

/** `rxvoice` (the project's own protocol) or the phone carrier whose media stream the call came on. */
export type TransportName = 'rxvoice' | CarrierName;

/** Audio on the socket, both ways: PCM16 little-endian at 8/16/24/48 kHz, or G.711 mu-law at 8 kHz. */
export interface WireFormat {
  readonly encoding: 'pcm16' | 'mulaw';
  readonly sampleRate: ClientSampleRate;
}

/** What one connection asked for, after the server checked it against `allow`. */
export interface PipelineChoice {
  readonly pipeline: PipelineName;
  readonly voice?: string;
  readonly language?: string;
  readonly systemPrompt?: string;
  /** The format the client wants audio back in (the server resamples/encodes the pipeline's frames). */
  readonly outputFormat: WireFormat;
  /** Per-session clock: the transport feeds it what the caller really heard (Twilio marks, browser reports). */
  readonly playback: PlaybackClock;
  /** Unique per session; handy as the sandbox call id. */
  readonly sessionId: string;
  readonly transport: TransportName;
  /** The carrier's custom parameters (Twilio `<Parameter>`s, Telnyx/Exotel `custom_parameters`, ...), on phone calls. */
  readonly customParameters?: Readonly<Record<string, string>>;
  /** The caller's key presses on phone calls (never emits on other transports); merge it in or `collectDigits` it. */
  readonly dtmf: Observable<DtmfEvent>;
  /** Hang up, transfer, send DTMF over the carrier's REST API, when the server has its credentials (`callControlTools`). */
  readonly call?: CallControl;
}

/** Builds a fresh pipeline for each connection. */
export type PipelineFactory = (choice: PipelineChoice) => OperatorFunction<AudioFrame, PipelineEvent>;

export interface AllowOptions {
  /** Pipelines a client may pick (default both); the first is used when a Twilio call names none. */
  readonly pipelines?: readonly PipelineName[];
  /** Voices a client may pick; omitted = any. */
  readonly voices?: readonly string[];
  /** Languages a client may pick; omitted = any. */
  readonly languages?: readonly string[];
  /** Whether a client may send its own system prompt (default false: the server's prompt is used). */
  readonly systemPrompt?: boolean;
}

export interface AuthOptions {
  /** Accepted `Authorization: Bearer <token>` values. */
  readonly bearerTokens?: readonly string[];
  /** HMAC secret for `?token=` query tokens made by `signToken` (browsers cannot set headers on a WebSocket). */
  readonly tokenSecret?: string;
}

export interface TwilioOptions {
  /** When set, `X-Twilio-Signature` is checked on the WebSocket upgrade (HMAC-SHA1 of the full URL). */
  readonly authToken?: string;
  /**
   * The public URL Twilio used (scheme + host), when the server sits behind a proxy: the signature covers
   * the URL Twilio saw, not the one Node sees. Default: `wss://` + Host header.
   */
  readonly publicBaseUrl?: string;
  /**
   * With `authToken`, enables call control over Twilio's REST API (`choice.call`: hang up, transfer,
   * DTMF) and `placeCall`. The auth token is the password unless `apiKeySid` is set (then it is the key's
   * secret).
   */
  readonly accountSid?: string;
  readonly apiKeySid?: string;
  /** The REST API's base URL (default `https://api.twilio.com`; the sandbox's URL offline). */
  readonly apiBaseUrl?: string;
}

export interface RecordingOptions {
  /** Directory for `<sessionId>.wav` (stereo: left caller, right assistant) and `<sessionId>.jsonl`. */
  readonly dir: string;
  /** Sample rate of the WAV (default 16000). */
  readonly sampleRate?: 8000 | 16000 | 24000 | 48000;
  /** Assistant audio queued ahead of the caller clock before it is dropped, in ms (default 60000). */
  readonly maxQueuedMs?: number;
}

export interface LimitOptions {
  /** Largest WebSocket message accepted, in bytes (default 256 KiB); larger closes the socket with 1009. */
  readonly maxMessageBytes?: number;
  /** Live sessions at once (default 100); the next upgrade gets HTTP 503. */
  readonly maxSessions?: number;
  /** A socket that sends nothing for this long is closed with 4408 (default 30000 ms). */
  readonly idleTimeoutMs?: number;
  /**
   * Outbound bytes a session may have queued in its socket (default 1 MiB). Above it, reply audio is
   * dropped (counted, and an `error` event tells the client once); above twice it, the session is closed
   * with 1008 because even events no longer drain.
   */
  readonly maxBufferedBytes?: number;
  /** `/readyz` answers 503 while the event loop's p99 delay over the last second exceeds this (default 200 ms). */
  readonly maxEventLoopLagMs?: number;
  /**
   * A call whose cost (the pipelines' `cost` events) passes this many US dollars is ended politely: the
   * reply in progress is heard out, then the client gets `ended` (reason `call budget exceeded`) and 1000.
   * Default: no budget.
   */
  readonly maxCallUsd?: number;
}

export interface ServeOptions {
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly pipelineFactory: PipelineFactory;
  readonly allow?: AllowOptions;
  /** Used when the client sends none (and always when `allow.systemPrompt` is false). */
  readonly systemPrompt?: string;
  readonly auth?: AuthOptions;
  /**
   * Browser origins allowed to connect (`Origin` header); omitted = any. Requests without Origin pass.
   * `'self'` allows the server's own origin (Origin host = the request's Host).
   */
  readonly allowedOrigins?: readonly string[];
  readonly limits?: LimitOptions;
  readonly twilio?: TwilioOptions;
  /** Telnyx media streaming on `/telnyx` (see docs/telephony.md). */
  readonly telnyx?: TelnyxOptions;
  /** Plivo audio streams on `/plivo`. */
  readonly plivo?: PlivoOptions;
  /** Exotel Voicebot streams on `/exotel`. */
  readonly exotel?: ExotelOptions;
  /** Vonage: the answer webhook's signature check (its WebSocket on `/vonage` is guarded by the general `auth`). */
  readonly vonage?: VonageOptions;
  /**
   * Answering-machine detection on the calls the agent places (`placeCall`): on a machine, hang up or
   * leave a message after the beep (see docs/telephony.md). Needs the carrier's call control.
   */
  readonly answeringMachine?: AnsweringMachineOptions;
  /**
   * Parameters the answer webhooks (`/twilio/voice`, `/plivo/answer`, `/vonage/answer`) add to every stream
   * they connect, e.g. `{ pipeline: 'cascaded' }`; they arrive as `choice.customParameters`.
   */
  readonly streamParameters?: Readonly<Record<string, string>>;
  readonly recording?: RecordingOptions;
  /** Directory of the browser page (default: the package's `examples/browser`); false = no page. */
  readonly staticDir?: string | false;
  /** `/metrics`: which provider serves each stage (the `provider` label). */
  readonly metrics?: MetricsOptions;
  /** OpenTelemetry spans per call, turn and stage (through `@opentelemetry/api`; no SDK is bundled). */
  readonly tracing?: TracingOptions;
  /** The model serving each stage: span attributes, and the price of each call's usage. */
  readonly models?: StageModels;
  /** Log lines, info and above (already free of secrets); default silent. */
  readonly log?: (line: string) => void;
  /**
   * Structured logs (a pino `Logger` fits): every level, `callId` on each line about a call and `turnId` on
   * each line about a turn, secrets redacted from messages and fields.
   */
  readonly logger?: StructuredLogger;
  /** What the per-turn log lines may hold (default: lengths, never what was said). */
  readonly logCalls?: CallLogOptions;
}

export interface SessionStats {
  readonly id: string;
  readonly transport: TransportName;
  readonly bufferedAmount: number;
  readonly maxBufferedAmount: number;
  readonly droppedAudioBytes: number;
  readonly sentAudioBytes: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Places an outbound phone call (Twilio REST API) whose answered audio streams to this server. */
  placeCall(call: PlaceCallOptions): Promise<TwilioCall>;
  /** Live sessions and their outbound queues. */
  sessions(): SessionStats[];
  /**
   * Stops accepting, lets live calls finish for up to `deadlineMs` (default 10000), then closes the rest
   * with 1001 "server shutting down".
   */
  close(deadlineMs?: number): Promise<void>;
}
