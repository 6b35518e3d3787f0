/** The two model options, as chains from the same operators: swap one for the other by name. */
export {
  cascaded,
  createCascadedProviders,
  DEFAULT_SYSTEM_PROMPT,
  DEFAULT_VOICE,
  type CascadedMode,
  type CascadedModels,
  type CascadedOptions,
  type CascadedProviderOptions,
  type CascadedProviders,
} from './cascaded.js';
export {
  realtimePipeline,
  realtimePipeline as realtime,
  createRealtimeProviders,
  type RealtimePipelineOptions,
  type RealtimeProviders,
  type RealtimeModels,
  type RealtimeTtsChoice,
  type RealtimeBargeInOptions,
} from './realtime.js';
export { withFailover, isFatalRealtimeError, type FailoverOptions } from './failover.js';
