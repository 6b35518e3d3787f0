import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realtimePipeline } from '../../pipelines/realtime.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { FaultRule, FaultSpec } from '../../src/sandbox/types.js';
import { callTurnByTurn, digest, fixtureTurns, ofType } from './support/call.js';

/**
 * "Nothing lost" for the realtime chain, over randomized fault schedules injected by the sandbox into its
 * sessions (drops, resets, error events, malformed messages, refused upgrades, stalls): every utterance the
 * vad detected ends in exactly one final transcript (never a duplicate after a reconnect replays the
 * audio), or, without one, in an error naming it; and when the chain survives, the next turn is answered.
 */

const TEXTS = ["What's the weather like in Paris today?", 'Can you book me a table for two at eight?'];
let sandbox: Sandbox;
let turns: AudioFrame[][];
beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant' });
  turns = (await fixtureTurns('call-3turns')).turns.slice(0, 2);
});
afterAll(async () => sandbox.close());

const fault: fc.Arbitrary<FaultSpec> = fc.oneof(
  fc.record({ kind: fc.constant('ws_close' as const), afterChunks: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('reset' as const), afterChunks: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('realtime_error' as const), afterChunks: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('malformed' as const), afterChunks: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('stall' as const), afterChunks: fc.integer({ min: 0, max: 4 }), stallMs: fc.integer({ min: 100, max: 800 }) }),
  fc.constant({ kind: 'http_503' as const }),
);
const schedule = fc.array(fc.record({ request: fc.integer({ min: 1, max: 3 }), fault }), { minLength: 1, maxLength: 3 });

let run = 0;
describe('nothing lost under randomized realtime faults (sandbox, real audio)', () => {
  it('each detected utterance: exactly one final transcript, or an error naming it; a surviving chain answers the next turn', async () => {
    await fc.assert(
      fc.asyncProperty(schedule, async (rules) => {
        const faults: FaultRule[] = rules.map((r) => ({ surface: 'realtime', request: r.request, fault: r.fault }));
        sandbox.setScenario({
          utterances: TEXTS.map((transcript) => ({ transcript })),
          replies: [
            { match: 'weather', reply: 'It is sunny in Paris today, about twenty degrees, with a light breeze.' },
            { match: 'table', reply: 'Done, booked at eight.' },
          ],
          faults,
        });
        const { events } = await callTurnByTurn(
          turns,
          realtimePipeline({ endpoints: resolveEndpoints({}, sandbox.url), callId: `rt-lost-${++run}`, bargeIn: false, maxReconnects: 3 }),
          { turnTimeoutMs: 12_000 },
        );
        const summary = `${JSON.stringify(faults)}\n${digest(events)}`;
        const detected = ofType(events, 'speech.started').map((e) => e.turnId);
        expect(detected, summary).toEqual(['turn-1', 'turn-2']);
        for (const turnId of detected) {
          const finals = ofType(events, 'transcript').filter((e) => e.turnId === turnId && e.final);
          const errors = ofType(events, 'error').filter((e) => e.turnId === turnId);
          expect(finals.length, summary).toBeLessThanOrEqual(1);
          if (finals.length === 0) expect(errors.length, summary).toBeGreaterThanOrEqual(1);
          // Replies are never doubled either.
          expect(ofType(events, 'assistant.done').filter((e) => e.turnId === turnId).length, summary).toBeLessThanOrEqual(1);
        }
        for (const e of ofType(events, 'error')) expect(e.stage, summary).toBe('realtime');
        // Unless the chain gave up for good, the second turn is heard and answered.
        const gaveUp = ofType(events, 'error').some((e) => /gave up/.test(e.message));
        if (!gaveUp) expect(ofType(events, 'assistant.done').some((e) => e.turnId === 'turn-2'), summary).toBe(true);
      }),
      { numRuns: 6 },
    );
  }, 240_000);
});
