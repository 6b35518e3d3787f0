import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { costMeter } from '../../operators/costMeter.js';
import { priceTurn, tokenCost } from '../../src/cost/price.js';
import { DEFAULT_PRICES, withPrices } from '../../src/cost/prices.js';
import type { CostEvent, PipelineEvent } from '../../src/events.js';

const chunk = (turnId: string, seconds: number, index: number): PipelineEvent => ({
  type: 'utterance.chunk', turnId, index, samples: new Int16Array(16000 * seconds), sampleRate: 16000, startMs: 0, final: false,
});
const MODELS = { transcribe: 'gpt-4o-transcribe', reply: 'gpt-4o-mini', tts: 'eleven_flash_v2_5' };

function run(marble: string, values: Record<string, PipelineEvent>, models = MODELS, prices = DEFAULT_PRICES): { frame: number; event: PipelineEvent }[] {
  const scheduler = new TestScheduler(() => undefined);
  const out: { frame: number; event: PipelineEvent }[] = [];
  scheduler.run(({ cold }) => {
    cold(marble, values).pipe(costMeter({ prices, models })).subscribe((event) => out.push({ frame: scheduler.now(), event }));
  });
  return out;
}
const costs = (out: { event: PipelineEvent }[]): CostEvent[] => out.map((o) => o.event).filter((e): e is CostEvent => e.type === 'cost');

describe('costMeter', () => {
  const values: Record<string, PipelineEvent> = {
    c: chunk('turn-1', 2, 0),
    d: chunk('turn-1', 1, 1),
    x: { type: 'assistant.text', turnId: 'turn-1', delta: 'Hello there. ', segment: true },
    y: { type: 'assistant.text', turnId: 'turn-1', delta: 'Bye.', segment: true },
    r: { type: 'assistant.text', turnId: 'turn-1', delta: 'raw model delta' },
    D: { type: 'assistant.done', turnId: 'turn-1', text: 'Hello there. Bye.', usage: { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 400 } },
    e: chunk('turn-2', 1, 0),
    L: { type: 'error', turnId: 'turn-2', code: 'timeout', stage: 'transcribe', message: 'lost', retryable: true, utteranceLost: true },
  };

  it('adds one cost event right after the reply is done, priced stage by stage, with the call total', () => {
    const out = run('c d r x y D 10ms e L', values);
    expect(out.map((o) => o.event.type)).toEqual([
      'utterance.chunk', 'utterance.chunk', 'assistant.text', 'assistant.text', 'assistant.text', 'assistant.done', 'cost', 'utterance.chunk', 'error', 'cost',
    ]);
    const [first, second] = costs(out);
    // 3 s of audio at $0.006/min; 600 fresh + 400 cached input tokens, 100 output; 17 characters to the TTS.
    expect(first!.usage).toEqual({ transcribeAudioSeconds: 3, reply: { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 400 }, ttsCharacters: 17 });
    expect(first!.byStage.transcribe).toBeCloseTo(0.0003, 10);
    expect(first!.byStage.reply).toBeCloseTo((600 * 0.15 + 400 * 0.075 + 100 * 0.6) / 1e6, 12);
    expect(first!.byStage.tts).toBeCloseTo(17 * 0.05 / 1000, 12);
    expect(first!.usd).toBeCloseTo(first!.byStage.transcribe + first!.byStage.reply + first!.byStage.tts, 12);
    // The lost utterance still cost its upload; the running total adds up.
    expect(second).toMatchObject({ turnId: 'turn-2', usage: { transcribeAudioSeconds: 1, ttsCharacters: 0 } });
    expect(second!.callUsd).toBeCloseTo(first!.usd + second!.usd, 12);
  });

  it('bills a reply spoken in one piece by its whole text, and a turn cut before its reply at the end of the call', () => {
    const out = run('c D e |', { ...values, D: { type: 'assistant.done', turnId: 'turn-1', text: 'Twelve chars' } });
    const [first, cut] = costs(out);
    expect(first!.usage.ttsCharacters).toBe(12);
    expect(first!.usage.reply).toBeUndefined();
    expect(cut).toMatchObject({ turnId: 'turn-2', usage: { transcribeAudioSeconds: 1 } });
    expect(out.at(-1)!.event.type).toBe('cost'); // emitted before the chain completes
  });

  it('bills a streamed-audio chain (no chunks) for the speech span, and names models it has no price for', () => {
    const out = run('S E D', {
      S: { type: 'speech.started', turnId: 'turn-1', audioMs: 1000 },
      E: { type: 'speech.ended', turnId: 'turn-1', audioMs: 3000, decidedAudioMs: 3500, reason: 'silence' },
      D: { type: 'assistant.done', turnId: 'turn-1', text: 'ok', usage: { inputTokens: 10, outputTokens: 5 } },
    }, { transcribe: 'gpt-4o-mini-transcribe', reply: 'my-private-model', tts: 'eleven_flash_v2_5' });
    const [cost] = costs(out);
    expect(cost!.usage.transcribeAudioSeconds).toBe(2.5);
    expect(cost!.unpriced).toEqual(['my-private-model']);
    expect(cost!.byStage.reply).toBe(0);
  });

  it('a price table override reprices a model', () => {
    const prices = withPrices({ 'gpt-4o-mini': { inputPerMTok: 1, outputPerMTok: 1 } });
    const out = run('D', { D: { type: 'assistant.done', turnId: 'turn-1', text: '', usage: { inputTokens: 1e6, outputTokens: 1e6 } } }, { ...MODELS, tts: '' }, prices);
    expect(costs(out)[0]!.byStage.reply).toBeCloseTo(2, 10);
  });
});

describe('token prices', () => {
  it('carves the cached and audio parts out of the totals (realtime)', () => {
    const usage = { inputTokens: 1000, outputTokens: 600, cachedInputTokens: 300, audioInputTokens: 700, cachedAudioInputTokens: 200, audioOutputTokens: 500 };
    // text in: 1000 - 700 audio - (300 - 200) cached text = 200; cached text 100; audio in 500 fresh + 200 cached; out: 100 text + 500 audio.
    const expected = (200 * 4 + 100 * 0.4 + 500 * 32 + 200 * 0.4 + 100 * 16 + 500 * 64) / 1e6;
    expect(tokenCost(usage, DEFAULT_PRICES['gpt-realtime']!)).toBeCloseTo(expected, 12);
  });

  it('a turn with no usage costs nothing and names nothing', () => {
    expect(priceTurn({ transcribeAudioSeconds: 0, ttsCharacters: 0 }, { transcribe: 'x', reply: 'y', tts: 'z' }, DEFAULT_PRICES)).toEqual({
      costs: { transcribe: 0, reply: 0, tts: 0 },
      unpriced: [],
    });
  });
});
