import { map, type Observable, type OperatorFunction } from 'rxjs';
import { fileURLToPath } from 'node:url';
import { fromWav } from '../../src/audio/sources.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import type { EventOf, PipelineEvent, PipelineEventType } from '../../src/events.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const DEMO_SCENARIO = fileURLToPath(new URL('../../examples/scenarios/demo.json', import.meta.url));

/** The demo call's three caller utterances (fixtures/call-3turns.wav, examples/scenarios/demo.json). */
export const CALL_TRANSCRIPTS = ["What's the weather like in Paris today?", 'Can you book me a table for two at eight?', "Thanks, that's all."];

/** A fixture's frames, paced at real time as a phone line delivers them. */
export function fixtureFrames(name: string): Observable<AudioFrame> {
  return fromWav(`${FIXTURES}${name}`, { realtime: true });
}

export function asAudioIn(): OperatorFunction<AudioFrame, PipelineEvent> {
  return map((frame): PipelineEvent => ({ type: 'audio.in', frame }));
}

/** Runs a chain to completion (or `timeoutMs`) and returns everything it emitted. */
export function collect(events: Observable<PipelineEvent>, timeoutMs = 45_000): Promise<PipelineEvent[]> {
  return new Promise((resolve, reject) => {
    const out: PipelineEvent[] = [];
    const timer = setTimeout(() => {
      sub.unsubscribe();
      resolve(out);
    }, timeoutMs);
    const sub = events.subscribe({
      next: (e) => out.push(e),
      error: (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
      complete: () => {
        clearTimeout(timer);
        resolve(out);
      },
    });
  });
}

export function ofType<T extends PipelineEventType>(events: readonly PipelineEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

/** A readable digest of a run, for assertion messages. */
export function digest(events: readonly PipelineEvent[]): string {
  return events
    .filter((e) => e.type !== 'audio.in' && e.type !== 'assistant.audio' && e.type !== 'assistant.text' && !(e.type === 'transcript' && !e.final))
    .map((e) => JSON.stringify(e))
    .join('\n');
}

/** Root-mean-square level of samples, 0..32768. */
export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}
