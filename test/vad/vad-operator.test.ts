import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AudioFrame, SampleRate } from '../../src/audio/frame.js';
import { vad } from '../../operators/vad.js';
import type { PipelineEvent } from '../../src/events.js';
import { marbles, scriptedSpeech, scriptedVad, silenceFrames, speechEnded, speechStarted } from '../../src/testing/index.js';
import { letters, repeat, timeline } from './helpers.js';

/** n frames of one Silero window each (512 samples at 16 kHz = 32 ms). */
const windows = (n: number) => silenceFrames(32 * n, { frameMs: 32 });
const frameMarble = (n: number) => timeline(repeat('f', n), 10, '|');

function run(probabilities: number[], options: Parameters<typeof vad>[0] = {}) {
  return (helpers: { cold: (m: string, v: Record<string, AudioFrame>) => import('rxjs').Observable<AudioFrame> }) => {
    const frames = windows(probabilities.length);
    let k = 0;
    const source = helpers.cold(frameMarble(frames.length).replace(/f/g, () => String.fromCharCode(0x100 + k++)), Object.fromEntries(frames.map((f, i) => [String.fromCharCode(0x100 + i), f])));
    return source.pipe(vad({ probabilities: scriptedVad(probabilities), ...options }), letters());
  };
}

const S = (n: number) => Array<number>(n).fill(0.9);
const Q = (n: number) => Array<number>(n).fill(0.05);

