import type { ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import { concatMap, defer, Observable, of } from 'rxjs';
import { registerSecret } from '../../errors.js';
import type { SynthesisChunk, SynthesisRequest, Synthesizer } from '../types.js';
import { DEFAULT_ELEVENLABS_MODEL, DEFAULT_ELEVENLABS_VOICE, elevenLabsOutputFormat, elevenLabsVoiceSettings, type ElevenLabsRequest } from './options.js';
import { restSynthesis } from './rest.js';
import { loadElevenLabsSdk } from './sdk.js';
import { streamInputSynthesis } from './websocket.js';

export interface ElevenLabsSynthesizerOptions {
  /** `{ baseURL, apiKey }`, e.g. from `resolveEndpoints(process.env, sandboxURL).elevenlabs`. */
  readonly endpoint: { readonly baseURL: string; readonly apiKey: string };
  /** ElevenLabs model id. Default `eleven_flash_v2_5`. */
  readonly model?: string;
  /** Voice used when a request names none. Default `JBFqnCBsd6RMkjVDRZzb` (a premade voice). */
  readonly voiceId?: string;
  /** ElevenLabs' `use_speaker_boost` voice setting (no neutral equivalent); omitted: the voice's own. */
  readonly speakerBoost?: boolean;
  /**
   * `auto` (default): whole text over REST streaming (the SDK), streamed text over the stream-input
   * WebSocket. `rest`: streamed text becomes one REST request per piece. `websocket`: whole text too.
   */
  readonly transport?: 'auto' | 'rest' | 'websocket';
  /**
   * Load the REST client (the ElevenLabs SDK, ~1.5 s of module loading that blocks the event loop) when the
   * synthesizer is built, for chains that speak whole texts; otherwise it loads on the first REST request.
   */
  readonly preloadRest?: boolean;
  /** Retries of 429/5xx/connection failures before the first audio byte. Default 2. */
  readonly maxRetries?: number;
  /** First backoff, doubled each retry, unless the server sends `retry-after`. Default 250 ms. */
  readonly retryBaseMs?: number;
  /** stream-input `inactivity_timeout` in seconds. Default 60. */
  readonly inactivityTimeoutS?: number;
  /** Keep-alive on an idle stream-input socket (a tool call can pause the text). Default 10 000 ms. */
  readonly keepaliveMs?: number;
  /**
   * REST requests use `/stream/with-timestamps` so whole-text replies have character alignment too (what was
   * heard at a barge-in is then exact). `false`: plain `/stream` audio bytes. Default true.
   */
  readonly timestamps?: boolean;
  /** Extra HTTP headers on REST requests (e.g. the sandbox's `x-rxvoice-fault`, in tests). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra query parameters on the WebSocket URL (e.g. the sandbox's `fault`). */
  readonly wsQuery?: Readonly<Record<string, string>>;
}

/** ElevenLabs text to speech behind the vendor-neutral `Synthesizer` interface. */
export function createElevenLabsSynthesizer(options: ElevenLabsSynthesizerOptions): Synthesizer {
  const { baseURL, apiKey } = options.endpoint;
  registerSecret(apiKey);
  const base = baseURL.replace(/\/+$/, '');
  let client: Promise<ElevenLabsClient> | undefined;
  const getClient = (): Promise<ElevenLabsClient> =>
    (client ??= loadElevenLabsSdk().then((sdk) => new sdk.ElevenLabsClient({ apiKey, baseUrl: base, maxRetries: 0 })));
  const retry = { maxRetries: options.maxRetries ?? 2, baseDelayMs: options.retryBaseMs ?? 250 };
  const transport = options.transport ?? 'auto';
  // A chain that speaks whole texts over REST loads the SDK now, when its providers are built, not inside
  // the first reply (where ~1.5 s of module loading would delay the audio). Streaming chains never pay it.
  if (options.preloadRest && transport !== 'websocket') void getClient().catch(() => undefined);
  const headers = options.headers ? { ...options.headers } : undefined;
  const wsOptions = {
    wsBase: base.replace(/^http/, 'ws'),
    apiKey,
    retry,
    inactivityTimeoutS: options.inactivityTimeoutS ?? 60,
    keepaliveMs: options.keepaliveMs ?? 10_000,
    ...(options.wsQuery ? { query: options.wsQuery } : {}),
  };
  const model = options.model ?? DEFAULT_ELEVENLABS_MODEL;
  const rest = (request: ElevenLabsRequest, text: string, previousText?: string): Observable<SynthesisChunk> =>
    restSynthesis(getClient, request, text, retry, {
      ...(previousText ? { previousText } : {}),
      ...(headers ? { headers } : {}),
      timestamps: options.timestamps ?? true,
    });

  const resolve = (request: SynthesisRequest): ElevenLabsRequest => {
    const voiceSettings = elevenLabsVoiceSettings(request.voiceStyle, options.speakerBoost);
    return {
      voiceId: request.voiceId ?? options.voiceId ?? DEFAULT_ELEVENLABS_VOICE,
      modelId: model,
      format: request.outputFormat,
      outputFormat: elevenLabsOutputFormat(request.outputFormat),
      ...(request.language ? { language: request.language } : {}),
      ...(voiceSettings ? { voiceSettings } : {}),
      ...(request.normalizeText === undefined ? {} : { normalizeText: request.normalizeText }),
    };
  };

  return {
    name: `elevenlabs:${model}`,
    // defer: a format ElevenLabs cannot send fails the subscription, never the caller's stack.
    synthesize: (synthesis) => defer(() => {
      const request = resolve(synthesis);
      const text = synthesis.text;
      if (typeof text === 'string') {
        return transport === 'websocket' ? streamInputSynthesis(wsOptions, request, of(text)) : rest(request, text);
      }
      if (transport === 'rest') {
        let previous = '';
        return text.pipe(
          concatMap((piece) => {
            const before = previous;
            previous += piece;
            return piece.trim() === '' ? of<SynthesisChunk>() : rest(request, piece, before.slice(-500) || undefined);
          }),
        );
      }
      return streamInputSynthesis(wsOptions, request, text);
    }),
  };
}
