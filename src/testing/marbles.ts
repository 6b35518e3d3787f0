import { deepStrictEqual } from 'node:assert/strict';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';

/**
 * Runs `fn` in virtual time with a TestScheduler that compares with deep equality (typed arrays
 * included), and throws an assertion error on a mismatch. Returns what `fn` returns.
 *
 * ```ts
 * marbles(({ cold, expectObservable }) => {
 *   expectObservable(cold('a|').pipe(myOperator())).toBe('b|', { b: expected });
 * });
 * ```
 */
export function marbles<T>(fn: (helpers: RunHelpers & { scheduler: TestScheduler }) => T): T {
  const scheduler = new TestScheduler((actual, expected) => deepStrictEqual(actual, expected));
  return scheduler.run((helpers) => fn({ ...helpers, scheduler }));
}
