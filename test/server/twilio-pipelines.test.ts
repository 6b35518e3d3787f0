import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tap } from 'rxjs';
import { resample } from '../../src/audio/resample.js';
import { readWavFile } from '../../src/audio/wav.js';
import type { PipelineEvent } from '../../src/events.js';
import { fixturesDir } from '../../src/testing/fixtures.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { muLawDecode, muLawEncode } from '../../src/server/codec.js';
import { serve } from '../../src/server/index.js';
import type { RunningServer } from '../../src/server/types.js';
import { sandboxPipelineFactory } from './support/real-pipelines.js';
import { TwilioEmulator } from './support/twilio-emulator.js';

describe('Twilio Media Streams with the cascaded pipeline against the sandbox', () => {
  let sandbox: Sandbox;
  let server: RunningServer;
  const events: PipelineEvent[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant' });
    const factory = await sandboxPipelineFactory(sandbox.url, 'cascaded');
    server = await serve({
      staticDir: false,
      allow: { pipelines: ['cascaded'] },
      pipelineFactory: (choice) => (source) => source.pipe(factory(choice), tap((e) => events.push(e))),
    });
  });

  afterAll(async () => {
    await server?.close(1000);
    await sandbox?.close();
  });

  it('answers a telephony fixture with mu-law speech and marks, and clears on barge-in', async () => {
    // The demo call's first two sentences (3 s apart): the second one talks over the first reply.
    const call = await readWavFile(`${fixturesDir()}/call-3turns.wav`);
    const caller = muLawEncode(resample(call.samples.subarray(0, 16000 * 8.5), call.sampleRate, 8000));
    const twilio = await TwilioEmulator.open(`${server.url.replace('http', 'ws')}/twilio`);
    twilio.start({ pipeline: 'cascaded' });
    await twilio.stream(caller);
    twilio.stop();
    expect((await twilio.closed).code).toBe(1000);

    const transcripts = events.filter((e) => e.type === 'transcript' && e.final).map((e) => (e.type === 'transcript' ? e.text : ''));
    expect(transcripts[0]).toBe("What's the weather like in Paris today?");
    // Reply speech reached Twilio as 20 ms mu-law chunks with marks, and the marks came back as played.
    expect(twilio.media.length).toBeGreaterThan(50);
    const speech = muLawDecode(Buffer.concat(twilio.media.slice(0, 50).map((m) => m.bytes)));
    expect(Math.max(...speech.map(Math.abs))).toBeGreaterThan(2000);
    expect(twilio.marksSent[0]).toBe('turn-1:20:g0');
    expect(twilio.marksEchoed.filter((m) => !m.cleared).length).toBeGreaterThan(20);

    // The second sentence cut the first reply: Twilio was told to clear, and the history kept what was heard.
    expect(twilio.clears.length).toBeGreaterThanOrEqual(1);
    const interruption = events.find((e) => e.type === 'interruption');
    expect(interruption).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2' });
    const heardAtClear = (twilio.clears[0]!.playheadBytes / 8000) * 1000;
    if (interruption?.type === 'interruption') {
      expect(interruption.playedMs).toBeGreaterThan(0);
      expect(interruption.playedMs).toBeLessThanOrEqual(heardAtClear + 20);
    }
  });

  it('realtime pipeline: the telephony fixture (8 kHz mu-law WAV) gets its transcript and mu-law speech back', async () => {
    const factory = await sandboxPipelineFactory(sandbox.url, 'realtime');
    const seen: PipelineEvent[] = [];
    const realtimeServer = await serve({
      staticDir: false,
      allow: { pipelines: ['realtime'] },
      pipelineFactory: (choice) => (source) => source.pipe(factory(choice), tap((e) => seen.push(e))),
    });
    try {
      const fixture = await readWavFile(`${fixturesDir()}/telephony-mulaw.wav`);
      expect(fixture.sampleRate).toBe(8000);
      const twilio = await TwilioEmulator.open(`${realtimeServer.url.replace('http', 'ws')}/twilio`);
      twilio.start();
      await twilio.stream(muLawEncode(fixture.samples));
      // Keep the line open (silence) while the reply plays, as a caller would.
      const silence = new Uint8Array(160 * 100).fill(0xff);
      await twilio.stream(silence, fixture.samples.length / 8);
      twilio.stop();
      expect((await twilio.closed).code).toBe(1000);

      expect(seen.filter((e) => e.type === 'error')).toEqual([]);
      const transcript = seen.find((e) => e.type === 'transcript' && e.final);
      expect(transcript?.type === 'transcript' && transcript.text.length).toBeGreaterThan(0);
      expect(seen.some((e) => e.type === 'assistant.done')).toBe(true);
      expect(twilio.media.length).toBeGreaterThan(25);
      const speech = muLawDecode(Buffer.concat(twilio.media.map((m) => m.bytes)));
      expect(Math.max(...speech.map(Math.abs))).toBeGreaterThan(2000);
      expect(twilio.marksEchoed.filter((m) => !m.cleared).length).toBeGreaterThan(10);
    } finally {
      await realtimeServer.close(500);
    }
  });
});
