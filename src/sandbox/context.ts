import type { IncomingHttpHeaders } from 'node:http';
import type { Alignment } from '../providers/types.js';
import type { SampleRate } from '../audio/frame.js';
import type { LatencySampler } from './latency.js';
import type { FaultSpec, LatencyProfile, SandboxSurface, ScenarioPartial } from './types.js';

/**
 * What every sandbox surface (HTTP routes and the realtime WebSocket) shares. Implemented once in
 * `src/sandbox/server.ts`; the realtime handler in `src/sandbox/realtime/` receives it.
 */
export interface SandboxContext {
  readonly profile: LatencyProfile;
  /** Draws each request's injected delay from the profile (seeded; the medians when it has no `spread`). */
  readonly latency: LatencySampler;
  /** Label put in model names and metadata so nobody mistakes the sandbox for a provider. */
  readonly label: string;
  /** Maximum realtime session length before `session_expired` + close 1001. */
  readonly maxSessionMs: number;

  /** Checks credentials as the vendor does; `undefined` means accepted. */
  checkAuth(vendor: 'openai' | 'azure' | 'elevenlabs', headers: IncomingHttpHeaders, query: URLSearchParams): AuthFailure | undefined;

  /** The next scenario transcript for a call (`callKey`: call header, realtime session id, or 'default'). */
  nextUtterance(callKey: string): { transcript: string; language: string; partials?: readonly ScenarioPartial[] };

  /** What the assistant says (or which tool it calls) given the conversation so far. */
  reply(messages: readonly SandboxMessage[]): SandboxReply;

  /**
   * The fault for this request, if any: from the scenario's rules (counted per surface) or from the
   * request's own fault header/query parameter. Calling it counts the request.
   */
  takeFault(surface: SandboxSurface, requestFault: string | undefined): FaultSpec | undefined;

  /** Real synthesized speech (offline espeak-ng), resampled to `sampleRate`, with character alignment. */
  synthesize(text: string, sampleRate: SampleRate, options?: { language?: string; speed?: number }): Promise<SynthesizedSpeech>;

  /**
   * `compute()`, or in cheap mode (`SandboxOptions.cheap`) its remembered result for `key`: surfaces use it
   * for per-request work whose result depends only on the key (encoding speech in an output format).
   */
  memoize<V>(key: string, compute: () => Promise<V>): Promise<V>;
}

export interface AuthFailure {
  readonly status: number;
  readonly body: unknown;
}

/** A conversation message as the sandbox reasons about it (chat messages and realtime items both map here). */
export interface SandboxMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly content: string;
  /** Present on tool results. */
  readonly toolName?: string;
}

export type SandboxReply =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'tool_call';
      readonly name: string;
      readonly arguments: string;
      /** The rule's `reply`, to say instead when the client did not offer this tool. */
      readonly fallbackText?: string;
    };

export interface SynthesizedSpeech {
  readonly samples: Int16Array;
  readonly sampleRate: SampleRate;
  readonly alignment: Alignment;
}
