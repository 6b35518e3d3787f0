/**
 * The one barge-in policy both chains apply (`bargeIn` in the cascaded chain, `realtime` in the realtime
 * chain): when caller speech during a reply cuts it. `false`: never.
 */
export type BargeInPolicy =
  | false
  | {
      /** The caller must have spoken this long (audio time) before the reply is cut. Default 0. */
      readonly minSpeechMs?: number;
      /** A partial or final transcript with at least this many words is needed. Default 0. */
      readonly minWords?: number;
    };

export interface BargeInThresholds {
  readonly enabled: boolean;
  readonly minSpeechMs: number;
  readonly minWords: number;
}

export function bargeInThresholds(policy: BargeInPolicy | undefined): BargeInThresholds {
  const p = policy ?? {};
  if (p === false) return { enabled: false, minSpeechMs: 0, minWords: 0 };
  return { enabled: true, minSpeechMs: Math.max(0, p.minSpeechMs ?? 0), minWords: Math.max(0, p.minWords ?? 0) };
}

/** Whether speech of `spokeMs` with `words` words meets the policy (every given threshold must hold). */
export function bargeInMet(t: BargeInThresholds, spokeMs: number, words: number): boolean {
  return t.enabled && (t.minSpeechMs <= 0 || spokeMs >= t.minSpeechMs) && words >= t.minWords;
}

/**
 * True when the chain, not a server's own turn detection, must decide barge-in: a policy with
 * thresholds, none at all, or echo / half-duplex guards the server cannot know about.
 */
export function chainDecidesBargeIn(t: BargeInThresholds, guarded: boolean): boolean {
  return guarded || !t.enabled || t.minSpeechMs > 0 || t.minWords > 0;
}
