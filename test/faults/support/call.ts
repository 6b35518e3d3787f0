import { Subject, type OperatorFunction, type Subscription } from 'rxjs';
import { framesOf } from '../../../src/audio/sources.js';
import type { AudioFrame, SampleRate } from '../../../src/audio/frame.js';
import type { EventOf, PipelineEvent, PipelineEventType } from '../../../src/events.js';
import { afterAll, beforeAll } from 'vitest';
import { cascaded, type CascadedOptions } from '../../../pipelines/cascaded.js';
import { resolveEndpoints } from '../../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import type { FaultRule, Scenario } from '../../../src/sandbox/types.js';
import { loadFixture } from '../../../src/testing/fixtures.js';

/**
 * A call fed turn by turn: each caller turn's audio (speech plus the silence after it) goes in as fast as
 * the chain takes it, then the caller waits until that turn is over (reply done or an error ended it, and
 * the chain has been quiet for a moment) before speaking again. Audio time stays continuous, the vad
 * sees real speech, and a multi-turn call takes seconds instead of its real length, without the next
 * turn barging in on a reply that a fault delayed.
 */

export interface TurnByTurnOptions {
  /** Quiet time (no events but caller audio) that ends a turn once its reply is done. Default 400 ms. */
  readonly quietMs?: number;
  /** Longest wait for one turn; the call goes on after it (the assertions then say what was missing). */
  readonly turnTimeoutMs?: number;
  /** After the last turn, how long the chain may take to complete. Default 10 s. */
  readonly endTimeoutMs?: number;
}

export interface TurnByTurnResult {
  readonly events: PipelineEvent[];
  readonly completed: boolean;
  readonly error?: unknown;
}

