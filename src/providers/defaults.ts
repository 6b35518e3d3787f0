import { resolveEndpoints, type ProviderEndpoints } from './env.js';
import { createElevenLabsSynthesizer, DEFAULT_ELEVENLABS_MODEL } from './elevenlabs/index.js';
import { createOpenAIChatModel } from './openai/chat.js';
import { createOpenAITranscriber, type TranscriptionModel } from './openai/transcriber.js';
import { openaiRealtime } from './openai-realtime/session.js';
import { DEFAULT_REALTIME_MODEL, type RealtimeDialect } from './openai-realtime/wire.js';
import type { RealtimeSession } from './realtime-types.js';
import type { ChatModel, Synthesizer, Transcriber } from './types.js';

/**
 * The default providers: the one place that names vendors. Pipelines, the CLI and the server get their
 * transcriber, chat model, realtime session and synthesizer from here (or are handed their own), so a
 * chain is composition only. Today: OpenAI / Azure OpenAI for speech-to-text, chat and realtime, and
 * ElevenLabs for text-to-speech, each at the endpoint `resolveEndpoints` picked (a real key, else the sandbox).
 */

/**
 * `streaming` (default): nothing waits that could stream. `seed`: the chain as first described: chunked
 * upload, full transcript at the end, SSE chat, and the whole reply text to the text-to-speech at once.
 */
export type CascadedMode = 'streaming' | 'seed';

export interface CascadedProviders {
  readonly transcriber: Transcriber;
  readonly chatModel: ChatModel;
  readonly synthesizer: Synthesizer;
}

export interface CascadedModels {
  /** Default `gpt-4o-transcribe` (`gpt-4o-mini-transcribe`, `whisper-1`). On Azure the deployment decides. */
  readonly transcribe?: TranscriptionModel;
  /** Default `gpt-4o-mini`. On Azure the deployment decides. */
  readonly chat?: string;
  /** The text-to-speech model; default `eleven_flash_v2_5` (ElevenLabs). */
  readonly tts?: string;
}

export interface CascadedProviderOptions {
  readonly models?: CascadedModels;
  /** `streamed` (default): chunked upload while the caller speaks; `buffered`: one upload with a Content-Length at the end. */
  readonly upload?: 'streamed' | 'buffered';
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Names the call for the sandbox (`x-rxvoice-call`), so its scenario advances per call. */
  readonly callId?: string;
  /** A stream quiet this long is a `timeout` error (defaults: chat 20 s, transcription 30 s after the upload). */
  readonly stallTimeoutMs?: { readonly chat?: number; readonly transcribe?: number };
  /**
   * `streaming` (default) or `seed` (each reply spoken once its text is complete, over REST: the TTS client
   * is then loaded when the providers are built).
   */
  readonly mode?: CascadedMode;
}

/** Builds the three providers once (the CLI and server share them across calls). */
export function createCascadedProviders(endpoints: ProviderEndpoints, options: CascadedProviderOptions = {}): CascadedProviders {
  const headers = options.callId ? { 'x-rxvoice-call': options.callId } : undefined;
  return {
    transcriber: createOpenAITranscriber({
      endpoint: endpoints.openai,
      ...(options.models?.transcribe ? { model: options.models.transcribe } : {}),
      upload: options.upload ?? 'streamed',
      ...(headers ? { headers } : {}),
      ...(options.stallTimeoutMs?.transcribe === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs.transcribe }),
    }),
    chatModel: createOpenAIChatModel({
      endpoint: endpoints.openai,
      ...(options.models?.chat ? { model: options.models.chat } : {}),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
      ...(headers ? { headers } : {}),
      ...(options.stallTimeoutMs?.chat === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs.chat }),
    }),
    synthesizer: createElevenLabsSynthesizer({
      endpoint: endpoints.elevenlabs,
      ...(options.models?.tts ? { model: options.models.tts } : {}),
      preloadRest: options.mode === 'seed',
    }),
  };
}

export interface RealtimeProviders {
  readonly realtime: RealtimeSession;
  readonly synthesizer: Synthesizer;
}

