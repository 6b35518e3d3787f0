import { deepStrictEqual } from 'node:assert/strict';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';

interface Recorded {
  readonly frame: number;
  readonly notification: { readonly kind: string; readonly value?: unknown; readonly error?: unknown };
}

/** One value, short: typed arrays as their length, frames as `frame#seq@startMs`. */
function short(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v)) return `<${(v as Int16Array).length} samples>`;
    return v;
  });
}

function render(messages: unknown): string {
  if (!Array.isArray(messages)) return short(messages);
  return (messages as Recorded[])
    .map((m) => {
      const n = m.notification;
      const detail = n.kind === 'N' ? short(n.value) : n.kind === 'E' ? short(n.error instanceof Error ? n.error.message : n.error) : '';
      return `  ${String(m.frame).padStart(6)}ms ${n.kind} ${detail}`;
    })
    .join('\n');
}

/**
 * Runs `fn` in virtual time with a TestScheduler that compares with deep equality (typed arrays
 * included). On a mismatch it throws an error listing both timelines, one notification per line.
 *
 * ```ts
 * marbles(({ cold, expectObservable }) => {
 *   expectObservable(cold('a|').pipe(myOperator())).toBe('b|', { b: expected });
 * });
 * ```
 */
export function marbles<T>(fn: (helpers: RunHelpers & { scheduler: TestScheduler }) => T): T {
  const scheduler = new TestScheduler((actual, expected) => {
    try {
      deepStrictEqual(actual, expected);
    } catch {
      throw new Error(`marble mismatch\nactual:\n${render(actual)}\nexpected:\n${render(expected)}`);
    }
  });
  return scheduler.run((helpers) => fn({ ...helpers, scheduler }));
}
