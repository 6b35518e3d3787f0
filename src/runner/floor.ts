import type { PipelineEvent } from '../events.js';
import type { InjectionRecord } from '../sandbox/latency.js';
import { tokenize as realtimeTokens } from '../sandbox/realtime/response.js';
import { splitTokens } from '../sandbox/tokens.js';
import type { LatencyProfile } from '../sandbox/types.js';
import type { CallResult } from './call.js';
import type { TurnReport } from './report.js';

/**
 * A chain's FLOOR on one turn: the fastest it could have answered given what the sandbox injected.
 *
 *   floor = max(shortest end-of-turn silence, pause + the injected latencies of the requests that must run
 *               in sequence for the turn + the sandbox's pacing up to the first speakable text)
 *
 * - pause: the shortest pause the end of turn can act on: the preemptive pause (192 ms) when the chain
 *   starts its reply there, else the vad's fixed silence (the turn's measured end-of-turn silence);
 * - shortest end-of-turn silence: no reply audio leaves before the turn is decided: the pause when a turn
 *   detector can end the turn there (cascaded streaming), else the vad's fixed silence;
 * - requests in sequence, read from the sandbox's injection log (`GET /sandbox/stats`) among the requests
 *   that started between the true end of speech and the turn's first audio (a discarded speculation
 *   started before the caller went on, so it is outside): the last transcription, every chat request (a
 *   tool call chains two), every realtime response start (likewise), the first text-to-speech generation;
 * - pacing: tokens streamed until the first segment the chain speaks (the seed: the whole reply; the
 *   realtime model's voice: its first 100 ms audio chunk at 4x). A tool call's own streaming is not counted.
 */
export interface FloorChain {
  readonly pipeline: 'cascaded' | 'realtime';
  /** Text-to-speech waits for the whole reply text (the seed's cascaded, realtime `tts: 'final'`). */
  readonly wholeText: boolean;
  /** The model speaks itself (realtime `tts: 'model'`). */
  readonly modelVoice: boolean;
  readonly preemptive: boolean;
  /** A turn detector may end the turn at the preemptive pause. */
  readonly turnDetector: boolean;
}

/** The pipelines' preemptive pause (pipelines/options.ts DEFAULT_PAUSE_MS; test/runner/floor.test.ts pins the two equal). */
export const PREEMPTIVE_PAUSE_MS = 192;
/** The realtime sandbox sends model audio in 100 ms chunks at 4x real time (src/sandbox/realtime/response.ts). */
const MODEL_AUDIO_FIRST_CHUNK_MS = 100 / 4;

export interface TurnFloor {
  readonly floorMs: number;
  readonly pauseMs: number;
  /** Injected provider time up to the first text, then from it to the first audio (pacing included). */
  readonly injectedTextMs: number;
  readonly injectedAudioMs: number;
  /** How many requests of each kind the floor counted. */
  readonly counted: Readonly<Record<InjectionRecord['kind'], number>>;
}

/** How long a paced stream takes to deliver `text`, given where its first token lands (0: at the start, 1: one gap in). */
function pacingMs(text: string, reply: string, tokensPerSecond: number, firstTokenGaps: 0 | 1, segmented: boolean): number {
  // Chat completions stream word pieces (src/sandbox/tokens.ts); the realtime sandbox streams whole words.
  const split = firstTokenGaps === 0 ? splitTokens : realtimeTokens;
  if (tokensPerSecond <= 0) return 0;
  const gap = 1000 / tokensPerSecond;
  const all = split(reply).length;
  if (!segmented) return firstTokenGaps * gap;
  const k = split(text).length;
  // `sentences` needs the token after a segment to know it ended; the reply's last segment waits for the end.
  if (k >= all) return all * gap;
  return (k + firstTokenGaps) * gap;
}

/** The turn's first text (a segment in streaming chains) and whether it was one. */
function firstTextOf(result: CallResult, turnId: string): { text: string; segmented: boolean } {
  const first = result.events.find((e) => e.event.type === 'assistant.text' && e.event.turnId === turnId)?.event;
  return first?.type === 'assistant.text' ? { text: first.delta, segmented: first.segment === true } : { text: '', segmented: false };
}