describe('vad operator (scripted probabilities, virtual time)', () => {
  it('starts once speech lasted minSpeechMs (reporting the real start) and ends after silenceMs', () => {
    marbles(({ cold, expectObservable }) => {
      const out = run([...Q(2), ...S(12), ...Q(20)])({ cold });
      // Speech from window 2 (64 ms); the 8th speech window (ends 320 ms) completes 250 ms -> started.
      // Last speech window ends at 448 ms; the window ending at 960 ms completes 500 ms of silence.
      const groups = [...repeat('a', 9), '(SA)', ...repeat('A', 19), '(AE)', ...repeat('a', 4)];
      expectObservable(out).toBe(timeline(groups, 10, '|'), {
        a: 'a',
        A: 'A',
        S: speechStarted('turn-1', 64),
        E: speechEnded('turn-1', 448, { decidedAudioMs: 960 }),
      });
    });
  });

  it('does not end the utterance on a pause shorter than silenceMs', () => {
    marbles(({ cold, expectObservable }) => {
      const out = run([...S(10), ...Q(10), ...S(10), ...Q(17)])({ cold });
      const groups = [...repeat('a', 7), '(SA)', ...repeat('A', 37), '(AE)', 'a'];
      expectObservable(out).toBe(timeline(groups, 10, '|'), {
        a: 'a',
        A: 'A',
        S: speechStarted('turn-1', 0),
        E: speechEnded('turn-1', 960, { decidedAudioMs: 1472 }),
      });
    });
  });

  it('ignores a cough shorter than minSpeechMs: no utterance at all', () => {
    marbles(({ cold, expectObservable }) => {
      const out = run([...Q(3), ...S(5), ...Q(20), 0.9, ...Q(20)])({ cold });
      expectObservable(out).toBe(timeline(repeat('a', 49), 10, '|'));
    });
  });

  it('applies hysteresis: mid values keep speech alive, but do not revive it once silence began', () => {
    marbles(({ cold, expectObservable }) => {
      // 8 speech, 20 windows at 0.4 (between thresholds) -> still speech; then 1 below, then 0.4s: silence counts.
      const out = run([...S(8), ...Array<number>(20).fill(0.4), 0.1, ...Array<number>(16).fill(0.4)])({ cold });
      const groups = [...repeat('a', 7), '(SA)', ...repeat('A', 35), '(AE)', 'a'];
      expectObservable(out).toBe(timeline(groups, 10, '|'), {
        a: 'a',
        A: 'A',
        S: speechStarted('turn-1', 0),
        E: speechEnded('turn-1', 896, { decidedAudioMs: 1408 }),
      });
    });
  });

  it('ends an open utterance with end_of_stream when the source completes', () => {
    marbles(({ cold, expectObservable }) => {
      const out = run([...S(10)])({ cold });
      const groups = [...repeat('a', 7), '(SA)', 'A', 'A'];
      expectObservable(out).toBe(timeline(groups, 10, '(E|)'), {
        a: 'a',
        A: 'A',
        S: speechStarted('turn-1', 0),
        E: speechEnded('turn-1', 320, { reason: 'end_of_stream', decidedAudioMs: 320 }),
      });
    });
  });

  it('force-ends at maxUtteranceMs and starts a new turn at once while the caller goes on', () => {
    marbles(({ cold, expectObservable }) => {
      const out = run([...S(30), ...Q(16)], { maxUtteranceMs: 800 })({ cold });
      // turn-1 from 0; at 800 ms (window 25 ends) max_length; turn-2 starts at 800, speech to 960.
      const groups = [...repeat('a', 7), '(SA)', ...repeat('A', 16), '(AET)', ...repeat('A', 20), '(AF)'];
      expectObservable(out).toBe(timeline(groups, 10, '|'), {
        a: 'a',
        A: 'A',
        S: speechStarted('turn-1', 0),
        E: speechEnded('turn-1', 800, { reason: 'max_length', decidedAudioMs: 800 }),
        T: speechStarted('turn-2', 800),
        F: speechEnded('turn-2', 960, { decidedAudioMs: 1472 }),
      });
    });
  });

  it('numbers turns turn-1, turn-2, ... and tags their audio', () => {
    marbles(({ cold, expectObservable }) => {
      const out = run([...S(8), ...Q(16), ...S(8), ...Q(16)])({ cold });
      const groups = [...repeat('a', 7), '(SA)', ...repeat('A', 15), '(AE)', ...repeat('a', 7), '(TA)', ...repeat('A', 15), '(AF)'];
      expectObservable(out).toBe(timeline(groups, 10, '|'), {
        a: 'a',
        A: 'A',
        S: speechStarted('turn-1', 0),
        E: speechEnded('turn-1', 256, { decidedAudioMs: 768 }),
        T: speechStarted('turn-2', 768),
        F: speechEnded('turn-2', 1024, { decidedAudioMs: 1536 }),
      });
    });
  });

  it('releases the model on unsubscribe mid-utterance (teardown runs)', () => {
    const model = scriptedVad([...S(30)]);
    marbles(({ cold, expectObservable }) => {
      const frames = windows(30);
      const source = cold(frameMarble(30).replace(/f/g, 'f'), { f: frames[0]! });
      const out = source.pipe(vad({ probabilities: model }), letters());
      expectObservable(out, '^ 95ms !').toBe(timeline([...repeat('a', 7), '(SA)', 'A', 'A']), { a: 'a', A: 'A', S: speechStarted('turn-1', 0) });
    });
    expect(model.released).toBe(true);
    expect(model.calls).toBe(10);
  });

  it('creates one model per subscription from a factory, and releases each', async () => {
    const made: ReturnType<typeof scriptedVad>[] = [];
    const op = vad({ probabilities: () => (made.push(scriptedVad([0])), made[made.length - 1]!) });
    await lastValueFrom(from(windows(3)).pipe(op));
    await lastValueFrom(from(windows(3)).pipe(op));
    expect(made.length).toBe(2);
    expect(made.every((m) => m.calls === 3)).toBe(true);
  });
});

