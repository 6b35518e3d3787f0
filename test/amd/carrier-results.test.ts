import { describe, expect, it } from 'vitest';
import { onCarrierAmd, reportCarrierAmd } from '../../src/server/carriers/amd-results.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('carrier AMD verdicts reach the live call', () => {
  it('a listening call gets its verdict at once; one reported before the stream started waits for it', async () => {
    const got: string[] = [];
    const off = onCarrierAmd('CA-live', (v) => got.push(v));
    reportCarrierAmd('CA-live', 'human');
    reportCarrierAmd('CA-other', 'machine_start');
    expect(got).toEqual(['human']);
    off();
    reportCarrierAmd('CA-live', 'machine_start'); // no longer listening: kept as pending, not delivered
    expect(got).toEqual(['human']);
    reportCarrierAmd('CA-early', 'machine_end_beep');
    const early: string[] = [];
    onCarrierAmd('CA-early', (v) => early.push(v));
    await tick();
    expect(early).toEqual(['machine_end_beep']);
  });

  it('pending verdicts are bounded: at most 256, the oldest dropped first', async () => {
    for (let i = 0; i < 300; i++) reportCarrierAmd(`CA-flood-${i}`, 'human');
    const first: string[] = [];
    const last: string[] = [];
    onCarrierAmd('CA-flood-0', (v) => first.push(v));
    onCarrierAmd('CA-flood-299', (v) => last.push(v));
    await tick();
    expect(first).toEqual([]);
    expect(last).toEqual(['human']);
  });
});
