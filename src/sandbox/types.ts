/**
 * The sandbox's contracts: scenarios (what it says), latency profiles (how slowly), faults (how it breaks).
 * Profiles and scenarios are plain data so a benchmark can state exactly how much latency the
 * "providers" contributed, and a test can state exactly what it injected.
 */

/**
 * How a delay varies around its median, as multiples of the median: `p90: 1.4` puts the 90th percentile
 * at 1.4x the median. Delays are log-normal (sigma from p90) up to p90; `p99` sets the tail beyond it
 * (default: the log-normal's own, p90^1.815). See src/sandbox/latency.ts.
 */
export interface LatencySpread {
  readonly p90: number;
  readonly p99?: number;
}

/**
 * Injected provider latency, in ms. The figures are medians; with `spread`, each request draws its delay
 * from a seeded distribution around them (sandbox option `seed`). `typical` is built from published
 * figures (see docs/sandbox.md).
 */
export interface LatencyProfile {
  readonly name: string;
  readonly transcribe: {
    /** From the end of the upload body to the response (for a zero-length upload, with `perAudioSecondMs`). */
    readonly afterUploadMs: number;
    /** Added per second of uploaded audio: the REST API's answer time grows with the audio's length. */
    readonly perAudioSecondMs?: number;
  };
  readonly chat: {
    /** From the request to the first content token. */
    readonly firstTokenMs: number;
    readonly tokensPerSecond: number;
  };
  readonly tts: {
    /** From the request (or the first text on the WebSocket) to the first audio byte. */
    readonly firstByteMs: number;
    /** Audio generated per wall second, in audio seconds (ElevenLabs streams faster than real time). */
    readonly speedFactor: number;
  };
  readonly realtime: {
    /** From commit (or end of speech with server VAD) to the first response delta. */
    readonly responseStartMs: number;
    readonly tokensPerSecond: number;
    /** Server VAD's end-of-turn silence when the client does not set one. */
    readonly silenceDurationMs: number;
    /**
     * From commit to the input transcript (`conversation.item.input_audio_transcription.delta`/`.completed`);
     * default 0: sent with the commit. The real API transcribes on a separate ASR model, asynchronously with
     * the response, so the transcript may come before or after the response's events.
     */
    readonly transcriptMs?: number;
  };
  /** Per-request variation of each kind's delay; a kind without one always gets its median. */
  readonly spread?: {
    readonly transcribe?: LatencySpread;
    readonly chat?: LatencySpread;
    readonly tts?: LatencySpread;
    readonly realtime?: LatencySpread;
    readonly realtimeTranscript?: LatencySpread;
  };
}

export type FaultKind =
  | 'http_429' // status 429 with retry-after
  | 'http_500'
  | 'http_503'
  | 'reset' // destroy the socket mid-stream (after `afterChunks` chunks)
  | 'stall' // stop sending for `stallMs` mid-stream
  | 'malformed' // a malformed SSE line / WebSocket message mid-stream
  | 'ws_close' // close a WebSocket with 1011 mid-response
  | 'realtime_error' // an `error` event on the realtime socket
  | 'auth'; // reject the key (401)

export interface FaultSpec {
  readonly kind: FaultKind;
  /** Seconds, for http_429 (default 1). `null`: no `retry-after` at all, as some real 429s come. */
  readonly retryAfterS?: number | null;
  /** For stall. */
  readonly stallMs?: number;
  /** Stream chunks (SSE events, audio messages, realtime deltas) sent before the fault strikes. */
  readonly afterChunks?: number;
}

export type SandboxSurface = 'chat' | 'transcribe' | 'tts' | 'tts_ws' | 'realtime';

/** Applies `fault` to requests of a surface: the n-th (1-based) one, or every one when `request` is omitted. */
export interface FaultRule {
  readonly surface: SandboxSurface;
  readonly request?: number;
  /** How many consecutive requests from `request` on get the fault (default 1; Infinity for all). */
  readonly count?: number;
  readonly fault: FaultSpec;
}

export interface ScenarioUtterance {
  readonly transcript: string;
  readonly language?: string;
  /**
   * What a request that holds only the start of the utterance hears: an upload whose audio is shorter than
   * `untilMs` (ms of the uploaded audio, from its first sample) is transcribed as that entry's `transcript`
   * (the entry with the smallest such `untilMs` wins); longer audio, or audio of unknown length, gets the
   * whole `transcript`. A preemptive request sent at a mid-sentence pause then reads only the words before it.
   */
  readonly partials?: readonly ScenarioPartial[];
}

export interface ScenarioPartial {
  readonly untilMs: number;
  readonly transcript: string;
}

export interface ReplyRule {
  /** Regular expression (case-insensitive) tested against the last user message. */
  readonly match: string;
  readonly reply?: string;
  /** Instead of text, call a tool; the reply after the tool result uses `afterTool` (with {result} replaced). */
  readonly toolCall?: { readonly name: string; readonly arguments: Readonly<Record<string, unknown>> };
  readonly afterTool?: string;
}

export interface Scenario {
  /** Transcripts for the 1st, 2nd, ... utterance of a call (per realtime session, or per call id header). */
  readonly utterances?: readonly ScenarioUtterance[];
  readonly replies?: readonly ReplyRule[];
  /** Reply when no rule matches; by default the sandbox answers sensibly about what it heard. */
  readonly defaultReply?: string;
  readonly faults?: readonly FaultRule[];
}

/**
 * Request header that injects a fault into one request, for tests: `x-rxvoice-fault: http_429;retryAfterS=1`
 * or `x-rxvoice-fault: reset;afterChunks=3`. For WebSockets the same text goes in the `fault` query parameter.
 */
export const FAULT_HEADER = 'x-rxvoice-fault';
/** Request header naming the call, so the sandbox keeps a scenario position per call. */
export const CALL_HEADER = 'x-rxvoice-call';
/** The caller turn a transcription request is for: requests for one turn transcribe the same utterance. */
export const TURN_HEADER = 'x-rxvoice-turn';
