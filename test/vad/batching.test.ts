import { describe, expect, it } from 'vitest';
import { pcm16ToFloat32 } from '../../src/audio/pcm.js';
import { SileroModel } from '../../src/vad/silero.js';
import { loadFixture } from '../../src/testing/index.js';

/** Windows of one stream, 512 samples each. */
async function windowsOf(name: string, offset: number): Promise<Float32Array[]> {
  const samples = (await (await loadFixture(name)).read()).samples.subarray(offset);
  const out: Float32Array[] = [];
  for (let i = 0; i + 512 <= samples.length; i += 512) out.push(pcm16ToFloat32(samples.subarray(i, i + 512)));
  return out;
}

describe('Silero windows of concurrent streams run as one batch', () => {
  it('gives each stream the probabilities it gets when run alone', async () => {
    // Different audio per stream (offset starts), so a mixed-up state or row would show.
    const streams = await Promise.all([0, 1000, 2000, 3000, 4000].map((o) => windowsOf('one-sentence', o)));
    const length = Math.min(...streams.map((s) => s.length));

    const alone: number[][] = [];
    for (const windows of streams) {
      const model = await SileroModel.load();
      const ps: number[] = [];
      for (let i = 0; i < length; i++) ps.push(await model.process(windows[i]!));
      alone.push(ps);
    }

    const models = await Promise.all(streams.map(() => SileroModel.load()));
    const together: number[][] = streams.map(() => []);
    for (let i = 0; i < length; i++) {
      const ps = await Promise.all(models.map((m, s) => m.process(streams[s]![i]!)));
      ps.forEach((p, s) => together[s]!.push(p));
    }

    expect(Math.max(...alone.flat())).toBeGreaterThan(0.9); // speech was there to find
    for (let s = 0; s < streams.length; s++) {
      for (let i = 0; i < length; i++) expect(together[s]![i]).toBeCloseTo(alone[s]![i]!, 4);
    }
  });

  it('keeps one stream\'s windows in order when they are submitted without waiting', async () => {
    const windows = await windowsOf('one-sentence', 0);
    const sequential = await SileroModel.load();
    const expected: number[] = [];
    for (const w of windows) expected.push(await sequential.process(w));
    const eager = await SileroModel.load();
    const got = await Promise.all(windows.map((w) => eager.process(w)));
    got.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 4));
  });
});
