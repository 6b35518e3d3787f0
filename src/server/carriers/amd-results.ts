/**
 * Carriers report their own answering-machine verdict on a separate webhook (Twilio's asynchronous AMD:
 * `AsyncAmdStatusCallback`, `AnsweredBy`), not on the media stream. This hands it to the live call with
 * that id in this process. A verdict that comes before the call's stream starts waits (bounded), so the
 * order of the two does not matter. With several worker processes the callback may reach another one:
 * the local detector then decides alone.
 */

type Listener = (answeredBy: string) => void;

/** Verdicts kept for calls whose stream has not started yet; the oldest go first. */
const MAX_PENDING = 256;
const PENDING_TTL_MS = 60_000;

const listeners = new Map<string, Listener>();
const pending = new Map<string, { answeredBy: string; at: number }>();

export function reportCarrierAmd(callId: string, answeredBy: string): void {
  const listener = listeners.get(callId);
  if (listener) return listener(answeredBy);
  pending.delete(callId);
  pending.set(callId, { answeredBy: answeredBy.slice(0, 64), at: Date.now() });
  while (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value as string);
}

/** Listens for the carrier's verdict on `callId`; returns the unsubscribe. */
export function onCarrierAmd(callId: string, listener: Listener): () => void {
  listeners.set(callId, listener);
  const early = pending.get(callId);
  pending.delete(callId);
  if (early && Date.now() - early.at < PENDING_TTL_MS) queueMicrotask(() => listener(early.answeredBy));
  return () => {
    if (listeners.get(callId) === listener) listeners.delete(callId);
  };
}