/** The floor of one turn; undefined when the turn had no reply audio (nothing to bound). */
export function turnFloor(
  chain: FloorChain,
  profile: LatencyProfile,
  result: CallResult,
  turn: TurnReport,
  injections: readonly InjectionRecord[],
): TurnFloor | undefined {
  if (turn.firstAudioMs === undefined || turn.endpointMs === undefined) return undefined;
  const start = performance.timeOrigin + turn.speechEndAt;
  const end = start + turn.firstAudioMs;
  const inWindow = injections.filter((r) => r.atEpochMs >= start && r.atEpochMs <= end);
  const of = (kind: InjectionRecord['kind']): InjectionRecord[] => inWindow.filter((r) => r.kind === kind);
  const sum = (rs: readonly InjectionRecord[]): number => rs.reduce((a, r) => a + r.ms, 0);
  const transcribe = of('transcribe').slice(-1);
  const chat = of('chat');
  const realtime = of('realtime');
  const tts = of('tts').slice(0, 1);
  const { text, segmented } = firstTextOf(result, turn.turnId);
  let injectedTextMs: number;
  let injectedAudioMs: number;
  if (chain.pipeline === 'cascaded') {
    injectedTextMs = sum(transcribe) + sum(chat) + pacingMs(text, turn.reply, profile.chat.tokensPerSecond, 0, segmented);
    const rest = chain.wholeText ? pacingMs(turn.reply, turn.reply, profile.chat.tokensPerSecond, 0, true) - pacingMs(text, turn.reply, profile.chat.tokensPerSecond, 0, segmented) : 0;
    injectedAudioMs = Math.max(0, rest) + sum(tts);
  } else if (chain.modelVoice) {
    injectedTextMs = sum(realtime);
    injectedAudioMs = profile.realtime.tokensPerSecond > 0 ? MODEL_AUDIO_FIRST_CHUNK_MS : 0;
  } else {
    injectedTextMs = sum(realtime) + pacingMs(text, turn.reply, profile.realtime.tokensPerSecond, 1, segmented);
    const rest = chain.wholeText ? pacingMs(turn.reply, turn.reply, profile.realtime.tokensPerSecond, 1, true) - (injectedTextMs - sum(realtime)) : 0;
    injectedAudioMs = Math.max(0, rest) + sum(tts);
  }
  const pauseMs = chain.preemptive ? PREEMPTIVE_PAUSE_MS : turn.endpointMs;
  const decisionMs = chain.preemptive && chain.turnDetector ? PREEMPTIVE_PAUSE_MS : turn.endpointMs;
  return {
    floorMs: Math.max(decisionMs, pauseMs + injectedTextMs + injectedAudioMs),
    pauseMs,
    injectedTextMs,
    injectedAudioMs,
    counted: { transcribe: transcribe.length, chat: chat.length, realtime: realtime.length, tts: tts.length, realtimeTranscript: 0 },
  };
}

/** Speculative requests of a call by outcome, from the chain's `speculation` metric events. */
export function speculationCounts(events: readonly { readonly event: PipelineEvent }[]): { started: number; used: number; discarded: number } {
  const counts = { started: 0, used: 0, discarded: 0 };
  for (const { event } of events) {
    if (event.type !== 'metric' || event.name !== 'speculation') continue;
    const outcome = event.detail?.outcome;
    if (outcome === 'started' || outcome === 'used' || outcome === 'discarded') counts[outcome]++;
  }
  return counts;
}

/** The sandbox's injection log since `sinceEpochMs` (`GET /sandbox/stats`; sandbox only, no provider has it). */
export async function fetchInjections(sandboxUrl: string, sinceEpochMs: number): Promise<InjectionRecord[]> {
  const res = await fetch(`${sandboxUrl}/sandbox/stats?since=${Math.floor(sinceEpochMs)}`);
  if (!res.ok) throw new Error(`GET /sandbox/stats: HTTP ${res.status}`);
  const body = (await res.json()) as { injections?: InjectionRecord[] };
  return body.injections ?? [];
}
