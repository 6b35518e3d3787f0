import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/events.js';
import { DEFAULT_PAUSE_MS } from '../../pipelines/options.js';
import { PREEMPTIVE_PAUSE_MS, speculationCounts, turnFloor, type FloorChain } from '../../src/runner/floor.js';
import type { CallResult } from '../../src/runner/call.js';
import type { TurnReport } from '../../src/runner/report.js';
import type { InjectionRecord } from '../../src/sandbox/latency.js';
import { PROFILES } from '../../src/sandbox/profiles.js';

// One turn whose true end of speech is at wall time `speechEndAt` (performance.now() scale).
const speechEndAt = 10_000;
const startEpoch = performance.timeOrigin + speechEndAt;
const turn = (over: Partial<TurnReport> = {}): TurnReport =>
  ({ turnId: 't1', transcript: 'hi', reply: 'Sure, I can help.', speechEndAudioMs: 0, speechEndAt, endpointMs: 224, firstAudioMs: 1500, ...over }) as TurnReport;
const result = (events: PipelineEvent[]): CallResult => ({ events: events.map((event) => ({ at: 0, event })), turns: [], durationMs: 0, startedAt: 0 });
const injected = (kind: InjectionRecord['kind'], ms: number, afterMs: number, n = 0): InjectionRecord => ({ n, kind, ms, atEpochMs: startEpoch + afterMs });
const streaming: FloorChain = { pipeline: 'cascaded', wholeText: false, modelVoice: false, preemptive: true, turnDetector: true };
const firstSegment: PipelineEvent = { type: 'assistant.text', turnId: 't1', delta: 'Sure,', segment: true };

describe('turnFloor', () => {
  it("counts the pipelines' own preemptive pause", () => {
    expect(PREEMPTIVE_PAUSE_MS).toBe(DEFAULT_PAUSE_MS);
  });

  it('adds the pause, the last transcription, the chat and the first tts request, and the pacing to the first segment', () => {
    const log = [
      injected('transcribe', 999, -500, 0), // a discarded speculation before the end of speech: not counted
      injected('transcribe', 400, 210, 1),
      injected('chat', 500, 620),
      injected('tts', 200, 1150),
      injected('tts', 180, 1300, 1), // the second segment's request is not in sequence
    ];
    const floor = turnFloor(streaming, PROFILES.instant, result([firstSegment]), turn(), log);
    expect(floor?.floorMs).toBe(PREEMPTIVE_PAUSE_MS + 400 + 500 + 200);
    expect(floor?.counted).toMatchObject({ transcribe: 1, chat: 1, tts: 1 });
  });

  it('counts the token pacing up to the first segment on a paced profile', () => {
    const log = [injected('transcribe', 400, 210), injected('chat', 500, 620), injected('tts', 200, 1150)];
    const paced = turnFloor(streaming, PROFILES['typical-fixed'], result([firstSegment]), turn(), log);
    const unpaced = turnFloor(streaming, PROFILES.instant, result([firstSegment]), turn(), log);
    expect(paced!.floorMs).toBeGreaterThan(unpaced!.floorMs);
    // 'Sure' ',' then the token after the segment: 2 or 3 gaps of 1000/90 ms.
    expect(paced!.floorMs - unpaced!.floorMs).toBeLessThan(4 * (1000 / 90));
  });

  it('without preemption starts from the vad silence; without reply audio there is no floor', () => {
    const chain: FloorChain = { ...streaming, preemptive: false, turnDetector: false };
    const log = [injected('transcribe', 400, 520), injected('chat', 500, 930), injected('tts', 200, 1450)];
    expect(turnFloor(chain, PROFILES.instant, result([firstSegment]), turn({ endpointMs: 512, firstAudioMs: 1700 }), log)?.floorMs).toBe(512 + 1100);
    expect(turnFloor(chain, PROFILES.instant, result([]), turn({ firstAudioMs: undefined }), log)).toBeUndefined();
  });

  it('the realtime model voice: the pause and every response start', () => {
    const chain: FloorChain = { pipeline: 'realtime', wholeText: false, modelVoice: true, preemptive: true, turnDetector: true };
    const log = [injected('realtime', 650, 210), injected('realtimeTranscript', 400, 210)];
    const floor = turnFloor(chain, PROFILES.instant, result([]), turn({ firstAudioMs: 900 }), log);
    expect(floor?.floorMs).toBe(PREEMPTIVE_PAUSE_MS + 650);
  });
});

describe('speculationCounts', () => {
  it('counts the speculation metric by outcome and ignores other metrics', () => {
    const metric = (name: 'speculation' | 'retry', outcome: string): PipelineEvent =>
      ({ type: 'metric', turnId: 't1', name, valueMs: 0, atMs: 0, detail: { outcome } }) as PipelineEvent;
    const events = ['started', 'discarded', 'started', 'used'].map((o) => metric('speculation', o)).concat(metric('retry', 'started'));
    expect(speculationCounts(events.map((event) => ({ event })))).toEqual({ started: 2, used: 1, discarded: 1 });
  });
});
