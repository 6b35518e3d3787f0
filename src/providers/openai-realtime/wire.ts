import { gaAudioFormat } from './audio-format.js';
import type { OpenAIEndpoint } from '../env.js';
import type { RealtimeAudioFormat, RealtimeSessionConfig, RealtimeTurnDetection } from '../realtime-types.js';
import { BETA_TO_GA_EVENTS, GA_TO_BETA_PART_TYPES, type OpenAIClientEvent, type OpenAIServerEvent } from './events.js';

/**
 * The wire details of OpenAI / Azure OpenAI realtime (OpenAI Realtime API reference, Azure realtime guides): URL forms, auth headers,
 * the `session.update` payload in the GA and beta dialects, and the beta -> GA event-name map.
 */
export type RealtimeDialect = 'ga' | 'beta';

export interface RealtimeTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly dialect: RealtimeDialect;
}

export interface RealtimeTargetOptions {
  /** OpenAI model (default `gpt-realtime`); on Azure the deployment (default `endpoint.deployments.realtime`). */
  readonly model?: string;
  /**
   * `beta` speaks the retired beta protocol: on OpenAI with the `OpenAI-Beta: realtime=v1` header, on Azure
   * through the preview URL `/openai/realtime?api-version=...&deployment=...`. Default `ga`.
   */
  readonly protocol?: RealtimeDialect;
  /** Azure preview `api-version` (default the endpoint's, else `2025-04-01-preview`). */
  readonly azureApiVersion?: string;
  /** Extra query parameters (e.g. the sandbox's `fault`). */
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export const DEFAULT_REALTIME_MODEL = 'gpt-realtime';
/** Input transcription when the caller names no model (on Azure: a deployment of that name). */
export const DEFAULT_TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';

/**
 * OpenAI accepts the upgrade for a refused API key and closes with this code (reason
 * `invalid_request_error.invalid_api_key`), sometimes with no `error` event first (observed; not in the
 * docs). It is an auth refusal, never a dropped connection to reconnect after.
 */
export const INVALID_API_KEY_CLOSE = 3000;

function toWs(url: string): string {
  return url.replace(/^http(s?):\/\//i, (_m, s: string) => `ws${s}://`);
}

export function realtimeTarget(endpoint: OpenAIEndpoint, options: RealtimeTargetOptions = {}): RealtimeTarget {
  const dialect = options.protocol ?? 'ga';
  let url: URL;
  const headers: Record<string, string> = {};
  if (endpoint.kind === 'openai') {
    url = new URL(`${toWs(endpoint.baseURL.replace(/\/$/, ''))}/realtime`);
    url.searchParams.set('model', options.model ?? DEFAULT_REALTIME_MODEL);
    headers.Authorization = `Bearer ${endpoint.apiKey}`;
    if (dialect === 'beta') headers['OpenAI-Beta'] = 'realtime=v1';
  } else {
    const deployment = options.model ?? endpoint.deployments.realtime;
    const base = toWs(endpoint.endpoint.replace(/\/$/, ''));
    if (dialect === 'ga') {
      // The GA surface must not carry api-version (Azure answers 401 when it does).
      url = new URL(`${base}/openai/v1/realtime`);
      url.searchParams.set('model', deployment);
    } else {
      url = new URL(`${base}/openai/realtime`);
      url.searchParams.set('api-version', options.azureApiVersion ?? endpoint.apiVersion ?? '2025-04-01-preview');
      url.searchParams.set('deployment', deployment);
    }
    headers['api-key'] = endpoint.apiKey;
  }
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  return { url: url.toString(), headers: { ...headers, ...options.headers }, dialect };
}

function turnDetectionWire(td: RealtimeTurnDetection): Record<string, unknown> | null {
  if (td.type === 'none') return null;
  const wire: Record<string, unknown> = { type: td.type };
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) wire[key] = value;
  };
  if (td.type === 'server_vad') {
    set('threshold', td.threshold);
    set('prefix_padding_ms', td.prefixPaddingMs);
    set('silence_duration_ms', td.silenceDurationMs);
    set('idle_timeout_ms', td.idleTimeoutMs);
  } else {
    set('eagerness', td.eagerness);
  }
  set('create_response', td.createResponse ?? true);
  set('interrupt_response', td.interruptResponse ?? true);
  return wire;
}

/** `session.update` in the dialect the server speaks. */
export function sessionUpdate(config: RealtimeSessionConfig, dialect: RealtimeDialect): Record<string, unknown> {
  const outputFormat = config.outputFormat ?? config.inputFormat;
  const transcription = config.transcription
    ? {
        model: config.transcription.model,
        ...(config.transcription.language ? { language: config.transcription.language } : {}),
        ...(config.transcription.prompt ? { prompt: config.transcription.prompt } : {}),
      }
    : null;
  const tools = (config.tools ?? []).map((t) => ({
    type: 'function',
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    parameters: t.parameters,
  }));
  const common = {
    ...(config.instructions !== undefined ? { instructions: config.instructions } : {}),
    tools,
    tool_choice: config.toolChoice ?? 'auto',
  };
  if (dialect === 'ga') {
    return {
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: [config.output],
        audio: {
          input: {
            format: gaAudioFormat(config.inputFormat),
            transcription,
            turn_detection: turnDetectionWire(config.turnDetection),
          },
          output: { format: gaAudioFormat(outputFormat), ...(config.voice ? { voice: config.voice } : {}) },
        },
        ...common,
      },
    };
  }
  return {
    type: 'session.update',
    session: {
      modalities: config.output === 'audio' ? ['text', 'audio'] : ['text'],
      input_audio_format: config.inputFormat,
      output_audio_format: outputFormat,
      input_audio_transcription: transcription,
      turn_detection: turnDetectionWire(config.turnDetection),
      ...(config.voice ? { voice: config.voice } : {}),
      ...common,
    },
  };
}

/** Renames beta events to their GA names; GA events pass unchanged. */
export function normalizeServerEvent(event: OpenAIServerEvent): OpenAIServerEvent {
  const renamed = BETA_TO_GA_EVENTS[event.type];
  return renamed ? { ...event, type: renamed } : event;
}

/** Writes a client event in the dialect: beta wants `text` where GA says `output_text`. */
export function clientEventWire(event: OpenAIClientEvent, dialect: RealtimeDialect): OpenAIClientEvent | Record<string, unknown> {
  if (dialect === 'ga' || event.type !== 'conversation.item.create') return event;
  const item = event.item;
  if (item.type === 'message' && item.role === 'assistant') {
    return { ...event, item: { ...item, content: item.content.map((c) => ({ type: GA_TO_BETA_PART_TYPES[c.type] ?? c.type, text: c.text })) } };
  }
  return event;
}

/** Error codes that mean the key was refused after the upgrade. */
export function isAuthErrorEvent(event: OpenAIServerEvent): boolean {
  const error = event.error as { code?: unknown; type?: unknown } | undefined;
  const code = typeof error?.code === 'string' ? error.code : '';
  const type = typeof error?.type === 'string' ? error.type : '';
  return code === 'invalid_api_key' || code === 'unauthorized' || type === 'authentication_error';
}
