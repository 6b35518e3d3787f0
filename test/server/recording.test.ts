import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseWav } from '../../src/audio/wav.js';
import { muLawEncode } from '../../src/server/codec.js';
import { serve } from '../../src/server/index.js';
import { CallRecorder } from '../../src/server/recording.js';
import type { RunningServer } from '../../src/server/types.js';
import { echoPipeline, toneBursts } from './support/fake-pipeline.js';
import { pcmBytes, sendAudio, TestClient } from './support/client.js';
import { echoCall } from './support/fixture-call.js';
import { TwilioEmulator } from './support/twilio-emulator.js';

let server: RunningServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Reads a stereo 16-bit WAV into its two channels. */
function channels(buf: Buffer): { rate: number; left: Int16Array; right: Int16Array } {
  expect(buf.toString('ascii', 0, 4)).toBe('RIFF');
  expect(buf.readUInt16LE(22)).toBe(2);
  const dataBytes = buf.readUInt32LE(40);
  expect(dataBytes).toBe(buf.length - 44);
  expect(buf.readUInt32LE(4)).toBe(36 + dataBytes);
  const frames = dataBytes / 4;
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = buf.readInt16LE(44 + i * 4);
    right[i] = buf.readInt16LE(46 + i * 4);
  }
  return { rate: buf.readUInt32LE(24), left, right };
}

const rms = (s: Int16Array) => Math.sqrt(s.reduce((sum, x) => sum + x * x, 0) / Math.max(1, s.length));

