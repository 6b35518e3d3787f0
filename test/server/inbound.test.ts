import { describe, expect, it } from 'vitest';
import { bytesToSamples, samplesToBytes } from '../../src/server/codec.js';
import { InboundFramer } from '../../src/server/inbound.js';

describe('PCM16 wire codec', () => {
  it('reads little-endian samples at any byte offset and drops an odd trailing byte; writes a fresh copy', () => {
    const wire = Buffer.from([0xff, 0x01, 0x00, 0xff, 0x7f, 0x00, 0x80, 0x42]);
    // Offset 1: an Int16Array cannot view it in place, so the bytes are copied out.
    expect([...bytesToSamples(wire.subarray(1))]).toEqual([0x0001, 0x7fff, -0x8000]);
    const samples = Int16Array.from([1, -2, 0x1234]);
    const bytes = samplesToBytes(samples);
    expect([...bytes]).toEqual([0x01, 0x00, 0xfe, 0xff, 0x34, 0x12]);
    samples[0] = 99;
    expect(bytes[0]).toBe(0x01);
  });
});

describe('InboundFramer', () => {
  it('cuts any chunk sizes into 20 ms frames with continuous seq and startMs, same samples as one stream', () => {
    const all = Int16Array.from({ length: 320 * 5 + 100 }, (_, i) => i);
    const framer = new InboundFramer(16000);
    const frames = [
      ...framer.push(all.subarray(0, 320)), // a whole frame, nothing pending: passed through
      ...framer.push(all.subarray(320, 500)),
      ...framer.push(all.subarray(500, 1300)),
      ...framer.push(all.subarray(1300, 1620)),
      ...framer.push(all.subarray(1620)),
      ...framer.flush(),
    ];
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(frames.map((f) => f.startMs)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(frames.map((f) => f.samples.length)).toEqual([320, 320, 320, 320, 320, 100]);
    expect(frames.flatMap((f) => [...f.samples])).toEqual([...all]);
    expect(framer.receivedMs).toBe(106.25);
  });
});
