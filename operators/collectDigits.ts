import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { DtmfEvent, PipelineEvent, TranscriptEvent } from '../src/events.js';

export type DigitsEndReason = 'terminator' | 'timeout' | 'max_length' | 'end_of_stream';

/** One keypad entry: the keys pressed (terminator excluded) and what ended it. */
export interface DigitsEntry {
  readonly digits: string;
  readonly reason: DigitsEndReason;
}

export interface CollectDigitsOptions {
  /** The key that ends an entry (not part of it); default `#`; `null`: none. */
  readonly terminator?: string | null;
  /** An entry ends this long after its last key; default 3000 ms. */
  readonly timeoutMs?: number;
  /** An entry ends once it has this many keys; default none (64 at most, whatever is asked). */
  readonly maxLength?: number;
  /**
   * The user message the model gets for an entry (a final `transcript`, so the reply chain answers it like
   * speech); default "The caller entered 1234 on the keypad."; return `undefined` to hand the entry to
   * `onEntry` only.
   */
  readonly toText?: (entry: DigitsEntry) => string | undefined;
  /** Called with every entry (a PIN check, a tool of your own), before its transcript is emitted. */
  readonly onEntry?: (entry: DigitsEntry) => void;
  readonly scheduler?: SchedulerLike;
}

/** Hard bound on one entry, so a caller holding keys down cannot grow it. */
export const MAX_DIGITS = 64;

const defaultText = (entry: DigitsEntry): string => `The caller entered ${entry.digits} on the keypad.`;

/**
 * Collects the caller's key presses (`dtmf` events) into entries, for "enter your PIN" flows that need no
 * speech recognition of digits. An entry ends on the terminator, after `timeoutMs` without a key, at
 * `maxLength` keys, or when the stream ends; it then goes to `onEntry` and, as a final `transcript` with
 * turn id `keys-<n>`, to the model. Every event passes through unchanged (the `dtmf` ones too).
 *
 * ```
 * in:  --1--2--#--------3--4-------|       terminator '#', timeoutMs 5
 * out: --1--2--#T-------3--4----T--|       T: transcript "... 12 ..." (terminator), then "... 34 ..." (timeout)
 * ```
 * An empty entry (a lone terminator) is dropped. Teardown cancels the pending timeout.
 */
export function collectDigits(options: CollectDigitsOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  const terminator = options.terminator === undefined ? '#' : options.terminator;
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxLength = Math.min(options.maxLength ?? MAX_DIGITS, MAX_DIGITS);
  const toText = options.toText ?? defaultText;
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      let digits = '';
      let entries = 0;
      let timer: Subscription | undefined;
      const finish = (reason: DigitsEndReason): void => {
        timer?.unsubscribe();
        timer = undefined;
        if (digits === '') return;
        const entry: DigitsEntry = { digits, reason };
        digits = '';
        options.onEntry?.(entry);
        const text = toText(entry);
        if (text === undefined) return;
        const transcript: TranscriptEvent = { type: 'transcript', turnId: `keys-${++entries}`, text, final: true };
        subscriber.next(transcript);
      };
      const press = (event: DtmfEvent): void => {
        if (terminator !== null && event.digit === terminator) return finish('terminator');
        digits += event.digit;
        if (digits.length >= maxLength) return finish('max_length');
        timer?.unsubscribe();
        timer = scheduler.schedule(() => finish('timeout'), timeoutMs);
      };
      const subscription = source.subscribe({
        next: (event) => {
          subscriber.next(event);
          if (event.type === 'dtmf') press(event);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          finish('end_of_stream');
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