describe('call recording', () => {
  it('writes caller left, assistant right (as heard), and a JSONL turn log', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxvoice-rec-'));
    const ids: string[] = [];
    server = await serve({
      staticDir: false,
      recording: { dir, sampleRate: 16000 },
      pipelineFactory: (c) => {
        ids.push(c.sessionId);
        return echoPipeline(c, { replyMs: 600 });
      },
    });
    const twilio = await TwilioEmulator.open(`${server.url.replace('http', 'ws')}/twilio`);
    twilio.start();
    const caller = toneBursts(8000, [{ toneMs: 400, silenceMs: 1600 }]);
    await twilio.stream(muLawEncode(caller));
    twilio.dtmf('5');
    twilio.stop();
    await twilio.closed;
    await server.close(); // resolves once every session's recording is complete
    server = undefined;

    const wav = channels(await readFile(join(dir, `${ids[0]}.wav`)));
    expect(wav.rate).toBe(16000);
    // 2 s of caller audio (the reply fits inside the caller's silence).
    expect(wav.left.length).toBeGreaterThan(31_000);
    expect(wav.left.length).toBeLessThan(33_000);
    // Caller tone in the first 400 ms on the left, nothing on the right there.
    expect(rms(wav.left.subarray(800, 5600))).toBeGreaterThan(3000);
    expect(rms(wav.right.subarray(0, 5600))).toBe(0);
    // The reply starts after the end of speech (~800 ms) and lasts ~600 ms, on the right only.
    const replyStart = wav.right.findIndex((x) => Math.abs(x) > 1000);
    expect(replyStart / 16).toBeGreaterThan(700);
    expect(replyStart / 16).toBeLessThan(1300);
    expect(rms(wav.right.subarray(replyStart, replyStart + 9000))).toBeGreaterThan(3000);
    expect(rms(wav.right.subarray(replyStart + 10_400))).toBeLessThan(200);
    // Still readable by the project's own WAV parser.
    expect(parseWav(await readFile(join(dir, `${ids[0]}.wav`))).channels).toBe(2);

    const log = (await readFile(join(dir, `${ids[0]}.jsonl`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const roles = log.map((l) => l.role);
    expect(roles).toEqual(['call', 'user', 'assistant', 'dtmf']);
    expect(log[1]).toMatchObject({ turnId: 'turn-1', role: 'user', text: expect.stringContaining('you spoke') });
    expect(log[2]).toMatchObject({ turnId: 'turn-1', role: 'assistant', text: 'Reply to turn-1 with cascaded.' });
    expect(log[3]).toMatchObject({ role: 'dtmf', digit: '5' });
  });

  it('over Twilio, holds what the caller heard: a barged-in reply is cut where it was cut, the next one not shifted', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxvoice-rec-'));
    const ids: string[] = [];
    server = await serve({
      staticDir: false,
      recording: { dir, sampleRate: 16000 },
      pipelineFactory: (c) => {
        ids.push(c.sessionId);
        return echoPipeline(c, { replyMs: 3000 });
      },
    });
    const twilio = await TwilioEmulator.open(`${server.url.replace('http', 'ws')}/twilio`);
    twilio.start();
    // Turn 1 ends ~800 ms; its 3 s reply plays from there. Turn 2 starts at 1600 ms: a barge-in ~1.7 s.
    // Turn 2 ends ~2400 ms and its reply plays from there, not after the 2.1 s the caller never heard.
    const caller = toneBursts(8000, [
      { toneMs: 400, silenceMs: 1200 },
      { toneMs: 400, silenceMs: 3000 },
    ]);
    await twilio.stream(muLawEncode(caller));
    twilio.stop();
    await twilio.closed;
    await server.close();
    server = undefined;

    const wav = channels(await readFile(join(dir, `${ids[0]}.wav`)));
    const at = (ms: number) => Math.round(ms * 16);
    const loud = (from: number, to: number) => rms(wav.right.subarray(at(from), at(to)));
    expect(loud(900, 1500)).toBeGreaterThan(3000); // reply 1, heard
    expect(loud(1900, 2300)).toBeLessThan(200); // cut at the barge-in: the rest is not in the recording
    const secondStart = wav.right.findIndex((x, i) => i > at(1900) && Math.abs(x) > 1000) / 16;
    expect(secondStart).toBeGreaterThan(2300);
    expect(secondStart).toBeLessThan(2900);
    expect(loud(secondStart + 100, secondStart + 2800)).toBeGreaterThan(3000); // reply 2 in full
    const log = (await readFile(join(dir, `${ids[0]}.jsonl`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.map((l) => l.role)).toContain('interruption');
  });

  it('a turn-log value too deep or circular to serialise becomes a marker line, never a throw', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxvoice-rec-'));
    const recorder = await CallRecorder.open({ dir, sampleRate: 16000 }, 'deep');
    let deep: unknown = 'x';
    for (let i = 0; i < 20000; i++) deep = [deep];
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => recorder.note({ role: 'call', customParameters: deep }, 5)).not.toThrow();
    expect(() => recorder.note({ role: 'call', value: circular }, 6)).not.toThrow();
    recorder.note({ role: 'call', ok: true }, 7);
    await recorder.close();
    const lines = (await readFile(recorder.logPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ atMs: 5, unserialisable: 'call' }, { atMs: 6, unserialisable: 'call' }, { atMs: 7, role: 'call', ok: true }]);
  });

  it('drops queued reply audio on barge-in and bounds the queue', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxvoice-rec-'));
    const recorder = await CallRecorder.open({ dir, sampleRate: 8000, maxQueuedMs: 1000 }, 'unit');
    const tone = new Int16Array(8000).fill(5000); // 1 s
    recorder.assistant(tone, 8000);
    recorder.assistant(tone, 8000); // over maxQueuedMs: dropped
    recorder.caller(new Int16Array(4000), 8000); // 500 ms: half the reply is heard
    recorder.clearAssistant(); // barge-in
    recorder.caller(new Int16Array(4000), 8000);
    await recorder.close();
    const wav = channels(await readFile(recorder.wavPath));
    expect(wav.right.length).toBe(8000);
    expect(wav.right.subarray(0, 4000).every((x) => x === 5000)).toBe(true);
    expect(wav.right.subarray(4000).every((x) => x === 0)).toBe(true);
  });

  it('bounds the audio it holds while a call is being set up: past ~5 s it refuses that call, the next one runs', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxvoice-rec-'));
    // The recorder's file opens slowly (a busy disk): the call is not up while its client streams.
    const open = CallRecorder.open.bind(CallRecorder);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const spy = vi.spyOn(CallRecorder, 'open').mockImplementationOnce(async (options, id) => {
      await held;
      return open(options, id);
    });
    try {
      server = await serve({ staticDir: false, recording: { dir, sampleRate: 16000 }, pipelineFactory: (c) => echoPipeline(c, { replyMs: 300 }) });
      const url = `${server.url.replace('http', 'ws')}/v1/stream`;
      const flood = await TestClient.open(url);
      flood.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 } });
      await sendAudio(flood, Buffer.alloc(16000 * 2 * 6), 3200); // 6 s of PCM16 before `started`
      const closed = await flood.closed;
      expect(closed).toEqual({ code: 1008, reason: 'too much audio before the call started' });
      expect(flood.received.json.find((m) => m.type === 'error')).toMatchObject({ code: 'bad_message', message: 'too much audio before the call started' });
      expect(flood.types()).not.toContain('started');
      release();

      // The server, and the next caller, never noticed.
      expect(await echoCall(url)).toEqual({ code: 1000, replies: 1 });
    } finally {
      release();
      spy.mockRestore();
    }
  });
});
