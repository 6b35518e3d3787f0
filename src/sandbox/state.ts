import type { IncomingHttpHeaders } from 'node:http';
import type { SampleRate } from '../audio/frame.js';
import { checkKey } from './auth.js';
import { CheapCache, speechKey } from './cheap.js';
import type { AuthFailure, SandboxContext, SandboxMessage, SandboxReply, SynthesizedSpeech } from './context.js';
import { parseFault } from './faults.js';
import { LatencySampler } from './latency.js';
import { DEFAULT_UTTERANCES, scenarioReply } from './replies.js';
import { synthesizeSpeech } from './speech.js';
import type { FaultKind, FaultSpec, LatencyProfile, Scenario, ScenarioPartial, SandboxSurface } from './types.js';

/** One scripted utterance as a request sees it. */
export interface UtteranceText {
  readonly transcript: string;
  readonly language: string;
  readonly partials?: readonly ScenarioPartial[];
}

/**
 * The transcript of only the audio a request holds: the scripted partial for audio shorter than its
 * `untilMs`, else the whole utterance (also when the audio's length is unknown).
 */
export function transcriptForAudio(utterance: UtteranceText, audioMs: number | undefined): string {
  if (audioMs === undefined || !utterance.partials) return utterance.transcript;
  let best: ScenarioPartial | undefined;
  for (const p of utterance.partials) if (audioMs < p.untilMs && (!best || p.untilMs < best.untilMs)) best = p;
  return best?.transcript ?? utterance.transcript;
}

/** One transcription upload as the sandbox saw it; times are `performance.now()` in the server's process. */
export interface TranscriptionUploadStat {
  readonly callKey: string;
  /** When the request headers arrived. */
  readonly startedAt: number;
  /** When the first body byte arrived. */
  firstByteAt?: number;
  /** When the body ended (undefined while uploading, or if the client went away). */
  endAt?: number;
  /** Seconds of audio in the upload (undefined when the format does not say: mp3, ogg, ...). */
  audioSeconds?: number;
  /** The transcription delay the profile drew for this upload (ms after `endAt`). */
  scheduledDelayMs?: number;
  /** When the sandbox started its answer (status line sent). */
  respondedAt?: number;
  bytesReceived: number;
  /** Audio bytes of the `file` part (after the WAV header, if any). */
  audioBytes: number;
  status?: number;
  fault?: FaultKind;
}

export interface InjectedFaultStat {
  readonly surface: SandboxSurface;
  /** 1-based request number on its surface. */
  readonly request: number;
  readonly kind: FaultKind;
  readonly source: 'request' | 'scenario';
}

/** What tests observe about the sandbox. Live objects: read them after the requests you care about. */
export interface SandboxStats {
  /** Requests counted per surface (each HTTP request, TTS socket and realtime session counts once). */
  readonly requests: Record<SandboxSurface, number>;
  readonly transcriptions: TranscriptionUploadStat[];
  readonly faults: InjectedFaultStat[];
}

export interface SandboxStateOptions {
  readonly profile: LatencyProfile;
  readonly scenario?: Scenario;
  readonly apiKey?: string;
  readonly maxSessionMs: number;
  readonly label?: string;
  /** Seed of the injected delays (default 1): the same seed and requests give the same delays. */
  readonly seed?: number;
  /** Cheap mode: synthesised and encoded speech served from memory (see src/sandbox/cheap.ts). */
  readonly cheap?: boolean;
}

/** Scenario position, counters and fault rules: the one `SandboxContext` every surface shares. */
export class SandboxState implements SandboxContext {
  readonly profile: LatencyProfile;
  readonly latency: LatencySampler;
  readonly label: string;
  readonly maxSessionMs: number;
  readonly stats: SandboxStats;
  private scenario: Scenario | undefined;
  private readonly apiKey: string | undefined;
  private readonly positions = new Map<string, number>();
  private readonly turnUtterances = new Map<string, { turnKey: string; utterance: UtteranceText }>();
  private readonly speechCache: CheapCache<SynthesizedSpeech> | undefined;
  private readonly memo: CheapCache<unknown> | undefined;

