import { map, type OperatorFunction } from 'rxjs';
import type { PipelineEvent } from '../../src/events.js';

/**
 * A marble built from groups one `stepMs` apart, `end` (e.g. '|') one step after the last:
 * `timeline(['a', '(SA)', 'a'], 10, '|')` -> 'a 9ms (SA) 6ms a 9ms |'.
 */
export function timeline(groups: readonly string[], stepMs = 10, end = ''): string {
  return [...groups, end].filter((g) => g !== '').map((g, i, all) => (i === all.length - 1 ? g : `${g} ${stepMs - g.length}ms`)).join(' ');
}

/** Audio frames as letters ('a' outside an utterance, 'A' inside); every other event kept whole. */
export function letters(): OperatorFunction<PipelineEvent, PipelineEvent | string> {
  return map((e) => (e.type === 'audio.in' ? (e.turnId ? 'A' : 'a') : e));
}

export function repeat(group: string, n: number): string[] {
  return Array.from({ length: n }, () => group);
}
