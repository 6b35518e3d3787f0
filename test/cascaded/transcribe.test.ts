import { concat, merge, of, throwError, timer, type SchedulerLike } from 'rxjs';
import { map, mergeMap } from 'rxjs/operators';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { transcribe, type TranscribeOptions } from '../../operators/transcribe.js';
import { RxVoiceError } from '../../src/errors.js';
import type { PipelineEvent, UtteranceChunkEvent } from '../../src/events.js';
import type { TranscriptUpdate } from '../../src/providers/types.js';
import { fakeTranscriber } from '../../src/testing/fakes/openai.js';

const chunk = (turnId: string, index: number, final = false, samples = 4000): UtteranceChunkEvent => ({
  type: 'utterance.chunk',
  turnId,
  index,
  samples: new Int16Array(samples).fill(index + 1),
  sampleRate: 16000,
  startMs: index * 250,
  final,
});

const values: Record<string, PipelineEvent> = {
  a: chunk('turn-1', 0),
  b: chunk('turn-1', 1),
  c: chunk('turn-1', 2, true),
  x: chunk('turn-2', 0),
  y: chunk('turn-2', 1, true),
};

type Out = { t: number; e: PipelineEvent };

function run(marble: string, make: (scheduler: SchedulerLike) => Omit<TranscribeOptions, 'scheduler'>, unsubscribeAt?: number): Out[] {
  const scheduler = new TestScheduler(() => undefined);
  const out: Out[] = [];
  scheduler.run(({ cold }) => {
    const sub = cold(marble, values)
      .pipe(transcribe({ ...make(scheduler), scheduler }))
      .subscribe((e) => {
        if (e.type !== 'utterance.chunk') out.push({ t: scheduler.now(), e });
      });
    if (unsubscribeAt !== undefined) scheduler.schedule(() => sub.unsubscribe(), unsubscribeAt);
  });
  return out;
}

