import { afterEach, describe, expect, it } from 'vitest';
import { ignoreElements, merge, Subject, tap } from 'rxjs';
import type { PipelineEvent } from '../../src/events.js';
import type { PlaybackClock } from '../../src/playback.js';
import { muLawDecode, muLawEncode } from '../../src/server/codec.js';
import { serve } from '../../src/server/index.js';
import { MAX_GAP_FILL_MS } from '../../src/server/twilio.js';
import type { PipelineChoice, RunningServer } from '../../src/server/types.js';
import { echoPipeline, toneBursts } from './support/fake-pipeline.js';
import { TwilioEmulator } from './support/twilio-emulator.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
});

const twilioUrl = (s: RunningServer) => `${s.url.replace('http', 'ws')}/twilio`;

describe('Twilio Media Streams (fake pipeline)', () => {
  it('returns mu-law media with marks, sends clear on barge-in, and cuts the turn at what was heard', async () => {
    const events: PipelineEvent[] = [];
    let clock: PlaybackClock | undefined;
    let choice: PipelineChoice | undefined;
    server = await serve({
      staticDir: false,
      allow: { pipelines: ['cascaded', 'realtime'] },
      pipelineFactory: (c) => {
        choice = c;
        clock = c.playback;
        return (source) => source.pipe(echoPipeline(c, { replyMs: 3000 }), tap((e) => events.push(e)));
      },
    });
    const twilio = await TwilioEmulator.open(twilioUrl(server));
    twilio.start({ pipeline: 'realtime', FirstName: 'Jane' });
    // Caller: a 500 ms "utterance", then talks over the 3 s reply about 700 ms into it.
    const caller = muLawEncode(
      toneBursts(8000, [
        { toneMs: 500, silenceMs: 1100 },
        { toneMs: 500, silenceMs: 600 },
      ]),
    );
    await twilio.stream(caller);
    twilio.stop();
    const closed = await twilio.closed;

    expect(closed.code).toBe(1000);
    expect(choice).toMatchObject({ pipeline: 'realtime', transport: 'twilio', outputFormat: { encoding: 'mulaw', sampleRate: 8000 }, customParameters: { FirstName: 'Jane' } });
    // Reply audio: 160-byte (20 ms) mu-law chunks, each followed by a mark naming turn and position.
    expect(twilio.media.length).toBeGreaterThan(100);
    // (only a reply's last chunk may be shorter)
    const odd = twilio.media.map((m) => m.bytes.length).filter((n) => n !== 160);
    expect(odd.length).toBeLessThanOrEqual(2);
    expect(odd.every((n) => n < 160)).toBe(true);
    expect(Math.max(...muLawDecode(twilio.media[10]!.bytes))).toBeGreaterThan(4000);
    // Mark positions count in the pipeline's own audio time (the resampler holds a few ms back): one per
    // 20 ms chunk.
    const positions = twilio.marksSent.filter((n) => /^turn-1:\d+:g0$/.test(n)).map((n) => Number(n.split(':')[1]));
    expect(positions[0]).toBeGreaterThanOrEqual(20);
    expect(positions[0]).toBeLessThan(30);
    const steps = positions.slice(1).map((p, i) => p - positions[i]!);
    expect(steps.filter((d) => d < 17 || d > 23)).toEqual([]);

    // Barge-in: the server sent exactly one clear, while turn-1 was still playing.
    expect(twilio.clears).toHaveLength(1);
    const cancel = events.find((e) => e.type === 'reply.cancel');
    expect(cancel).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' });
    const interruption = events.find((e) => e.type === 'interruption');
    const heardAtClear = (twilio.clears[0]!.playheadBytes / 8000) * 1000;
    expect(heardAtClear).toBeGreaterThan(300);
    expect(heardAtClear).toBeLessThan(2500);
    // playedMs came from echoed marks: within one 20 ms chunk (+ a tick) of the emulator's playhead.
    expect(interruption?.type === 'interruption' && interruption.playedMs).toBeGreaterThan(heardAtClear - 60);
    expect(interruption?.type === 'interruption' && interruption.playedMs).toBeLessThanOrEqual(heardAtClear);
    // Marks echoed because of the clear did not count as heard.
    expect(twilio.marksEchoed.some((m) => m.cleared && m.name.startsWith('turn-1:'))).toBe(true);
    expect(clock!.playedMs('turn-1')).toBeLessThanOrEqual(heardAtClear);
    // No turn-1 audio after the clear; the turn-2 reply came after it.
    const clearAt = twilio.clears[0]!.atMs;
    const marksAfterClear = twilio.marksSent.slice(twilio.marksSent.findIndex((n) => n.startsWith('turn-2')));
    expect(marksAfterClear.every((n) => n.startsWith('turn-2:'))).toBe(true);
    expect(twilio.media.some((m) => m.atMs > clearAt)).toBe(true);
  });

  it('after a clear, marks echoed for discarded audio do not count; a resumed reply goes on from what was heard', async () => {
    const control = new Subject<PipelineEvent>();
    let clock: PlaybackClock | undefined;
    server = await serve({
      staticDir: false,
      pipelineFactory: (c) => {
        clock = c.playback;
        return (source) => merge(source.pipe(ignoreElements()), control);
      },
    });
    const twilio = await TwilioEmulator.open(twilioUrl(server));
    twilio.start();
    const frames = (ms: number, from: number): PipelineEvent[] =>
      Array.from({ length: ms / 20 }, (_, i) => ({
        type: 'assistant.audio' as const,
        turnId: 'turn-1',
        frame: { samples: new Int16Array(160).fill(3000), sampleRate: 8000 as const, startMs: (from + i) * 20, seq: from + i },
      }));
    const until = async (check: () => boolean) => {
      while (!check()) await new Promise((r) => setTimeout(r, 10));
    };
    twilio.sendMedia(new Uint8Array(160).fill(0xff), 0); // the pipeline is up once media flows
    await new Promise((r) => setTimeout(r, 50));
    for (const e of frames(1000, 0)) control.next(e);
    await until(() => twilio.playedBytes >= 2400); // ~300 ms heard
    control.next({ type: 'reply.cancel', turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' });
    await until(() => twilio.clears.length === 1 && twilio.marksEchoed.some((m) => m.cleared));
    const heard = clock!.playedMs('turn-1');
    expect(heard).toBeGreaterThanOrEqual(280);
    expect(heard).toBeLessThan(600);
    expect(heard).toBeLessThanOrEqual((twilio.clears[0]!.playheadBytes / 8000) * 1000);

    // False alarm: the reply resumes; its marks continue from what was heard, under a new generation.
    control.next({ type: 'reply.resume', turnId: 'turn-1', byTurnId: 'turn-2' });
    for (const e of frames(400, 50)) control.next(e);
    await until(() => twilio.marksSent.some((name) => name.endsWith(':g1')));
    const firstResumed = twilio.marksSent.find((name) => name.endsWith(':g1'));
    expect(firstResumed).toBe(`turn-1:${Math.round(heard) + 20}:g1`);
    await until(() => twilio.marksEchoed.filter((m) => m.name.endsWith(':g1')).length === 20);
    await new Promise((r) => setTimeout(r, 100)); // the last echo reaches the server
    expect(clock!.playedMs('turn-1')).toBe(Math.round(heard) + 400);
    control.complete();
    twilio.stop();
    await twilio.closed;
  });

  it('the last mark of a reply is all the pipeline emitted: once Twilio played it, the reply is over', async () => {
    const control = new Subject<PipelineEvent>();
    let clock: PlaybackClock | undefined;
    server = await serve({
      staticDir: false,
      pipelineFactory: (c) => {
        clock = c.playback;
        return (source) => merge(source.pipe(ignoreElements()), control);
      },
    });
    const twilio = await TwilioEmulator.open(twilioUrl(server));
    twilio.start();
    twilio.sendMedia(new Uint8Array(160).fill(0xff), 0);
    await new Promise((r) => setTimeout(r, 50));
    // 490 ms at 24 kHz in 20 ms frames plus a 10 ms one, as a TTS would hand them on (and tell the clock).
    for (let i = 0; i < 25; i++) {
      const samples = new Int16Array(i === 24 ? 240 : 480).fill(2000);
      clock!.emitted('turn-1', (samples.length * 1000) / 24000);
      control.next({ type: 'assistant.audio', turnId: 'turn-1', frame: { samples, sampleRate: 24000, startMs: i * 20, seq: i } });
    }
    while (!twilio.marksEchoed.some((m) => m.name === 'turn-1:490:g0')) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(clock!.emittedMs('turn-1')).toBe(490);
    expect(clock!.playedMs('turn-1')).toBe(490);
    expect(clock!.isPlaying('turn-1')).toBe(false);
    control.complete();
    twilio.stop();
    await twilio.closed;
  });

  it('fills gaps in inbound timestamps with silence, so audio time follows the call clock', async () => {
    const frames: { startMs: number; samples: number }[] = [];
    server = await serve({
      staticDir: false,
      pipelineFactory: (c) => (source) =>
        source.pipe(
          tap((f) => frames.push({ startMs: f.startMs, samples: f.samples.length })),
          echoPipeline(c),
        ),
    });
    const twilio = await TwilioEmulator.open(twilioUrl(server));
    twilio.start();
    const frame = new Uint8Array(160).fill(0xff);
    for (const ts of [0, 20, 40, 200, 220]) twilio.sendMedia(frame, ts); // 60..200 ms lost
    twilio.stop();
    await twilio.closed;
    const total = frames.reduce((sum, f) => sum + f.samples, 0);
    expect(total).toBe(240 * 8);
    expect(frames.every((f, i) => f.startMs === i * 20)).toBe(true);
  });

  it('bounds gap-filling: a far-future timestamp is a discontinuity, filled with at most MAX_GAP_FILL_MS', async () => {
    let samples = 0;
    server = await serve({
      staticDir: false,
      pipelineFactory: (c) => (source) => source.pipe(tap((f) => (samples += f.samples.length)), echoPipeline(c)),
    });
    const twilio = await TwilioEmulator.open(twilioUrl(server));
    twilio.start();
    const frame = new Uint8Array(160).fill(0xff);
    // Before the bound, the 1e12 ms timestamp made the server synthesise ~30 years of silence in one go.
    for (const ts of [0, 20, 1e12, 1e12 + 20]) twilio.sendMedia(frame, ts);
    twilio.stop();
    await twilio.closed;
    expect(samples).toBe((40 + MAX_GAP_FILL_MS + 40) * 8);
  });

  it('refuses a stream that is not 8 kHz mu-law', async () => {
    server = await serve({ staticDir: false, pipelineFactory: (c) => echoPipeline(c) });
    const twilio = await TwilioEmulator.open(twilioUrl(server));
    twilio.start({}, { encoding: 'audio/l16', sampleRate: 16000, channels: 1 });
    expect((await twilio.closed).code).toBe(1008);
  });
});
