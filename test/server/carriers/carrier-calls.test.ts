import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tap } from 'rxjs';
import { resample } from '../../../src/audio/resample.js';
import { readWavFile } from '../../../src/audio/wav.js';
import type { PipelineEvent } from '../../../src/events.js';
import { fixturesDir } from '../../../src/testing/fixtures.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { serve } from '../../../src/server/index.js';
import type { RunningServer, TransportName } from '../../../src/server/types.js';
import { CarrierEmulator, decode, type CarrierWire } from '../support/carrier-emulator.js';
import { exotelWire, plivoWire, telnyxWire, twilioWire, vonageWire } from '../support/carrier-wires.js';
import { sandboxPipelineFactory } from '../support/real-pipelines.js';

/**
 * A whole phone call per carrier, in the carrier's documented message shapes, against a real server on
 * loopback with the cascaded pipeline and the sandbox providers: the caller asks, the reply plays, the
 * caller's second sentence barges in (the carrier is told to clear its queue), the caller presses keys,
 * then hangs up. The five calls run at once (each is its own sandbox call).
 */
describe.concurrent('carrier calls (cascaded pipeline, sandbox)', () => {
  let sandbox: Sandbox;
  let server: RunningServer;
  const events = new Map<TransportName, PipelineEvent[]>();
  const digits = new Map<TransportName, string[]>();
  let call: { samples: Int16Array; sampleRate: number };

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant' });
    // The keypad goes to the model too: '5#' becomes the user message "The caller entered 5 on the keypad.".
    const factory = await sandboxPipelineFactory(sandbox.url, 'cascaded', (choice) => ({ keypad: { dtmf: choice.dtmf } }));
    const wav = await readWavFile(`${fixturesDir()}/call-3turns.wav`);
    // The demo call's first two sentences (3 s apart): the second one talks over the first reply.
    call = { samples: wav.samples.subarray(0, wav.sampleRate * 8.5), sampleRate: wav.sampleRate };
    server = await serve({
      staticDir: false,
      allow: { pipelines: ['cascaded'] },
      pipelineFactory: (choice) => {
        const seen: PipelineEvent[] = [];
        const keys: string[] = [];
        events.set(choice.transport, seen);
        digits.set(choice.transport, keys);
        choice.dtmf.subscribe((key) => keys.push(key.digit));
        return (source) => source.pipe(factory(choice), tap((e) => seen.push(e)));
      },
    });
  });

  afterAll(async () => {
    await server?.close(1000);
    await sandbox?.close();
  });

  const runCall = async (transport: TransportName, wire: CarrierWire) => {
    const carrier = await CarrierEmulator.open(server.url, wire);
    carrier.start({ customer: 'c-42' });
    const ts = await carrier.stream(resample(call.samples, call.sampleRate, wire.sampleRate));
    carrier.dtmf('5');
    carrier.dtmf('#');
    await carrier.stream(new Int16Array((wire.sampleRate / 1000) * 400), ts); // the line stays open a moment
    // The caller hangs up once the keypad reply is done (a loaded machine may take longer than the 400 ms).
    const seenSoFar = () => events.get(transport) ?? [];
    for (let waited = 0; waited < 15_000 && !seenSoFar().some((e) => e.type === 'assistant.done' && e.turnId === 'keys-1'); waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    carrier.hangUp();
    const closed = await carrier.closed;
    // Hang-up: the server ends the call in order (1000), whether the carrier sent a stop or closed.
    expect(closed.code).toBe(1000);
    while (server.sessions().some((s) => s.transport === transport)) await new Promise((r) => setTimeout(r, 20));

    const seen = events.get(transport)!;
    expect(carrier.unexpected).toEqual([]);
    // Answer: the caller's sentence was heard, and speech came back in the carrier's own format.
    const transcripts = seen.filter((e) => e.type === 'transcript' && e.final).map((e) => (e.type === 'transcript' ? e.text : ''));
    expect(transcripts[0]).toBe("What's the weather like in Paris today?");
    expect(carrier.media.length).toBeGreaterThan(5);
    const speech = decode(wire.encoding, Buffer.concat(carrier.media.slice(0, 40).map((m) => m.bytes)));
    expect(Math.max(...speech.map(Math.abs))).toBeGreaterThan(2000);
    // Barge-in: the second sentence cut the first reply, the carrier was told to clear its queue, and the
    // history kept what the caller had heard when it did.
    expect(carrier.clears.length).toBeGreaterThanOrEqual(1);
    const interruption = seen.find((e) => e.type === 'interruption');
    expect(interruption).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2' });
    const heardAtClear = carrier.clears[0]!.playheadBytes / carrier.bytesPerMs;
    if (interruption?.type === 'interruption') {
      expect(interruption.playedMs).toBeGreaterThan(0);
      expect(interruption.playedMs).toBeLessThanOrEqual(heardAtClear + 60);
    }
    // Keypad: the pipeline got the keys, in order, and the model answered the entry as a user message.
    expect(digits.get(transport)).toEqual(['5', '#']);
    expect(seen).toContainEqual({ type: 'transcript', turnId: 'keys-1', text: 'The caller entered 5 on the keypad.', final: true });
    expect(seen.some((e) => e.type === 'assistant.done' && e.turnId === 'keys-1')).toBe(true);
    return carrier;
  };

  it('Twilio (mu-law 8 kHz): marks echoed as played, clear echoes the pending ones, stop', async () => {
    const carrier = await runCall('twilio', twilioWire());
    expect(carrier.marksEchoed.filter((m) => !m.cleared).length).toBeGreaterThan(10);
    expect(carrier.media.every((m) => m.bytes.length <= 160)).toBe(true);
  });

  it('Telnyx (PCMU 8 kHz): marks echoed as played, clear', async () => {
    const carrier = await runCall('telnyx', telnyxWire('PCMU', 8000));
    expect(carrier.marksEchoed.filter((m) => !m.cleared).length).toBeGreaterThan(10);
    expect(carrier.media.every((m) => m.bytes.length <= 160)).toBe(true);
  });

  it('Plivo (L16 16 kHz): checkpoints answered by playedStream, clearAudio', async () => {
    const carrier = await runCall('plivo', plivoWire('audio/x-l16', 16000));
    expect(carrier.marksEchoed.filter((m) => !m.cleared).length).toBeGreaterThan(10);
  });

  it('Vonage (L16 16 kHz binary frames): playback clock, {"action":"clear"}', async () => {
    const carrier = await runCall('vonage', vonageWire(16000));
    expect(carrier.marksSent).toEqual([]); // Vonage has no marks: exact 640-byte frames only
    expect(carrier.media.every((m) => m.bytes.length === 640)).toBe(true);
  });

  it('Exotel (PCM 8 kHz): 3.2 KB chunks in multiples of 320 bytes, marks, clear', async () => {
    const carrier = await runCall('exotel', exotelWire(8000));
    expect(carrier.marksEchoed.length).toBeGreaterThan(3);
    expect(carrier.media.every((m) => m.bytes.length === 3200)).toBe(true);
  });
});
