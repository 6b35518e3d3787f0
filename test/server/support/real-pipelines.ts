import { resolveEndpoints } from '../../../src/providers/env.js';
import type { TtsOutputFormat } from '../../../src/providers/types.js';
import type { CascadedOptions } from '../../../pipelines/cascaded.js';
import type { PipelineChoice, PipelineFactory, WireFormat } from '../../../src/server/types.js';

/** The TTS format closest to what the client wants (the server resamples the rest of the way). */
export function ttsFormatFor(format: WireFormat): TtsOutputFormat {
  if (format.encoding === 'mulaw') return 'ulaw_8000';
  return format.sampleRate >= 24000 ? 'pcm_24000' : 'pcm_16000';
}

/** The real pipelines against a sandbox: each session is its own sandbox call (scenario position). */
export async function sandboxPipelineFactory(
  sandboxURL: string,
  pipeline: 'cascaded' | 'realtime',
  cascadedExtras: (choice: PipelineChoice) => Partial<CascadedOptions> = () => ({}),
): Promise<PipelineFactory> {
  // Loaded on demand, so one pipeline's test runs even while the other's module is being written.
  const { cascaded, createCascadedProviders } = await import('../../../pipelines/cascaded.js');
  const realtimePipeline = pipeline === 'realtime' ? (await import('../../../pipelines/realtime.js')).realtimePipeline : undefined;
  // Only the sandbox: real keys in the environment must not be used by tests.
  const endpoints = resolveEndpoints({}, sandboxURL);
  return (choice) => {
    const common = {
      ...(choice.voice ? { voice: choice.voice } : {}),
      ...(choice.language ? { language: choice.language } : {}),
      ...(choice.systemPrompt ? { systemPrompt: choice.systemPrompt } : {}),
      outputFormat: ttsFormatFor(choice.outputFormat),
      playback: choice.playback,
    };
    if (choice.pipeline === 'cascaded') {
      return cascaded({ providers: createCascadedProviders(endpoints, { callId: choice.sessionId }), ...common, ...cascadedExtras(choice) });
    }
    if (!realtimePipeline) throw new Error('this factory was built for the cascaded pipeline only');
    return realtimePipeline({ endpoints, callId: choice.sessionId, ...common });
  };
}
