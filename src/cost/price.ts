import type { TokenUsage } from '../events.js';
import type { ModelPrice, PriceTable } from './prices.js';

/** One turn's usage, stage by stage. */
export interface TurnUsage {
  /** Caller audio sent to speech to text, in seconds. */
  readonly transcribeAudioSeconds: number;
  /** The reply's model requests (chat or realtime), summed. */
  readonly reply?: TokenUsage;
  /** Characters sent to text to speech. */
  readonly ttsCharacters: number;
}

export interface StageCosts {
  readonly transcribe: number;
  readonly reply: number;
  readonly tts: number;
}

export interface TurnModels {
  readonly transcribe?: string;
  readonly reply?: string;
  readonly tts?: string;
}

const perM = (tokens: number | undefined, price: number | undefined): number => ((tokens ?? 0) * (price ?? 0)) / 1e6;

/** Tokens to dollars: the cached and audio parts are carved out of the totals and billed at their own rates. */
export function tokenCost(usage: TokenUsage, price: ModelPrice): number {
  const audioIn = usage.audioInputTokens ?? 0;
  const cachedAudioIn = Math.min(usage.cachedAudioInputTokens ?? 0, audioIn);
  const cachedIn = Math.max(0, (usage.cachedInputTokens ?? 0) - cachedAudioIn);
  const textIn = Math.max(0, usage.inputTokens - audioIn - cachedIn);
  const audioOut = usage.audioOutputTokens ?? 0;
  const textOut = Math.max(0, usage.outputTokens - audioOut);
  const input = price.inputPerMTok;
  return (
    perM(textIn, input) +
    perM(cachedIn, price.cachedInputPerMTok ?? input) +
    perM(audioIn - cachedAudioIn, price.audioInputPerMTok ?? input) +
    perM(cachedAudioIn, price.cachedAudioInputPerMTok ?? price.audioInputPerMTok ?? input) +
    perM(textOut, price.outputPerMTok) +
    perM(audioOut, price.audioOutputPerMTok ?? price.outputPerMTok)
  );
}

/** A turn's cost per stage, and the models that had usage but no price (billed as 0, and named). */
export function priceTurn(usage: TurnUsage, models: TurnModels, prices: PriceTable): { costs: StageCosts; unpriced: string[] } {
  const unpriced: string[] = [];
  const lookup = (model: string | undefined, used: boolean): ModelPrice | undefined => {
    if (!used || model === undefined) return undefined;
    const price = prices[model];
    if (!price) unpriced.push(model);
    return price;
  };
  const stt = lookup(models.transcribe, usage.transcribeAudioSeconds > 0);
  const reply = lookup(models.reply, usage.reply !== undefined);
  const tts = lookup(models.tts, usage.ttsCharacters > 0);
  return {
    costs: {
      transcribe: ((stt?.audioPerMinute ?? 0) * usage.transcribeAudioSeconds) / 60,
      reply: usage.reply && reply ? tokenCost(usage.reply, reply) : 0,
      tts: ((tts?.per1kCharacters ?? 0) * usage.ttsCharacters) / 1000,
    },
    unpriced,
  };
}

/** The model in a provider's name (`openai:gpt-4o-mini`, `azure:my-deployment`, `sdk:openai:gpt-4o-mini`). */
export function modelOfProvider(name: string): string {
  return name.slice(name.lastIndexOf(':') + 1);
}

/** Pipelines' `cost` option: on by default, with the default price table. */
export interface CostOptions {
  /** Default `DEFAULT_PRICES`; `withPrices({...})` adds or reprices models. */
  readonly prices?: PriceTable;
  /** The models to price each stage as, when the provider names do not say (custom providers, Azure deployments). */
  readonly models?: TurnModels;
}
