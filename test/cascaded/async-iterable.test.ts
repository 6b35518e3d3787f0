import { Subject, of, throwError, concat } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { toAsyncIterable } from '../../src/providers/openai/transcriber.js';

describe('toAsyncIterable (the streamed upload reads audio through it)', () => {
  it('hands on every value in order, sync bursts and later ones alike, then ends', async () => {
    const later = new Subject<number>();
    const got: number[] = [];
    const done = (async () => {
      for await (const v of toAsyncIterable(concat(of(1, 2, 3), later))) got.push(v);
    })();
    await new Promise((r) => setTimeout(r, 5));
    later.next(4);
    later.next(5);
    await new Promise((r) => setTimeout(r, 5));
    later.next(6);
    later.complete();
    await done;
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('hands on what came before an error, then throws it', async () => {
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const v of toAsyncIterable(concat(of(1, 2), throwError(() => new Error('boom'))))) got.push(v);
      })(),
    ).rejects.toThrow('boom');
    expect(got).toEqual([1, 2]);
  });
});