export interface RealtimeModels {
  /** Default `gpt-realtime`; on Azure the realtime deployment. */
  readonly realtime?: string;
  /** Input transcription model (default `gpt-4o-mini-transcribe`; an Azure deployment on Azure); `false`: none. */
  readonly transcribe?: string | false;
  /** The text-to-speech model; default `eleven_flash_v2_5` (ElevenLabs). */
  readonly tts?: string;
}

export interface RealtimeProviderOptions {
  readonly models?: RealtimeModels;
  /** Names the call for the sandbox (`x-rxvoice-call`), so its scenario advances per call. */
  readonly callId?: string;
  /** `beta`: the retired beta protocol (Azure: the preview URL with `api-version`). Default `ga`. */
  readonly protocol?: RealtimeDialect;
  /** Extra query parameters on the realtime URL (e.g. the sandbox's `fault`). */
  readonly query?: Readonly<Record<string, string>>;
}

/** The realtime session's input transcription model when none is named (it bills the caller's audio). */
export const DEFAULT_REALTIME_TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';

/** The realtime model's own voice, when it speaks the reply itself. */
export const DEFAULT_MODEL_VOICE = 'marin';

/** Builds the providers once (the CLI and server share them across calls). */
export function createRealtimeProviders(endpoints: ProviderEndpoints, options: RealtimeProviderOptions = {}): RealtimeProviders {
  return {
    realtime: openaiRealtime({
      endpoint: endpoints.openai,
      ...(options.models?.realtime ? { model: options.models.realtime } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
      ...(options.query ? { query: options.query } : {}),
      ...(options.callId ? { callId: options.callId } : {}),
    }),
    synthesizer: createElevenLabsSynthesizer({ endpoint: endpoints.elevenlabs, ...(options.models?.tts ? { model: options.models.tts } : {}) }),
  };
}

/** Where a pipeline's missing providers come from: the given endpoints, else the environment (or the sandbox). */
export interface EndpointChoice {
  /** Default `resolveEndpoints(process.env, sandboxURL)` (real keys win, else the sandbox). */
  readonly endpoints?: ProviderEndpoints;
  readonly sandboxURL?: string;
}

function endpointsOf(choice: EndpointChoice): ProviderEndpoints {
  return choice.endpoints ?? resolveEndpoints(process.env, choice.sandboxURL);
}

/** The given providers, with any missing one built from the endpoints (nothing is built when all are given). */
export function cascadedProviders(
  given: Partial<CascadedProviders> | undefined,
  options: CascadedProviderOptions & EndpointChoice,
): CascadedProviders {
  if (given?.transcriber && given.chatModel && given.synthesizer) return given as CascadedProviders;
  const built = createCascadedProviders(endpointsOf(options), options);
  return { ...built, ...definedOf(given) };
}

/**
 * As `cascadedProviders`, for the realtime chain. `needsSynthesizer: false` (the model speaks itself):
 * no synthesizer is built, and one that is asked to speak fails.
 */
export function realtimeProviders(
  given: Partial<RealtimeProviders> | undefined,
  options: RealtimeProviderOptions & EndpointChoice & { readonly needsSynthesizer: boolean },
): RealtimeProviders {
  if (given?.realtime && (given.synthesizer || !options.needsSynthesizer)) {
    return { realtime: given.realtime, synthesizer: given.synthesizer ?? noSynthesizer };
  }
  const built = createRealtimeProviders(endpointsOf(options), options);
  return { ...built, ...definedOf(given) };
}

function definedOf<T extends object>(given: Partial<T> | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Stands in when the realtime model speaks itself: `tts` is not in that chain. */
const noSynthesizer: Synthesizer = {
  name: 'none',
  synthesize: () => {
    throw new Error('No synthesizer: the realtime model speaks itself');
  },
};

/** The model (Azure: deployment) behind each stage with the defaults above, for spans and prices. */
export function stageModels(endpoints: ProviderEndpoints): Readonly<Record<'transcribe' | 'llm' | 'realtime' | 'tts', string>> {
  const o = endpoints.openai;
  const [transcribe, llm, realtime] =
    o.kind === 'azure' ? [o.deployments.transcribe, o.deployments.chat, o.deployments.realtime] : ['gpt-4o-transcribe', 'gpt-4o-mini', DEFAULT_REALTIME_MODEL];
  return { transcribe, llm, realtime, tts: DEFAULT_ELEVENLABS_MODEL };
}
