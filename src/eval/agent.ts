import { randomUUID } from 'node:crypto';
import type { OperatorFunction } from 'rxjs';
import { PCM16_16K } from '../audio/format.js';
import type { AudioFrame } from '../audio/frame.js';
import type { PipelineEvent } from '../events.js';
import type { ProviderEndpoints } from '../providers/env.js';
import { defineTool, type ToolDefinition } from '../tools.js';
import type { AgentSpec, ToolSpecWithResult } from './scenario.js';

/** A tool from the scenario file: the declared schema, and a handler that gives the canned result. */
export function cannedTool(spec: ToolSpecWithResult): ToolDefinition {
  return defineTool({
    name: spec.name,
    ...(spec.description ? { description: spec.description } : {}),
    parameters: spec.parameters ?? { type: 'object', properties: {} },
    handler: async (_args, { signal }) => {
      if (spec.delayMs) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, spec.delayMs);
          signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))), { once: true });
        });
      }
      if (spec.error !== undefined) throw new Error(spec.error);
      return spec.result ?? 'ok';
    },
  });
}

/** The agent under test as a chain, talking to `endpoints` (the sandbox or real providers); one call per build. */
export async function buildAgent(spec: AgentSpec, endpoints: ProviderEndpoints): Promise<OperatorFunction<AudioFrame, PipelineEvent>> {
  const callId = `eval-${randomUUID()}`;
  const tools = spec.tools?.map(cannedTool);
  const common = {
    ...(spec.systemPrompt ? { systemPrompt: spec.systemPrompt } : {}),
    ...(spec.language ? { language: spec.language } : {}),
    ...(spec.voice ? { voice: spec.voice } : {}),
    ...(spec.bargeIn === undefined ? {} : { bargeIn: spec.bargeIn }),
    ...(spec.vad ? { vad: spec.vad } : {}),
    ...(tools ? { tools } : {}),
    outputFormat: PCM16_16K,
  };
  if (spec.pipeline === 'cascaded') {
    const { cascaded } = await import('../../pipelines/cascaded.js');
    const { createCascadedProviders } = await import('../providers/defaults.js');
    const mode = spec.mode ?? 'streaming';
    return cascaded({
      providers: createCascadedProviders(endpoints, { callId, mode }),
      mode,
      ...(spec.preemptive === undefined ? {} : { preemptive: spec.preemptive }),
      ...common,
    });
  }
  const { realtimePipeline } = await import('../../pipelines/realtime.js');
  return realtimePipeline({ endpoints, callId, tts: spec.tts ?? 'streamed', ...common });
}

/** One line naming the agent, for the report. */
export function agentLabel(spec: AgentSpec): string {
  if (spec.pipeline === 'cascaded') return `cascaded (${spec.mode ?? 'streaming'})`;
  return `realtime (tts ${spec.tts ?? 'streamed'})`;
}
