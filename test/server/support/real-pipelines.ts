import { resolveEndpoints } from '../../../src/providers/env.js';
import { replyFormatFor } from '../../../src/audio/format.js';
import { createCascadedProviders } from '../../../src/providers/defaults.js';
import type { CascadedOptions } from '../../../pipelines/cascaded.js';
import type { PipelineChoice, PipelineFactory } from '../../../src/server/types.js';

/** The real pipelines against a sandbox: each session is its own sandbox call (scenario position). */
export async function sandboxPipelineFactory(
  sandboxURL: string,
  pipeline: 'cascaded' | 'realtime',
  cascadedExtras: (choice: PipelineChoice) => Partial<CascadedOptions> = () => ({}),
): Promise<PipelineFactory> {
  // Loaded on demand, so one pipeline's test runs even while the other's module is being written.
  const { cascaded } = await import('../../../pipelines/cascaded.js');
  const realtimePipeline = pipeline === 'realtime' ? (await import('../../../pipelines/realtime.js')).realtimePipeline : undefined;
  // Only the sandbox: real keys in the environment must not be used by tests.
  const endpoints = resolveEndpoints({}, sandboxURL);
  return (choice) => {
    const common = {
      ...(choice.voice ? { voice: choice.voice } : {}),
      ...(choice.language ? { language: choice.language } : {}),
      ...(choice.systemPrompt ? { systemPrompt: choice.systemPrompt } : {}),
      outputFormat: replyFormatFor(choice.outputFormat),
      playback: choice.playback,
    };
    if (choice.pipeline === 'cascaded') {
      return cascaded({ providers: createCascadedProviders(endpoints, { callId: choice.sessionId }), ...common, ...cascadedExtras(choice) });
    }
    if (!realtimePipeline) throw new Error('this factory was built for the cascaded pipeline only');
    return realtimePipeline({ endpoints, callId: choice.sessionId, ...common });
  };
}
