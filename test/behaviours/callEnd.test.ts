import { lastValueFrom, map, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../src/audio/frame.js';
import type { PipelineEvent } from '../../src/events.js';
import { PlaybackClock } from '../../src/playback.js';
import { honourCallEnd } from '../../src/server/call-end.js';
import type { PipelineChoice, PipelineFactory } from '../../src/server/types.js';

describe('honourCallEnd (rxvoice serve)', () => {
  it("ends the session once on the pipeline's call.end, after the event went out, and passes every event on", async () => {
    const emitted: PipelineEvent[] = [
      { type: 'call.end', reason: 'idle', turnId: 'idle-2', atMs: 1 },
      { type: 'call.end', reason: 'idle', atMs: 2 },
    ];
    const factory: PipelineFactory = () => (frames) => frames.pipe(map((_f: AudioFrame, i) => emitted[i]!));
    const ended: string[] = [];
    const wrapped = honourCallEnd(factory, (id, reason) => ended.push(`${id}:${reason}`));
    const choice = { sessionId: 's-1', playback: new PlaybackClock() } as unknown as PipelineChoice;
    const frame: AudioFrame = { samples: new Int16Array(160), sampleRate: 8000, startMs: 0, seq: 0 };
    const out = await lastValueFrom(of(frame, frame).pipe(wrapped(choice), toArray()));
    expect(out).toEqual(emitted);
    expect(ended).toEqual([]); // not from inside the pipeline's emission
    await new Promise((r) => setImmediate(r));
    expect(ended).toEqual(['s-1:idle']);
  });
});