const rateLimited = (retryAfterMs?: number) =>
  new RxVoiceError({ code: 'rate_limited', stage: 'transcribe', message: 'slow down', retryable: true, status: 429, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

describe('transcribe', () => {
  it('opens one request at the first chunk, uploads as audio arrives, answers after the end', () => {
    let stt!: ReturnType<typeof fakeTranscriber>;
    const seenAt: number[] = [];
    const out = run('a 99ms b 99ms c', (scheduler) => {
      const inner = fakeTranscriber({ transcripts: [{ text: ' Hello there ', final: true, language: 'en' }], latencyMs: 30, scheduler });
      stt = inner;
      return {
        transcriber: {
          name: 'spy',
          transcribe: (req) => {
            seenAt.push(scheduler.now());
            return inner.transcribe({ ...req, audio: req.audio.pipe(map((s) => s)) });
          },
        },
      };
    });
    expect(seenAt).toEqual([0]);
    expect(stt.requests).toHaveLength(1);
    expect(stt.uploads).toEqual([12000]);
    expect(out).toEqual([{ t: 230, e: { type: 'transcript', turnId: 'turn-1', text: 'Hello there', final: true, language: 'en' } }]);
  });

  it('passes the language hint and prompt, and reports the hint when the provider detects nothing', () => {
    let stt!: ReturnType<typeof fakeTranscriber>;
    const out = run('a b c', (scheduler) => {
      stt = fakeTranscriber({ transcripts: ['hola'], scheduler });
      return { transcriber: stt, language: 'es', prompt: 'a restaurant call' };
    });
    expect(stt.requests[0]).toMatchObject({ language: 'es', prompt: 'a restaurant call', turnId: 'turn-1', sampleRate: 16000 });
    expect(out.map((o) => o.e)).toEqual([{ type: 'transcript', turnId: 'turn-1', text: 'hola', final: true, language: 'es' }]);
  });

  it('gives an empty final transcript when nothing was said', () => {
    const out = run('a b c', (scheduler) => ({ transcriber: fakeTranscriber({ transcripts: [''], scheduler }) }));
    expect(out.map((o) => o.e)).toEqual([{ type: 'transcript', turnId: 'turn-1', text: '', final: true }]);
  });

  it('retries a 429 after its retry-after, re-uploading the buffered audio and what came meanwhile', () => {
    const received: number[] = [];
    const startedAt: number[] = [];
    const out = run('a 9ms b 499ms c', (scheduler) => ({
      transcriber: fakeTranscriber((req, call) => {
        startedAt.push(scheduler.now());
        received[call] = 0;
        const upload = req.audio.pipe(mergeMap((s) => ((received[call]! += s.length), [] as TranscriptUpdate[])));
        // The first request is refused 20 ms into its upload, like a 429 answered mid-body.
        if (call === 0) return merge(upload, timer(20, scheduler).pipe(mergeMap(() => throwError(() => rateLimited(400)))));
        return concat(upload, of({ text: 'made it', final: true }));
      }),
    }));
    expect(startedAt).toEqual([0, 420]);
    // a + b were buffered and re-sent at 420; c arrived live at 510.
    expect(received).toEqual([8000, 12000]);
    expect(out).toEqual([
      // The retry is reported (metrics, turn log) when it is scheduled, with the wait the provider asked for.
      { t: 20, e: { type: 'metric', turnId: 'turn-1', name: 'retry', valueMs: 400, stage: 'transcribe', atMs: 20, detail: { code: 'rate_limited', attempt: 1 } } },
      { t: 510, e: { type: 'transcript', turnId: 'turn-1', text: 'made it', final: true } },
    ]);
  });

  it('backs off exponentially without retry-after and gives up after maxAttempts with one lost-utterance error', () => {
    const attempts: number[] = [];
    const out = run('a b c', (scheduler) => ({
      transcriber: {
        name: 'always-503',
        transcribe: () => {
          attempts.push(scheduler.now());
          return throwError(() => new RxVoiceError({ code: 'provider_error', stage: 'transcribe', message: '503', retryable: true, status: 503 }));
        },
      },
      retry: { maxAttempts: 3, baseDelayMs: 100 },
    }));
    expect(attempts).toEqual([0, 100, 300]);
    expect(out.filter((o) => o.e.type === 'metric').map((o) => [o.t, o.e.type === 'metric' && o.e.valueMs])).toEqual([[0, 100], [100, 200]]);
    expect(out).toHaveLength(3);
    expect(out[2]!.e).toMatchObject({ type: 'error', turnId: 'turn-1', code: 'provider_error', stage: 'transcribe', utteranceLost: true });
  });

  it('reports a non-retryable failure at once and the next utterance still works', () => {
    const out = run('a b c 99ms x y', (scheduler) => ({
      transcriber: fakeTranscriber({
        transcripts: [new RxVoiceError({ code: 'auth', stage: 'transcribe', message: 'bad key', retryable: false }), 'second'],
        scheduler,
      }),
    }));
    expect(out.map((o) => o.e)).toEqual([
      { type: 'error', turnId: 'turn-1', code: 'auth', stage: 'transcribe', message: 'bad key', retryable: false, utteranceLost: true },
      { type: 'transcript', turnId: 'turn-2', text: 'second', final: true },
    ]);
  });

  it('emits partials when streaming and exactly one final', () => {
    const out = run('a b c', () => ({
      stream: true,
      transcriber: {
        name: 'partials',
        transcribe: (req) =>
          concat(
            req.audio.pipe(mergeMap(() => [] as TranscriptUpdate[])),
            of({ text: 'Hel', final: false }, { text: 'Hello', final: false }, { text: 'Hello.', final: true }, { text: 'late', final: true }),
          ),
      },
    }));
    expect(out.map((o) => o.e.type === 'transcript' && [o.e.text, o.e.final])).toEqual([
      ['Hel', false],
      ['Hello', false],
      ['Hello.', true],
    ]);
  });

  it('aborts the request when unsubscribed mid-utterance', () => {
    let stt!: ReturnType<typeof fakeTranscriber>;
    run('a 100ms b', (scheduler) => {
      stt = fakeTranscriber({ transcripts: ['never'], scheduler });
      return { transcriber: stt };
    }, 50);
    expect(stt.requests).toHaveLength(1);
    expect(stt.active).toBe(0);
  });

  it('a transcriber that completes without a final transcript ends the utterance with an error', () => {
    const out = run('a b c', () => ({ transcriber: { name: 'mute', transcribe: (req) => req.audio.pipe(mergeMap(() => [] as TranscriptUpdate[])) } }));
    expect(out.map((o) => o.e)).toMatchObject([{ type: 'error', code: 'protocol', utteranceLost: true }]);
  });

  it('finishes in-flight transcripts before completing when the input ends mid-utterance', () => {
    const scheduler = new TestScheduler(() => undefined);
    const events: string[] = [];
    scheduler.run(({ cold }) => {
      cold('a b|', values)
        .pipe(transcribe({ transcriber: fakeTranscriber({ transcripts: ['cut short'], latencyMs: 50, scheduler }), scheduler }))
        .subscribe({ next: (e) => events.push(`${scheduler.now()}:${e.type}`), complete: () => events.push(`${scheduler.now()}:complete`) });
    });
    expect(events).toEqual(['0:utterance.chunk', '1:utterance.chunk', '52:transcript', '52:complete']);
  });
});


describe('transcribe: preemptive (speech.paused / speech.resumed)', () => {
  const spec: Record<string, PipelineEvent> = {
    ...values,
    P: { type: 'speech.paused', turnId: 'turn-1', audioMs: 500, decidedAudioMs: 700 },
    R: { type: 'speech.resumed', turnId: 'turn-1', audioMs: 800 },
    E: { type: 'speech.ended', turnId: 'turn-1', audioMs: 500, decidedAudioMs: 1012, reason: 'silence' },
    d: chunk('turn-1', 2),
    f: chunk('turn-1', 3, true),
  };
  const runSpec = (marble: string, texts: string[], latencyMs = 300, preemptive = true) => {
    const scheduler = new TestScheduler(() => undefined);
    const out: Out[] = [];
    let stt!: ReturnType<typeof fakeTranscriber>;
    scheduler.run(({ cold }) => {
      stt = fakeTranscriber({ transcripts: texts, latencyMs, scheduler });
      cold(marble, spec)
        .pipe(transcribe({ transcriber: stt, scheduler, preemptive }))
        .subscribe((e) => {
          if (e.type !== 'utterance.chunk') out.push({ t: scheduler.now(), e });
        });
    });
    return { out, stt };
  };
  const outcomes = (out: Out[]) => out.flatMap((o) => (o.e.type === 'metric' && o.e.name === 'speculation' ? [`${o.e.detail?.outcome}@${o.t}`] : []));

  it('ends the upload at the pause and emits the held transcript right after speech.ended (one request)', () => {
    // a b at 0/100, pause at 200, the final chunk and speech.ended at 512: the answer came at 200 + 300.
    const { out, stt } = runSpec('a 99ms b 99ms P 311ms (cE)', ['hello there']);
    expect(stt.requests).toHaveLength(1);
    // The answer goes out at once as a preview (for a turn detector), and as the final after speech.ended.
    const preview = out.find((o) => o.e.type === 'transcript' && !o.e.final);
    expect(preview).toEqual({ t: 500, e: { type: 'transcript', turnId: 'turn-1', text: 'hello there', final: false, preview: true } });
    const transcript = out.find((o) => o.e.type === 'transcript' && o.e.final);
    expect(transcript).toEqual({ t: 512, e: { type: 'transcript', turnId: 'turn-1', text: 'hello there', final: true } });
    // After speech.ended, never before it (the latency metrics count from there).
    expect(out.findIndex((o) => o.e.type === 'speech.ended')).toBeLessThan(out.indexOf(transcript!));
    expect(outcomes(out)).toEqual(['started@200', 'used@512']);
  });

  it('without preemption the request answers only after the end (the baseline: 300 ms later)', () => {
    const { out } = runSpec('a 99ms b 99ms P 311ms (cE)', ['hello there'], 300, false);
    expect(out.find((o) => o.e.type === 'transcript')?.t).toBe(812);
    expect(outcomes(out)).toEqual([]);
  });

  it('a resumed caller: the speculative request is aborted, a new one sends the whole utterance, one transcript', () => {
    // Pause at 200, resume at 250 (before the first answer at 500), end at 600.
    const { out, stt } = runSpec('a 99ms b 99ms P 49ms R 49ms d 49ms (fE)', ['first try', 'the whole thing']);
    expect(stt.requests).toHaveLength(2);
    const transcripts = out.filter((o) => o.e.type === 'transcript');
    // The fake answers in script order: the aborted first request never consumed its entry.
    expect(transcripts.map((o) => (o.e as { text: string }).text)).toEqual(['first try']);
    expect(transcripts).toHaveLength(1);
    expect(outcomes(out)).toEqual(['started@200', 'discarded@250']);
    // The second request got everything: both chunks before the pause and the two after.
    expect(stt.uploads[1]).toBe(4 * 4000);
  });

  it('a resumed caller after the speculative answer arrived: the answer is dropped, never emitted', () => {
    // Pause at 200, answer at 500 (held), resume at 600, end at 700: only the second answer goes out.
    const { out, stt } = runSpec('a 99ms b 99ms P 399ms R 99ms (cE)', ['half a sentence', 'the full sentence'], 100);
    expect(stt.requests).toHaveLength(2);
    // Only a preview of the dropped answer went out (at 500, while paused); the final is the second answer.
    const transcripts = out.filter((o) => o.e.type === 'transcript');
    expect(transcripts.map((o) => [(o.e as { text: string }).text, (o.e as { final: boolean }).final])).toEqual([
      ['half a sentence', false],
      ['the full sentence', true],
    ]);
    expect(outcomes(out)).toEqual(['started@200', 'discarded@600']);
  });

  it('a failed speculative request is not an error: the end of the turn sends a fresh one', () => {
    const { out, stt } = runSpec('a 99ms b 99ms P 311ms (cE)', [new Error('boom') as unknown as string, 'recovered'], 50);
    expect(stt.requests).toHaveLength(2);
    expect(out.filter((o) => o.e.type === 'error')).toEqual([]);
    expect(out.find((o) => o.e.type === 'transcript')).toMatchObject({ t: 562, e: { text: 'recovered' } });
    // Counted once, as discarded when it failed (a turn detector then stops waiting for its preview).
    expect(outcomes(out)).toEqual(['started@200', 'discarded@250']);
  });
});
