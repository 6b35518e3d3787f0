import { registerSecret } from '../errors.js';

/**
 * Where each provider lives: the real vendor when its key is in the environment, the local sandbox
 * otherwise. The same code path talks to both; only base URLs and keys differ.
 */
export type OpenAIEndpoint =
  | { readonly kind: 'openai'; readonly baseURL: string; readonly apiKey: string; readonly sandbox: boolean }
  | {
      readonly kind: 'azure';
      /** e.g. https://my-resource.openai.azure.com (no /openai suffix). */
      readonly endpoint: string;
      readonly apiKey: string;
      /** Deployments by role; Azure URLs name deployments, not models. */
      readonly deployments: { readonly chat: string; readonly transcribe: string; readonly realtime: string };
      /** For the classic `/openai/deployments/...?api-version=` forms; the v1 forms need none. */
      readonly apiVersion?: string;
      readonly sandbox: boolean;
    };

export interface ElevenLabsEndpoint {
  readonly baseURL: string;
  readonly apiKey: string;
  readonly sandbox: boolean;
}

export interface ProviderEndpoints {
  readonly openai: OpenAIEndpoint;
  readonly elevenlabs: ElevenLabsEndpoint;
}

/** The key the sandbox accepts from rxvoice's own clients (any non-empty key works unless configured). */
export const SANDBOX_API_KEY = 'rxvoice-sandbox-key';

/**
 * Environment variables (documented in the README):
 * OPENAI_API_KEY, OPENAI_BASE_URL; AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_VERSION,
 * AZURE_OPENAI_CHAT_DEPLOYMENT, AZURE_OPENAI_TRANSCRIBE_DEPLOYMENT, AZURE_OPENAI_REALTIME_DEPLOYMENT;
 * ELEVENLABS_API_KEY, ELEVENLABS_BASE_URL.
 */
export function resolveEndpoints(
  env: Readonly<Record<string, string | undefined>>,
  sandboxURL: string | undefined,
): ProviderEndpoints {
  const sandboxBase = sandboxURL?.replace(/\/$/, '');
  const need = (what: string): string => {
    if (sandboxBase === undefined) throw new Error(`No ${what} key in the environment and no sandbox URL given`);
    return sandboxBase;
  };
  let openai: OpenAIEndpoint;
  if (env.OPENAI_API_KEY) {
    registerSecret(env.OPENAI_API_KEY);
    openai = { kind: 'openai', baseURL: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1', apiKey: env.OPENAI_API_KEY, sandbox: false };
  } else if (env.AZURE_OPENAI_API_KEY && env.AZURE_OPENAI_ENDPOINT) {
    registerSecret(env.AZURE_OPENAI_API_KEY);
    openai = {
      kind: 'azure',
      endpoint: env.AZURE_OPENAI_ENDPOINT.replace(/\/$/, ''),
      apiKey: env.AZURE_OPENAI_API_KEY,
      deployments: {
        chat: env.AZURE_OPENAI_CHAT_DEPLOYMENT ?? 'gpt-4o-mini',
        transcribe: env.AZURE_OPENAI_TRANSCRIBE_DEPLOYMENT ?? 'gpt-4o-transcribe',
        realtime: env.AZURE_OPENAI_REALTIME_DEPLOYMENT ?? 'gpt-realtime',
      },
      ...(env.AZURE_OPENAI_API_VERSION ? { apiVersion: env.AZURE_OPENAI_API_VERSION } : {}),
      sandbox: false,
    };
  } else {
    openai = { kind: 'openai', baseURL: `${need('OpenAI')}/v1`, apiKey: SANDBOX_API_KEY, sandbox: true };
  }
  let elevenlabs: ElevenLabsEndpoint;
  if (env.ELEVENLABS_API_KEY) {
    registerSecret(env.ELEVENLABS_API_KEY);
    elevenlabs = { baseURL: env.ELEVENLABS_BASE_URL ?? 'https://api.elevenlabs.io', apiKey: env.ELEVENLABS_API_KEY, sandbox: false };
  } else {
    elevenlabs = { baseURL: need('ElevenLabs'), apiKey: SANDBOX_API_KEY, sandbox: true };
  }
  return { openai, elevenlabs };
}

/** One line for the CLI's first output: which providers are real and which are the sandbox. */
export function describeEndpoints(endpoints: ProviderEndpoints): string {
  const o = endpoints.openai;
  const openai = o.sandbox ? 'sandbox' : o.kind === 'azure' ? `Azure OpenAI (${new URL(o.endpoint).host})` : 'OpenAI';
  const eleven = endpoints.elevenlabs.sandbox ? 'sandbox' : 'ElevenLabs';
  return `providers: speech-to-text + LLM = ${openai}, text-to-speech = ${eleven}`;
}

/** The provider behind each stage, as bounded metric labels (`openai`, `azure`, `elevenlabs`, `sandbox-*`). */
export function stageProviders(endpoints: ProviderEndpoints): Readonly<Record<'transcribe' | 'llm' | 'realtime' | 'tts', string>> {
  const o = endpoints.openai;
  const openai = `${o.sandbox ? 'sandbox-' : ''}${o.kind}`;
  const tts = `${endpoints.elevenlabs.sandbox ? 'sandbox-' : ''}elevenlabs`;
  return { transcribe: openai, llm: openai, realtime: openai, tts };
}