describe('vad operator: rates, bad frames, async models', () => {
  it('resamples 8 kHz frames to 16 kHz windows and keeps audio time', async () => {
    const frames = silenceFrames(2000, { sampleRate: 8000, frameMs: 20 });
    const model = scriptedSpeech([[320, 960]]);
    const events = await lastValueFrom(from(frames).pipe(vad({ probabilities: model }), toArray()));
    expect(model.calls).toBe(Math.ceil((2000 * 16) / 512)); // every 16 kHz sample reached the model
    expect(events.filter((e) => e.type !== 'audio.in')).toEqual([speechStarted('turn-1', 320), speechEnded('turn-1', 960, { decidedAudioMs: 1472 })]);
    expect(events.filter((e) => e.type === 'audio.in').length).toBe(frames.length);
  });

  it('turns a frame at an unsupported rate into an error event and goes on', async () => {
    const good = silenceFrames(60, { frameMs: 20 });
    const bad = { ...good[1]!, sampleRate: 11025 as SampleRate };
    const events = await lastValueFrom(from([good[0]!, bad, good[2]!]).pipe(vad({ probabilities: scriptedVad([0]) }), toArray()));
    expect(events.map((e) => e.type)).toEqual(['audio.in', 'error', 'audio.in']);
    expect(events[1]).toMatchObject({ type: 'error', code: 'unsupported_sample_rate', stage: 'vad', message: expect.stringContaining('11025') });
  });

  it('keeps input order with an asynchronous model', async () => {
    const probabilities = [...Q(3), ...S(12), ...Q(20), ...S(9), ...Q(3)];
    const frames = silenceFrames(32 * probabilities.length, { frameMs: 20 });
    const sync = await lastValueFrom(from(frames).pipe(vad({ probabilities: scriptedVad(probabilities) }), toArray()));
    let i = 0;
    const slow = {
      process: () =>
        new Promise<number>((resolve) => {
          const p = probabilities[i++] ?? 0;
          setTimeout(() => resolve(p), (i * 7) % 5);
        }),
    };
    const events: PipelineEvent[] = await lastValueFrom(from(frames).pipe(vad({ probabilities: slow }), toArray()));
    expect(events).toEqual(sync);
    expect(events.filter((e) => e.type === 'speech.ended').map((e) => (e as { reason: string }).reason)).toEqual(['silence', 'end_of_stream']);
  });

  it('reports a failing model as an error event and still passes the audio on', async () => {
    const failing = {
      process: () => {
        throw new Error('onnx exploded');
      },
    };
    const events = await lastValueFrom(from(windows(2)).pipe(vad({ probabilities: failing }), toArray()));
    expect(events.map((e) => e.type)).toEqual(['error', 'audio.in', 'error', 'audio.in']);
    expect(events[0]).toMatchObject({ code: 'internal', stage: 'vad', message: expect.stringContaining('onnx exploded') });
  });
});

describe('vad operator: source errors', () => {
  it('delivers the frames still waiting for an asynchronous model before the source error', async () => {
    const { Subject } = await import('rxjs');
    const source = new Subject<AudioFrame>();
    const seen: string[] = [];
    const slow = { process: () => new Promise<number>((resolve) => setTimeout(() => resolve(0.1), 5)) };
    const done = new Promise<void>((resolve) => {
      source.pipe(vad({ probabilities: slow })).subscribe({
        next: (e) => seen.push(e.type === 'audio.in' ? `audio ${e.frame.seq}` : e.type),
        error: (err: Error) => {
          seen.push(`error ${err.message}`);
          resolve();
        },
      });
    });
    const frames = silenceFrames(96, { frameMs: 32 });
    frames.forEach((f) => source.next(f));
    source.error(new Error('socket closed'));
    await done;
    expect(seen).toEqual(['audio 0', 'audio 1', 'audio 2', 'error socket closed']);
  });
});

describe('vad pauses (pauseMs)', () => {
  const speechEvents = async (probabilities: number[], pauseMs: number) =>
    (await lastValueFrom(from(windows(probabilities.length)).pipe(vad({ probabilities: scriptedVad(probabilities), pauseMs }), toArray()))).filter(
      (e) => e.type !== 'audio.in',
    );

  it('reports a pause inside the utterance, the resumed speech, and ends at the last pause', async () => {
    // Speech 0-320 ms, quiet 320-640, speech 640-960, quiet to the end (1504 ms).
    const events = await speechEvents([...S(10), ...Q(10), ...S(10), ...Q(17)], 192);
    expect(events).toEqual([
      { type: 'speech.started', turnId: 'turn-1', audioMs: 0 },
      { type: 'speech.paused', turnId: 'turn-1', audioMs: 320, decidedAudioMs: 512 },
      { type: 'speech.resumed', turnId: 'turn-1', audioMs: 640 },
      { type: 'speech.paused', turnId: 'turn-1', audioMs: 960, decidedAudioMs: 1152 },
      { type: 'speech.ended', turnId: 'turn-1', audioMs: 960, decidedAudioMs: 1472, reason: 'silence' },
    ]);
  });

  it('reports nothing extra with pauseMs 0, and no pause for a silence shorter than pauseMs', async () => {
    const none = await speechEvents([...S(10), ...Q(10), ...S(10), ...Q(17)], 0);
    expect(none.map((e) => e.type)).toEqual(['speech.started', 'speech.ended']);
    // A 160 ms gap (5 windows) is under a 192 ms pause: only the final silence pauses.
    const short = await speechEvents([...S(10), ...Q(5), ...S(10), ...Q(17)], 192);
    expect(short.map((e) => e.type)).toEqual(['speech.started', 'speech.paused', 'speech.ended']);
  });
});
