import { Subject, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { turnDetector, type TurnDetector } from '../../operators/turnDetector.js';
import type { MetricEvent, PipelineEvent } from '../../src/events.js';
import type { EndOfTurnRequest } from '../../src/turn/types.js';
import { textTurnDetector } from '../../src/turn/text-detector.js';
import { VadStateMachine } from '../../src/vad/state-machine.js';

const S: PipelineEvent = { type: 'speech.started', turnId: 'turn-1', audioMs: 0 };
const P: PipelineEvent = { type: 'speech.paused', turnId: 'turn-1', audioMs: 1000, decidedAudioMs: 1200 };
const R: PipelineEvent = { type: 'speech.resumed', turnId: 'turn-1', audioMs: 1400 };
const E: PipelineEvent = { type: 'speech.ended', turnId: 'turn-1', audioMs: 1000, decidedAudioMs: 1500, reason: 'silence' };
const preview = (text: string): PipelineEvent => ({ type: 'transcript', turnId: 'turn-1', text, final: false, preview: true });

interface Run {
  out: { t: number; e: PipelineEvent }[];
  requests: { t: number; r: EndOfTurnRequest }[];
}

function run(marble: string, values: Record<string, PipelineEvent>, detector: TurnDetector, build?: (s: TestScheduler) => void): Run {
  const scheduler = new TestScheduler(() => undefined);
  const result: Run = { out: [], requests: [] };
  scheduler.run(({ cold }) => {
    build?.(scheduler);
    const requests = new Subject<EndOfTurnRequest>();
    requests.subscribe((r) => result.requests.push({ t: scheduler.now(), r }));
    (cold(marble, values) as Observable<PipelineEvent>)
      .pipe(turnDetector({ detector, requests, scheduler }))
      .subscribe((e) => result.out.push({ t: scheduler.now(), e }));
  });
  return result;
}

const verdicts = (r: Run) =>
  r.out.flatMap((o) => (o.e.type === 'metric' && o.e.name === 'turn_verdict' ? [{ t: o.t, wait: o.e.valueMs, ...o.e.detail }] : []));

/** A detector that answers after `ms` of virtual time. */
function slow(ms: number, done: boolean, scheduler: () => TestScheduler): TurnDetector {
  return {
    name: 'slow',
    // A thenable settled in virtual time (a Promise would settle after the TestScheduler run).
    decide: () => ({
      then: (ok) => {
        scheduler().schedule(() => ok?.({ done, confidence: 0.9 }), ms);
        return undefined as never;
      },
    }),
  };
}

describe('turnDetector (marbles)', () => {
  it('holds the turn at the pause, then ends it at once when the words read complete', () => {
    const r = run('S 199ms P 299ms p 99ms E', { S, P, p: preview('What time is it?'), E }, textTurnDetector());
    // h: hold 1200 at the pause (200); d: done, end now (0) when the preview arrives (500).
    expect(r.requests).toEqual([
      { t: 200, r: { turnId: 'turn-1', silenceMs: 1200 } },
      { t: 500, r: { turnId: 'turn-1', silenceMs: 0 } },
    ]);
    expect(verdicts(r)).toEqual([{ t: 500, wait: 0, done: true, confidence: 0.95, detector: 'text', reason: 'question' }]);
    // Every event passes through, in order.
    expect(r.out.filter((o) => o.e.type !== 'metric').map((o) => o.e.type)).toEqual(['speech.started', 'speech.paused', 'transcript', 'speech.ended']);
  });

  it('keeps holding a turn that trails off', () => {
    const r = run('S 199ms P 299ms p', { S, P, p: preview('I would like to, um,') }, textTurnDetector());
    expect(r.requests.map((x) => x.r.silenceMs)).toEqual([1200, 1200]);
    expect(verdicts(r)[0]).toMatchObject({ done: false, reason: "filler 'um'" });
  });

  it('a preview outside a pause, or of another turn, asks nothing', () => {
    const other: PipelineEvent = { type: 'transcript', turnId: 'turn-9', text: 'Done.', final: false, preview: true };
    const r = run('S 99ms p 99ms o', { S, p: preview('Done.'), o: other }, textTurnDetector());
    expect(r.requests).toEqual([]);
    expect(verdicts(r)).toEqual([]);
  });

  it('a verdict that arrives after the caller spoke again is dropped', () => {
    let sched!: TestScheduler;
    // The detector answers 300 ms after the preview (500 -> 800); the caller resumed at 600.
    const r = run('S 199ms P 299ms p 99ms R', { S, P, p: preview('Yes.'), R }, slow(300, true, () => sched), (s) => (sched = s));
    expect(r.requests.map((x) => x.r.silenceMs)).toEqual([1200]);
    expect(verdicts(r)).toEqual([]);
  });

  it('a verdict that arrives after the turn ended is dropped', () => {
    let sched!: TestScheduler;
    const r = run('S 199ms P 299ms p 99ms E', { S, P, p: preview('Yes.'), E }, slow(300, true, () => sched), (s) => (sched = s));
    expect(verdicts(r)).toEqual([]);
  });

  it('a slow verdict in time is applied when it comes', () => {
    let sched!: TestScheduler;
    const r = run('S 199ms P 299ms p 999ms E', { S, P, p: preview('Yes.'), E }, slow(300, true, () => sched), (s) => (sched = s));
    expect(r.requests).toEqual([
      { t: 200, r: { turnId: 'turn-1', silenceMs: 1200 } },
      { t: 800, r: { turnId: 'turn-1', silenceMs: 0 } },
    ]);
  });

  it('a failed speculative transcription (no preview coming) releases the hold to the vad', () => {
    const failed: PipelineEvent = { type: 'metric', turnId: 'turn-1', name: 'speculation', valueMs: 1, stage: 'transcribe', atMs: 250, detail: { outcome: 'discarded', failed: true } };
    const r = run('S 199ms P 49ms f', { S, P, f: failed }, textTurnDetector());
    expect(r.requests).toEqual([
      { t: 200, r: { turnId: 'turn-1', silenceMs: 1200 } },
      { t: 250, r: { turnId: 'turn-1', silenceMs: undefined } },
    ]);
  });

  it('a detector that throws: a non-fatal error naming it, and the vad decides with its own silence', () => {
    const broken: TurnDetector = {
      name: 'broken',
      decide: () => {
        throw new Error('model missing');
      },
    };
    const r = run('S 199ms P 299ms p', { S, P, p: preview('Yes.') }, broken);
    expect(r.requests.map((x) => x.r.silenceMs)).toEqual([1200, undefined]);
    const error = r.out.find((o) => o.e.type === 'error')!.e;
    expect(error).toMatchObject({ type: 'error', turnId: 'turn-1', stage: 'vad' });
    expect((error as { message: string }).message).toContain("turn detector 'broken'");
    expect((error as { utteranceLost?: boolean }).utteranceLost).toBeFalsy();
  });

  it('an audio detector is asked at the pause, with the turn audio so far', () => {
    const seen: number[] = [];
    const audio: TurnDetector = {
      name: 'audio',
      uses: 'audio',
      decide: (input) => {
        seen.push(input.audio?.length ?? -1, input.sampleRate ?? -1, input.silenceMs);
        return { done: true, confidence: 0.7 };
      },
    };
    const c = (n: number): PipelineEvent => ({ type: 'utterance.chunk', turnId: 'turn-1', index: n, samples: new Int16Array(1600), sampleRate: 16000, final: false, startMs: n * 100 });
    const r = run('S 99ms a 99ms b 99ms P', { S, a: c(0), b: c(1), P }, audio);
    expect(seen).toEqual([3200, 16000, 200]);
    expect(r.requests.map((x) => x.r.silenceMs)).toEqual([1200, 0]);
  });

  it('a custom mapping from verdict to silence', () => {
    const scheduler = new TestScheduler(() => undefined);
    const requests: (number | undefined)[] = [];
    scheduler.run(({ cold }) => {
      const subject = new Subject<EndOfTurnRequest>();
      subject.subscribe((r) => requests.push(r.silenceMs));
      (cold('S 199ms P 299ms p', { S, P, p: preview('Is that right?') }) as Observable<PipelineEvent>)
        .pipe(turnDetector({ detector: textTurnDetector(), requests: subject, scheduler, silenceFor: (v) => Math.round((1 - v.confidence) * 1000) }))
        .subscribe();
    });
    expect(requests).toEqual([1200, 50]);
  });
});

describe('vad state machine: a turn detector sets the silence of a pause', () => {
  const feed = (m: VadStateMachine, from: number, to: number, p: number) => {
    const out = [];
    for (let t = from; t < to; t += 32) out.push(...m.push(p, t, 32).map((x) => ({ ...x, at: t + 32 })));
    return out;
  };
  const machine = () => new VadStateMachine({ pauseMs: 200, silenceMs: 500, minSpeechMs: 64 });

  it('end now: closeIfDue ends the turn in the pause at the time it is asked', () => {
    const m = machine();
    feed(m, 0, 992, 0.9);
    const pause = feed(m, 992, 1248, 0.1);
    expect(pause.map((x) => x.type)).toEqual(['pause']);
    m.setPauseSilence(0);
    expect(m.closeIfDue(1250)).toEqual([{ type: 'end', audioMs: 992, decidedAudioMs: 1250, reason: 'silence' }]);
    expect(m.speaking).toBe(false);
  });

  it('hold: the vad silence no longer ends the turn; the held silence does', () => {
    const m = machine();
    feed(m, 0, 992, 0.9);
    feed(m, 992, 1248, 0.1);
    m.setPauseSilence(1200);
    expect(m.closeIfDue(1600)).toEqual([]);
    const ends = feed(m, 1248, 2400, 0.1).filter((x) => x.type === 'end');
    expect(ends).toEqual([{ type: 'end', audioMs: 992, decidedAudioMs: 2208, reason: 'silence', at: 2208 }]);
  });

  it('speech after the pause restores silenceMs; a verdict outside a pause is ignored', () => {
    const m = machine();
    feed(m, 0, 992, 0.9);
    feed(m, 992, 1248, 0.1);
    m.setPauseSilence(3000);
    expect(feed(m, 1248, 1600, 0.9).map((x) => x.type)).toEqual(['resume']);
    m.setPauseSilence(0); // not in a pause: ignored
    expect(m.closeIfDue(1600)).toEqual([]);
    const ends = feed(m, 1600, 2400, 0.1).filter((x) => x.type === 'end');
    expect(ends[0]).toMatchObject({ audioMs: 1600, decidedAudioMs: 2112 }); // ~500 ms after the speech: the vad's own
  });

  it('a held silence is bounded', () => {
    const m = machine();
    feed(m, 0, 992, 0.9);
    feed(m, 992, 1248, 0.1);
    m.setPauseSilence(60_000);
    const ends = feed(m, 1248, 8000, 0.1).filter((x) => x.type === 'end');
    expect(ends[0]!.decidedAudioMs - 992).toBeLessThanOrEqual(5032);
  });
});
