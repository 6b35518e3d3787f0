import { Observable, type OperatorFunction } from 'rxjs';
import { priceTurn, type TurnModels, type TurnUsage } from '../src/cost/price.js';
import type { PriceTable } from '../src/cost/prices.js';
import { addUsage, type CostEvent, type PipelineEvent, type TokenUsage } from '../src/events.js';

export interface CostMeterOptions {
  readonly prices: PriceTable;
  /** The model behind each stage; a stage without one is not metered (e.g. no `tts` when the model speaks). */
  readonly models: TurnModels;
  /** Turns remembered until their cost is emitted (older ones are emitted at once). Default 64. */
  readonly maxTurns?: number;
}

interface OpenTurn {
  audioSeconds: number;
  /** Audio time where speech began: a chain that streams audio (no chunks) is billed for the speech span. */
  speechStartMs?: number;
  speechSeconds?: number;
  reply?: TokenUsage;
  segmentChars: number;
  doneChars: number;
}

/**
 * Usage and money per turn. Placed at the END of a chain: passes every event through and adds one `cost`
 * event per turn, right after the turn's `assistant.done` (or its lost-utterance error), with the call's
 * running total. Usage comes from the events themselves: `utterance.chunk` samples (audio sent to speech to
 * text; without chunks, the speech span from `speech.started` to the decided end), `assistant.done.usage` (tokens, cached and audio parts), and the text the synthesizer was given
 * (`segment` texts, or the whole reply when a chain speaks it in one piece). A turn cut before its reply was
 * done is emitted when the call ends.
 *
 * ```
 * in:  -c-c-c--T--x-x-D------|      c utterance.chunk, T transcript, x assistant.text segment, D assistant.done
 * out: -c-c-c--T--x-x-(D$)---|      $ cost { usage, usd, byStage, callUsd }
 * ```
 */
export function costMeter(options: CostMeterOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const maxTurns = options.maxTurns ?? 64;
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const open = new Map<string, OpenTurn>();
      const billed = new Set<string>();
      let callUsd = 0;
      const turn = (turnId: string): OpenTurn | undefined => {
        if (billed.has(turnId)) return undefined;
        let t = open.get(turnId);
        if (!t) {
          open.set(turnId, (t = { audioSeconds: 0, segmentChars: 0, doneChars: 0 }));
          if (open.size > maxTurns) bill(open.keys().next().value as string);
        }
        return t;
      };
      const bill = (turnId: string): void => {
        const t = open.get(turnId);
        if (!t) return;
        open.delete(turnId);
        billed.add(turnId);
        if (billed.size > maxTurns) billed.delete(billed.values().next().value as string);
        const usage: TurnUsage = {
          transcribeAudioSeconds: options.models.transcribe ? Math.round((t.audioSeconds || (t.speechSeconds ?? 0)) * 1000) / 1000 : 0,
          ...(t.reply ? { reply: t.reply } : {}),
          ttsCharacters: options.models.tts ? t.segmentChars || t.doneChars : 0,
        };
        const { costs, unpriced } = priceTurn(usage, options.models, options.prices);
        const usd = costs.transcribe + costs.reply + costs.tts;
        callUsd += usd;
        const event: CostEvent = { type: 'cost', turnId, usage, usd, byStage: costs, callUsd, ...(unpriced.length > 0 ? { unpriced } : {}) };
        subscriber.next(event);
      };
      return source.subscribe({
        next: (event) => {
          subscriber.next(event);
          switch (event.type) {
            case 'utterance.chunk': {
              const t = turn(event.turnId);
              if (t) t.audioSeconds += event.samples.length / event.sampleRate;
              return;
            }
            case 'speech.started': {
              const t = turn(event.turnId);
              if (t) t.speechStartMs = event.audioMs;
              return;
            }
            case 'speech.ended': {
              const t = turn(event.turnId);
              if (t && t.audioSeconds === 0 && t.speechStartMs !== undefined) t.speechSeconds = Math.max(0, event.decidedAudioMs - t.speechStartMs) / 1000;
              return;
            }
            case 'assistant.text': {
              const t = turn(event.turnId);
              if (t && event.segment) t.segmentChars += event.delta.length;
              return;
            }
            case 'assistant.done': {
              const t = turn(event.turnId);
              if (!t) return;
              if (event.usage) t.reply = addUsage(t.reply, event.usage);
              t.doneChars = event.text.length;
              bill(event.turnId);
              return;
            }
            case 'error':
              if (event.utteranceLost && event.turnId) bill(event.turnId);
              return;
            default:
              return;
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          for (const turnId of [...open.keys()]) bill(turnId);
          subscriber.complete();
        },
      });
    });
}
