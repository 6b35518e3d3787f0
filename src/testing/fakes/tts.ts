import { asyncScheduler, concatMap, map, Observable, of, throwError, timer, type SchedulerLike } from 'rxjs';
import type { SampleRate } from '../../audio/frame.js';
import type { SynthesisChunk, SynthesisRequest, Synthesizer } from '../../providers/types.js';

export interface FakeSynthesizerOptions {
  /** Delay before each request's first audio (scheduler time). Default 100. */
  readonly firstByteMs?: number;
  /** Audio per character of text. Default 50 ms. */
  readonly msPerChar?: number;
  /** Include character alignment in the chunks. Default true. */
  readonly alignment?: boolean;
  /** Make a request fail: return an error to throw instead of the n-th (0-based) text piece's audio. */
  readonly failWith?: (request: SynthesisRequest, pieceIndex: number) => Error | undefined;
  readonly scheduler?: SchedulerLike;
}

/** What the fake saw of one `synthesize` call. */
export interface FakeSynthesisCall {
  readonly request: SynthesisRequest;
  /** Text pieces received (one for a whole-text request). */
  readonly texts: string[];
  /** The synthesis ended by itself (completed or failed). */
  completed: boolean;
  /** True when the caller unsubscribed before the synthesis completed (the abort a real one would do). */
  unsubscribed: boolean;
}

export interface FakeSynthesizer extends Synthesizer {
  readonly calls: FakeSynthesisCall[];
}

/**
 * A `Synthesizer` for marble tests: each text piece becomes, after `firstByteMs` (first piece only), one
 * chunk of `msPerChar` ms of a tone per character, with exact character alignment. Cold: nothing happens
 * until subscribed; unsubscribing is recorded in `calls`.
 */
export function fakeSynthesizer(options: FakeSynthesizerOptions = {}): FakeSynthesizer {
  const firstByteMs = options.firstByteMs ?? 100;
  const msPerChar = options.msPerChar ?? 50;
  const withAlignment = options.alignment ?? true;
  const calls: FakeSynthesisCall[] = [];
  const chunkFor = (piece: string, sampleRate: SampleRate): SynthesisChunk => {
    const samples = new Int16Array(Math.round((sampleRate * msPerChar * piece.length) / 1000));
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / sampleRate));
    const chars = [...piece];
    return {
      samples,
      sampleRate,
      ...(withAlignment
        ? {
            alignment: {
              chars,
              charStartMs: chars.map((_, i) => i * msPerChar),
              charDurationMs: chars.map(() => msPerChar),
            },
          }
        : {}),
    };
  };
  return {
    name: 'fake-tts',
    calls,
    synthesize(request) {
      return new Observable<SynthesisChunk>((subscriber) => {
        const scheduler = options.scheduler ?? asyncScheduler;
        const call: FakeSynthesisCall = { request, texts: [], completed: false, unsubscribed: false };
        calls.push(call);
        const sampleRate = request.outputFormat.sampleRate;
        const text$ = typeof request.text === 'string' ? of(request.text) : request.text;
        const subscription = text$
          .pipe(
            concatMap((piece, index) => {
              call.texts.push(piece);
              const failure = options.failWith?.(request, index);
              if (failure) return throwError(() => failure);
              return timer(index === 0 ? firstByteMs : 0, scheduler).pipe(map(() => chunkFor(piece, sampleRate)));
            }),
          )
          .subscribe({
            next: (chunk) => subscriber.next(chunk),
            error: (err: unknown) => {
              call.completed = true;
              subscriber.error(err);
            },
            complete: () => {
              call.completed = true;
              subscriber.complete();
            },
          });
        return () => {
          if (!call.completed) call.unsubscribed = true;
          subscription.unsubscribe();
        };
      });
    },
  };
}
