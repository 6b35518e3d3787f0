import { lastValueFrom, Subject, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sentences } from '../../operators/sentences.js';
import { tts, type TtsMode } from '../../operators/tts.js';
import { frameDurationMs } from '../../src/audio/frame.js';
import type { AssistantAudioEvent, PipelineEvent } from '../../src/events.js';
import { PlaybackClock } from '../../src/playback.js';
import { createElevenLabsSynthesizer } from '../../src/providers/elevenlabs/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REPLY = 'Sure, I can help with that. The weather in Paris is sunny today. Anything else?';

/** Plays an LLM: the reply's deltas a few characters at a time, then assistant.done. */
async function speakReply(input: Subject<PipelineEvent>, turnId: string, text: string, stopAfter?: number): Promise<void> {
  const deltas = text.match(/.{1,6}/gsu) ?? [];
  for (const [i, delta] of deltas.entries()) {
    if (stopAfter !== undefined && i >= stopAfter) return;
    input.next({ type: 'assistant.text', turnId, delta });
    await sleep(5);
  }
  input.next({ type: 'assistant.done', turnId, text });
}

describe('sentences -> tts against the sandbox (real sockets)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant' });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  for (const mode of ['streamed', 'whole'] as TtsMode[]) {
    it(`${mode}: the reply comes out as continuous 20 ms frames covering the text`, async () => {
      const synthesizer = createElevenLabsSynthesizer({ endpoint: { baseURL: sandbox.elevenlabsBaseURL, apiKey: 'k' } });
      const playback = new PlaybackClock();
      const input = new Subject<PipelineEvent>();
      const out = lastValueFrom(input.pipe(sentences(), tts({ synthesizer, voiceId: 'v1', mode, playback }), toArray()));
      const wsBefore = sandbox.stats.requests.tts_ws;
      const restBefore = sandbox.stats.requests.tts;
      await speakReply(input, 'turn-1', REPLY);
      input.complete();
      const events = await out;
      const frames = events.filter((e): e is AssistantAudioEvent => e.type === 'assistant.audio');
      expect(frames.length).toBeGreaterThan(50);
      frames.forEach((f, i) => expect(f.frame.seq).toBe(i));
      expect(frames.slice(0, -1).every((f) => frameDurationMs(f.frame) === 20)).toBe(true);
      const spoken = frames.map((f) => f.text ?? '').join('').replace(/\s+/g, ' ');
      expect(spoken).toContain('The weather in Paris is sunny today.');
      expect(events.find((e) => e.type === 'metric')).toMatchObject({ name: 'tts_first_byte', turnId: 'turn-1' });
      if (mode === 'streamed') expect(sandbox.stats.requests.tts_ws - wsBefore).toBe(1);
      else expect(sandbox.stats.requests.tts - restBefore).toBe(1);
      expect(playback.isComplete('turn-1')).toBe(true);
    });
  }

  it('reply.cancel mid-reply stops the audio and reports what was heard; the next reply speaks', async () => {
    const synthesizer = createElevenLabsSynthesizer({ endpoint: { baseURL: sandbox.elevenlabsBaseURL, apiKey: 'k' } });
    const playback = new PlaybackClock();
    const input = new Subject<PipelineEvent>();
    const collected: PipelineEvent[] = [];
    const sub = input.pipe(sentences(), tts({ synthesizer, voiceId: 'v1', playback })).subscribe((e) => collected.push(e));
    await speakReply(input, 'turn-1', REPLY, 8);
    for (let i = 0; i < 100 && !collected.some((e) => e.type === 'assistant.audio'); i++) await sleep(20);
    await sleep(300); // the "sink" plays about 300 ms
    input.next({ type: 'reply.cancel', turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' });
    const cutAt = collected.length;
    await speakReply(input, 'turn-2', 'Okay, stopping now.');
    for (let i = 0; i < 200 && !collected.some((e) => e.type === 'assistant.audio' && e.turnId === 'turn-2' && playback.isComplete('turn-2')); i++) await sleep(20);
    sub.unsubscribe();
    input.complete();
    const interruption = collected.find((e) => e.type === 'interruption');
    expect(interruption).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2' });
    const played = (interruption as { playedMs: number }).playedMs;
    expect(played).toBeGreaterThan(150);
    expect(played).toBeLessThan(2000);
    expect(REPLY.startsWith((interruption as { heardText: string }).heardText)).toBe(true);
    expect(collected.slice(cutAt).some((e) => e.type === 'assistant.audio' && e.turnId === 'turn-1')).toBe(false);
    expect(collected.some((e) => e.type === 'assistant.audio' && e.turnId === 'turn-2')).toBe(true);
  });
});