export async function callTurnByTurn(
  segments: readonly AudioFrame[][],
  pipeline: OperatorFunction<AudioFrame, PipelineEvent>,
  options: TurnByTurnOptions = {},
): Promise<TurnByTurnResult> {
  const quietMs = options.quietMs ?? 400;
  const turnTimeoutMs = options.turnTimeoutMs ?? 30_000;
  const frames = new Subject<AudioFrame>();
  const events: PipelineEvent[] = [];
  let lastEventAt = Date.now();
  // Wall time of each turn's first reply audio: the caller waits for the reply to have played.
  const firstAudioAt = new Map<string, number>();
  let completed = false;
  let failure: unknown;
  let onEnd: () => void = () => {};
  const subscription: Subscription = frames.pipe(pipeline).subscribe({
    next: (event) => {
      events.push(event);
      if (event.type !== 'audio.in') lastEventAt = Date.now();
      if (event.type === 'assistant.audio' && !firstAudioAt.has(event.turnId)) firstAudioAt.set(event.turnId, Date.now());
    },
    error: (err: unknown) => {
      failure = err;
      onEnd();
    },
    complete: () => {
      completed = true;
      onEnd();
    },
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    for (const segment of segments) {
      const startedBefore = events.filter((e) => e.type === 'speech.started').length;
      for (const frame of segment) frames.next(frame);
      const deadline = Date.now() + turnTimeoutMs;
      while (Date.now() < deadline && failure === undefined) {
        await sleep(50);
        const started = events.filter((e): e is EventOf<'speech.started'> => e.type === 'speech.started').slice(startedBefore);
        if (started.length === 0) {
          if (Date.now() - lastEventAt > 3000) break; // no speech in this segment
          continue;
        }
        const settled = started.every((s) => turnSettled(events, s.turnId));
        const played = started.every((s) => {
          const at = firstAudioAt.get(s.turnId);
          // A reply with no audio yet may be waiting on a retry (a 1 s retry-after, then synthesis on a
          // loaded machine): give it well over that before moving on, which would cancel it as stale.
          if (at === undefined) return turnErrored(events, s.turnId) || Date.now() - lastEventAt >= 6000;
          return Date.now() >= at + replyAudioMs(events, s.turnId) + 100;
        });
        if (settled && played && Date.now() - lastEventAt >= quietMs) break;
      }
    }
    if (failure === undefined) {
      const ended = new Promise<void>((resolve) => {
        onEnd = resolve;
        if (completed) resolve();
      });
      frames.complete();
      await Promise.race([ended, sleep(options.endTimeoutMs ?? 10_000)]);
    }
  } finally {
    subscription.unsubscribe();
  }
  return { events, completed, ...(failure === undefined ? {} : { error: failure }) };
}

/** A turn is over when its reply is done, or an error ended it, or nothing was said. */
export function turnSettled(events: readonly PipelineEvent[], turnId: string): boolean {
  return events.some(
    (e) =>
      ('turnId' in e && e.turnId === turnId && (e.type === 'assistant.done' || e.type === 'error')) ||
      (e.type === 'transcript' && e.turnId === turnId && e.final && e.text.trim() === ''),
  );
}

function turnErrored(events: readonly PipelineEvent[], turnId: string): boolean {
  return events.some((e) => (e.type === 'error' && e.turnId === turnId) || (e.type === 'transcript' && e.turnId === turnId && e.final && e.text.trim() === ''));
}

/** A fixture's frames, cut into caller turns halfway through the pauses between its utterances. */
export async function fixtureTurns(name: string): Promise<{ turns: AudioFrame[][]; sampleRate: SampleRate; texts: string[] }> {
  const fixture = await loadFixture(name);
  const wav = await fixture.read();
  const frames = framesOf(wav.samples, wav.sampleRate as SampleRate, 20);
  const cuts = fixture.utterances.slice(1).map((u, i) => (fixture.utterances[i]!.endMs + u.startMs) / 2);
  const turns: AudioFrame[][] = cuts.map(() => []);
  turns.push([]);
  for (const frame of frames) {
    const index = cuts.filter((c) => frame.startMs >= c).length;
    turns[index]!.push(frame);
  }
  return { turns, sampleRate: wav.sampleRate as SampleRate, texts: fixture.utterances.map((u) => u.text) };
}

export const ofType = <T extends PipelineEventType>(events: readonly PipelineEvent[], type: T): EventOf<T>[] =>
  events.filter((e): e is EventOf<T> => e.type === type);

/** A readable digest of a run, for assertion messages. */
export function digest(events: readonly PipelineEvent[]): string {
  return events
    .filter((e) => !['audio.in', 'assistant.audio', 'assistant.text', 'utterance.chunk', 'metric'].includes(e.type) && !(e.type === 'transcript' && !e.final))
    .map((e) => JSON.stringify(e))
    .join('\n');
}

/** Milliseconds of reply audio a turn got. */
export function replyAudioMs(events: readonly PipelineEvent[], turnId: string): number {
  return ofType(events, 'assistant.audio')
    .filter((e) => e.turnId === turnId)
    .reduce((ms, e) => ms + (e.frame.samples.length * 1000) / e.frame.sampleRate, 0);
}

/**
 * For a test file that plays the demo call (fixtures call-3turns) against one sandbox: starts the sandbox
 * (instant profile, `base` scenario) and loads the caller's turns before the tests, closes it after.
 */
export function demoCallOnSandbox(base: Scenario, turnCount?: number): { readonly sandbox: Sandbox; readonly turns: AudioFrame[][] } {
  let sandbox: Sandbox | undefined;
  let turns: AudioFrame[][] = [];
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: base });
    const all = (await fixtureTurns('call-3turns')).turns;
    turns = turnCount === undefined ? all : all.slice(0, turnCount);
  });
  afterAll(async () => sandbox?.close());
  return {
    get sandbox(): Sandbox {
      if (!sandbox) throw new Error('the sandbox starts in beforeAll');
      return sandbox;
    },
    get turns(): AudioFrame[][] {
      return turns;
    },
  };
}

/** The demo call through `cascaded()` on the sandbox with `faults` added to `base`; barge-in off. */
export async function cascadedOnSandbox(
  demo: { readonly sandbox: Sandbox; readonly turns: AudioFrame[][] },
  base: Scenario,
  faults: FaultRule[],
  options: Partial<CascadedOptions>,
  callOptions: TurnByTurnOptions = {},
): Promise<PipelineEvent[]> {
  demo.sandbox.setScenario({ ...base, faults });
  const chain = cascaded({ endpoints: resolveEndpoints({}, demo.sandbox.url), bargeIn: false, ...options });
  return (await callTurnByTurn(demo.turns, chain, callOptions)).events;
}
