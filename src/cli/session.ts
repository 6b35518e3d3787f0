import { randomUUID } from 'node:crypto';
import type { OperatorFunction } from 'rxjs';
import type { AudioFrame } from '../audio/frame.js';
import type { PipelineEvent } from '../events.js';
import { cascaded } from '../../pipelines/cascaded.js';
import { replyFormatFor } from '../audio/format.js';
import { createCascadedProviders, type CascadedMode } from '../providers/defaults.js';
import { describeEndpoints, resolveEndpoints, type ProviderEndpoints } from '../providers/env.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import type { PipelineFactory } from '../server/types.js';
import type { ToolDefinition } from '../tools.js';
import type { ProfileName } from '../sandbox/profiles.js';
import type { LatencyProfile, Scenario } from '../sandbox/types.js';

export type PipelineName = 'cascaded' | 'realtime';

export interface ChainChoice {
  readonly pipeline: PipelineName;
  readonly mode?: CascadedMode;
  readonly tts?: 'final' | 'streamed' | 'model';
  /**
   * Preemptive replies at the vad's short pause. Cascaded: default on in streaming mode (with the turn
   * detector), off in seed mode (the original design); realtime: default on (the pipeline's default).
   */
  readonly preemptive?: boolean;
}

/** Providers for a CLI session: real ones when keys are set, an in-process sandbox for the rest. */
export interface ProviderSession {
  readonly endpoints: ProviderEndpoints;
  readonly sandbox?: Sandbox;
  /** The line the CLI prints first: which providers are real and which are the sandbox. */
  readonly description: string;
  close(): Promise<void>;
}

export async function openProviders(options: {
  readonly profile: ProfileName | LatencyProfile;
  readonly scenario?: Scenario | string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}): Promise<ProviderSession> {
  const env = options.env ?? process.env;
  const realOnly = resolveEndpointsOrUndefined(env);
  const needsSandbox = realOnly === undefined;
  const sandbox = needsSandbox
    ? await startSandbox({ profile: options.profile, ...(options.scenario ? { scenario: options.scenario } : {}) })
    : undefined;
  const endpoints = resolveEndpoints(env, sandbox?.url);
  const where = sandbox ? ` (sandbox at ${sandbox.url}, profile ${sandbox.profile.name})` : '';
  return {
    endpoints,
    ...(sandbox ? { sandbox } : {}),
    description: `${describeEndpoints(endpoints)}${where}`,
    close: async () => {
      await sandbox?.close();
    },
  };
}

/** Endpoints when every provider has a real key; undefined when the sandbox is needed for any of them. */
function resolveEndpointsOrUndefined(env: Readonly<Record<string, string | undefined>>): ProviderEndpoints | undefined {
  try {
    return resolveEndpoints(env, undefined);
  } catch {
    return undefined;
  }
}

/** Builds one call's chain; every call gets its own id so the sandbox keeps its scenario per call. */
export async function buildChain(
  choice: ChainChoice,
  endpoints: ProviderEndpoints,
  extra: { readonly tools?: readonly ToolDefinition[] } = {},
): Promise<OperatorFunction<AudioFrame, PipelineEvent>> {
  const callId = `call-${randomUUID()}`;
  const tools = extra.tools ? { tools: extra.tools } : {};
  if (choice.pipeline === 'cascaded') {
    const mode = choice.mode ?? 'streaming';
    return cascaded({
      providers: createCascadedProviders(endpoints, { callId, mode }),
      mode,
      preemptive: isPreemptive(choice),
      ...tools,
    });
  }
  const { realtimePipeline } = await import('../../pipelines/realtime.js');
  return realtimePipeline({ endpoints, callId, tts: choice.tts ?? 'streamed', preemptive: isPreemptive(choice), ...tools });
}

/** Whether a chain choice answers preemptively (the pipelines' defaults when the choice does not say). */
export const isPreemptive = (choice: ChainChoice): boolean =>
  choice.preemptive ?? (choice.pipeline === 'realtime' || (choice.mode ?? 'streaming') === 'streaming');

export function chainLabel(choice: ChainChoice): string {
  if (choice.pipeline === 'cascaded') return `cascaded (${choice.mode ?? 'streaming'}${isPreemptive(choice) ? ', preemptive' : ''})`;
  return `realtime (tts ${choice.tts ?? 'streamed'}${isPreemptive(choice) ? ', preemptive' : ''})`;
}

/** Which environment variable holds the key a failing stage used, without ever reading its value out. */
export function keyNameFor(stage: string, endpoints: ProviderEndpoints): string {
  if (stage === 'tts') return 'ELEVENLABS_API_KEY';
  return endpoints.openai.kind === 'azure' ? 'AZURE_OPENAI_API_KEY' : 'OPENAI_API_KEY';
}

/** The server's per-connection factory: each call gets its own chain, with the voice and format it asked for. */
export async function serverPipelineFactory(endpoints: ProviderEndpoints): Promise<PipelineFactory> {
  const { realtimePipeline } = await import('../../pipelines/realtime.js');
  return (choice) => {
    const common = {
      ...(choice.voice ? { voice: choice.voice } : {}),
      ...(choice.language ? { language: choice.language } : {}),
      ...(choice.systemPrompt ? { systemPrompt: choice.systemPrompt } : {}),
      outputFormat: replyFormatFor(choice.outputFormat),
      playback: choice.playback,
    } as const;
    if (choice.pipeline === 'cascaded') {
      return cascaded({ providers: createCascadedProviders(endpoints, { callId: choice.sessionId }), ...common });
    }
    return realtimePipeline({ endpoints, callId: choice.sessionId, ...common });
  };
}
