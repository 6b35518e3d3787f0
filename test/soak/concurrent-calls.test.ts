import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cascaded } from '../../pipelines/cascaded.js';
import { realtimePipeline } from '../../pipelines/realtime.js';
import type { PipelineEvent } from '../../src/events.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { runCall } from '../../src/runner/call.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { FaultRule } from '../../src/sandbox/types.js';
import { loadFixture } from '../../src/testing/fixtures.js';

/**
 * Load and soak, in-process: 50 calls at once (half cascaded, half realtime) on a short fixture at real
 * time against the sandbox (instant profile) with faults sprinkled over every surface. Every utterance
 * ends in a transcript or an error naming it, and once the calls are over, retained memory and open
 * handles (sockets, timers) return to their baseline.
 */

const CALLS = 50;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Open handles by kind (TCPSocketWrap, Timeout, ...), as Node reports them. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
const total = (h: Record<string, number>, kinds: readonly string[]) => kinds.reduce((n, k) => n + (h[k] ?? 0), 0);
const NETWORK_AND_TIMERS = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate', 'TTYWrap', 'PipeWrap'];

function retained(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function settle(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

// Faults on request numbers spread over the run (each surface counts its own requests).
const FAULTS: FaultRule[] = [
  ...[3, 11, 19, 27].map((request): FaultRule => ({ surface: 'chat', request, fault: { kind: 'http_503' } })),
  ...[5, 23].map((request): FaultRule => ({ surface: 'chat', request, fault: { kind: 'reset', afterChunks: 2 } })),
  ...[2, 14].map((request): FaultRule => ({ surface: 'transcribe', request, fault: { kind: 'http_429', retryAfterS: 1 } })),
  { surface: 'transcribe', request: 8, fault: { kind: 'reset', afterChunks: 0 } },
  ...[4, 17].map((request): FaultRule => ({ surface: 'realtime', request, fault: { kind: 'ws_close', afterChunks: 2 } })),
  { surface: 'realtime', request: 9, fault: { kind: 'http_503' } },
  ...[6, 21].map((request): FaultRule => ({ surface: 'tts_ws', request, fault: { kind: 'reset', afterChunks: 2 } })),
];

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    profile: 'instant',
    scenario: { utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.' }], defaultReply: 'Noted. Anything else?' },
  });
});
afterAll(async () => sandbox.close());

describe('50 concurrent calls with faults', () => {
  it('every utterance ends in a transcript or an error naming it; memory and handles return to baseline', async () => {
    const fixture = await loadFixture('one-sentence');
    const endpoints = resolveEndpoints({}, sandbox.url);
    const pipelineFor = (i: number) =>
      i % 2 === 0
        ? cascaded({ endpoints, callId: `soak-${i}`, bargeIn: false })
        : realtimePipeline({ endpoints, callId: `soak-${i}`, bargeIn: false });

    // Warm-up call: loads the vad model, the SDKs and the connection pools, so the baseline is a steady state.
    await runCall({ frames: fixture.frames({ realtime: false }), pipeline: pipelineFor(0), idleAfterInputMs: 3000 });
    await settle(() => false, 1500);
    const baseHandles = handles();
    const baseMemory = retained();

    sandbox.setScenario({ utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.' }], defaultReply: 'Noted. Anything else?', faults: FAULTS });
    const results = await Promise.all(
      Array.from({ length: CALLS }, (_, i) => runCall({ frames: fixture.frames({ realtime: true }), pipeline: pipelineFor(i), idleAfterInputMs: 4000 })),
    );

    let answered = 0;
    for (const [i, result] of results.entries()) {
      const events: PipelineEvent[] = result.events.map((t) => t.event);
      const turns = events.filter((e) => e.type === 'speech.started').map((e) => ('turnId' in e ? e.turnId : ''));
      expect(turns.length, `call ${i}`).toBeGreaterThanOrEqual(1);
      for (const turnId of turns) {
        const finals = events.filter((e) => e.type === 'transcript' && e.turnId === turnId && e.final).length;
        const errors = events.filter((e) => e.type === 'error' && e.turnId === turnId).length;
        expect(finals + Math.min(errors, 1), `call ${i} ${turnId}`).toBeGreaterThanOrEqual(1);
        expect(finals, `call ${i} ${turnId}`).toBeLessThanOrEqual(1);
      }
      for (const e of events) if (e.type === 'error') expect(e.message.length).toBeGreaterThan(5);
      if (events.some((e) => e.type === 'assistant.audio')) answered++;
    }
    // Faults cost a few replies at most; the rest of the calls were answered with speech.
    expect(answered).toBeGreaterThanOrEqual(CALLS - 12);
    expect(sandbox.stats.faults.length).toBeGreaterThanOrEqual(8);

    // Handles: pooled keep-alive sockets and timers close on their own; wait for them, then compare.
    const handlesBack = await settle(() => total(handles(), NETWORK_AND_TIMERS) <= total(baseHandles, NETWORK_AND_TIMERS), 20_000);
    expect(handlesBack, `handles now ${JSON.stringify(handles())}, baseline ${JSON.stringify(baseHandles)}`).toBe(true);
    // Memory: what 50 calls left behind, against a generous bound (the events returned are dropped first).
    results.length = 0;
    const grown = retained() - baseMemory;
    expect(grown).toBeLessThan(24 * 1024 * 1024);
  }, 120_000);
});