  constructor(options: SandboxStateOptions) {
    this.profile = options.profile;
    this.latency = new LatencySampler(options.profile, options.seed);
    this.label = options.label ?? 'rxvoice-sandbox';
    this.maxSessionMs = options.maxSessionMs;
    this.scenario = options.scenario;
    this.apiKey = options.apiKey;
    if (options.cheap) {
      this.speechCache = new CheapCache();
      this.memo = new CheapCache();
    }
    this.stats = {
      requests: { chat: 0, transcribe: 0, tts: 0, tts_ws: 0, realtime: 0 },
      transcriptions: [],
      faults: [],
    };
  }

  /** Replaces the scenario and restarts every call's utterance position and request counts. */
  setScenario(scenario: Scenario | undefined): void {
    this.scenario = scenario;
    this.positions.clear();
    this.turnUtterances.clear();
    for (const key of Object.keys(this.stats.requests) as SandboxSurface[]) this.stats.requests[key] = 0;
  }

  checkAuth(vendor: 'openai' | 'azure' | 'elevenlabs', headers: IncomingHttpHeaders, query: URLSearchParams): AuthFailure | undefined {
    return checkKey(vendor, this.apiKey, headers, query);
  }

  /** The transcript `nextUtterance` would return, without consuming it (for faulted requests). */
  peekUtterance(callKey: string): UtteranceText {
    const position = this.positions.get(callKey) ?? 0;
    const scripted = this.scenario?.utterances ?? [];
    if (position < scripted.length) {
      const u = scripted[position]!;
      return { transcript: u.transcript, language: u.language ?? 'en', ...(u.partials ? { partials: u.partials } : {}) };
    }
    const fallback = DEFAULT_UTTERANCES[(position - scripted.length) % DEFAULT_UTTERANCES.length];
    return { transcript: fallback?.transcript ?? '', language: fallback?.language ?? 'en' };
  }

  /** The utterance of one caller turn: the first request for a turn consumes the next, later ones repeat it. */
  utteranceForTurn(callKey: string, turnKey: string): UtteranceText {
    const last = this.turnUtterances.get(callKey);
    if (last && last.turnKey === turnKey) return last.utterance;
    const utterance = this.nextUtterance(callKey);
    this.turnUtterances.set(callKey, { turnKey, utterance });
    return utterance;
  }

  nextUtterance(callKey: string): UtteranceText {
    const utterance = this.peekUtterance(callKey);
    this.positions.set(callKey, (this.positions.get(callKey) ?? 0) + 1);
    return utterance;
  }

  reply(messages: readonly SandboxMessage[]): SandboxReply {
    return scenarioReply(this.scenario, messages);
  }

  takeFault(surface: SandboxSurface, requestFault: string | undefined): FaultSpec | undefined {
    this.stats.requests[surface] += 1;
    const request = this.stats.requests[surface];
    const fromRequest = parseFault(requestFault);
    if (fromRequest) {
      this.stats.faults.push({ surface, request, kind: fromRequest.kind, source: 'request' });
      return fromRequest;
    }
    const rule = (this.scenario?.faults ?? []).find((r) => {
      if (r.surface !== surface) return false;
      if (r.request === undefined) return true;
      const count = r.count ?? 1;
      return request >= r.request && request < r.request + count;
    });
    if (!rule) return undefined;
    this.stats.faults.push({ surface, request, kind: rule.fault.kind, source: 'scenario' });
    return rule.fault;
  }

  synthesize(text: string, sampleRate: SampleRate, options?: { language?: string; speed?: number }): Promise<SynthesizedSpeech> {
    if (!this.speechCache) return synthesizeSpeech(text, sampleRate, options);
    return this.speechCache.get(speechKey(text, sampleRate, options), () => synthesizeSpeech(text, sampleRate, options));
  }

  memoize<V>(key: string, compute: () => Promise<V>): Promise<V> {
    return this.memo ? (this.memo.get(key, compute) as Promise<V>) : compute();
  }
}
