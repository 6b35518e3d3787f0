import type { PipelineEvent } from './events.js';

/** N of an event's `turn-N` id, or undefined (no turn, or another naming). */
export function turnNumber(event: PipelineEvent): number | undefined {
  const m = 'turnId' in event && typeof event.turnId === 'string' ? /^turn-(\d+)$/.exec(event.turnId) : null;
  return m ? Number(m[1]) : undefined;
}

/** `turn-N` (in `turnId` and `byTurnId`) becomes `turn-(N + offset)`: a second chain continuing the first's numbering. */
export function renumberTurns(event: PipelineEvent, offset: number): PipelineEvent {
  if (offset === 0) return event;
  const shift = (id: string): string => {
    const m = /^turn-(\d+)$/.exec(id);
    return m ? `turn-${Number(m[1]) + offset}` : id;
  };
  const out: Record<string, unknown> = { ...event };
  if (typeof out.turnId === 'string') out.turnId = shift(out.turnId);
  if (typeof out.byTurnId === 'string') out.byTurnId = shift(out.byTurnId);
  return out as unknown as PipelineEvent;
}
