/** The two model options, as chains from the same operators: swap one for the other by name. */
export { cascaded, DEFAULT_PAUSE_MS, DEFAULT_SYSTEM_PROMPT, type CascadedOptions } from './cascaded.js';
export { realtimePipeline, type RealtimePipelineOptions, type RealtimeTtsChoice, type RealtimeBargeInOptions } from './realtime.js';
export { withFailover, isFatalRealtimeError, type FailoverOptions } from './failover.js';
export { type BargeInChoice, type BargeInSettings, type VoiceOptions } from './options.js';
/** The default providers (the one place vendors are named), for chains built by hand or shared across calls. */
export {
  createCascadedProviders,
  createRealtimeProviders,
  type CascadedMode,
  type CascadedModels,
  type CascadedProviderOptions,
  type CascadedProviders,
  type RealtimeModels,
  type RealtimeProviderOptions,
  type RealtimeProviders,
} from '../src/providers/defaults.js';
