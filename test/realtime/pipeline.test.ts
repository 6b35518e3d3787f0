import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realtimePipeline, type RealtimeTtsChoice } from '../../pipelines/realtime.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import type { PipelineEvent } from '../../src/events.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FakeRealtimeSession } from '../../src/testing/fakes/realtime.js';
import { fakeSynthesizer } from '../../src/testing/fakes/tts.js';
import { CALL_TRANSCRIPTS, collect, DEMO_SCENARIO, digest, fixtureFrames, ofType, rms } from './support.js';

const weatherTool = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
  handler: async (args: Record<string, unknown>) => ({ city: args.city, sky: 'sunny', tempC: 21 }),
};

describe('realtimePipeline with fakes (virtual time)', () => {
  it('barge-in on a TTS-spoken reply stops the TTS and cuts the server item to what was heard', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.maxFrames = Number.POSITIVE_INFINITY;
    const fake = new FakeRealtimeSession();
    const synthesizer = fakeSynthesizer({ scheduler: ts, firstByteMs: 50, msPerChar: 50 });
    const frames = new Subject<AudioFrame>();
    const out: PipelineEvent[] = [];
    frames
      .pipe(realtimePipeline({ providers: { realtime: fake, synthesizer }, tts: 'final', turnDetection: 'server_vad', scheduler: ts }))
      .subscribe((e) => out.push(e));
    const at = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
    at(0, () => fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 0, item_id: 'u1' }));
    at(10, () => fake.current.emit({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 10, item_id: 'u1' }));
    at(11, () => fake.current.emit({ type: 'input_audio_buffer.committed', item_id: 'u1' }));
    at(12, () => fake.current.emit({ type: 'conversation.item.added', previous_item_id: 'u1', item: { id: 'item_a1' } }));
    at(20, () => fake.current.replyText('Sure, I can help you with that booking right away.', { itemId: 'item_a1' }));
    // The reply is being spoken (50 ms per character from ~70 ms); the caller cuts in at 1 s.
    at(1000, () => fake.current.emit({ type: 'input_audio_buffer.speech_started', audio_start_ms: 990, item_id: 'u2' }));
    at(5000, () => frames.complete());
    ts.flush();
    const summary = digest(out);
    expect(out.find((e) => e.type === 'reply.cancel'), summary).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' });
    const interruption = out.find((e) => e.type === 'interruption');
    expect(interruption, summary).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2' });
    const heard = interruption?.type === 'interruption' ? interruption.heardText : '';
    expect(heard.length).toBeGreaterThan(0);
    expect('Sure, I can help you with that booking right away.'.startsWith(heard)).toBe(true);
    // The heard text went back to the session: the assistant item is replaced by what was heard.
    const sent = fake.connections[0]!.sent.filter((e) => e.type === 'conversation.item.delete' || e.type === 'conversation.item.create');
    expect(sent).toEqual([
      { type: 'conversation.item.delete', item_id: 'item_a1' },
      { type: 'conversation.item.create', previous_item_id: 'u1', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: heard }] } },
    ]);
    // Metrics ride along as in the cascaded chain.
    expect(out.some((e) => e.type === 'metric' && e.name === 'speech_end')).toBe(true);
  });
});

describe('realtimePipeline against the sandbox: the three-turn demo call in each TTS choice', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: DEMO_SCENARIO });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  for (const choice of ['final', 'streamed', 'model'] as RealtimeTtsChoice[]) {
    it(`tts: '${choice}'`, async () => {
      const endpoints = resolveEndpoints({}, sandbox.url);
      const events = await collect(
        fixtureFrames('call-3turns.wav').pipe(realtimePipeline({ endpoints, callId: `pipeline-${choice}`, tts: choice, tools: [weatherTool] })),
      );
      const summary = digest(events);
      expect(ofType(events, 'error'), summary).toEqual([]);
      expect(ofType(events, 'speech.started').map((e) => e.turnId), summary).toEqual(['turn-1', 'turn-2', 'turn-3']);
      const finals = ofType(events, 'transcript').filter((e) => e.final);
      expect(finals.map((e) => e.text)).toEqual(CALL_TRANSCRIPTS);
      expect(ofType(events, 'tool.call').map((e) => e.name)).toEqual(['get_weather']);
      expect(ofType(events, 'assistant.done').map((e) => e.turnId)).toEqual(['turn-1', 'turn-2', 'turn-3']);
      for (const turnId of ['turn-1', 'turn-2', 'turn-3']) {
        const audio = ofType(events, 'assistant.audio').filter((e) => e.turnId === turnId);
        expect(audio.length, `${turnId} audio\n${summary}`).toBeGreaterThan(0);
        // Reply audio at the requested format (pcm_16000), with speech in it.
        expect(audio.every((a) => a.frame.sampleRate === 16000)).toBe(true);
        expect(Math.max(...audio.map((a) => rms(a.frame.samples)))).toBeGreaterThan(300);
        const firstOut = ofType(events, 'metric').find((m) => m.turnId === turnId && m.name === 'first_audio_out');
        expect(firstOut, `${turnId} first_audio_out\n${summary}`).toBeDefined();
      }
      if (choice === 'model') expect(ofType(events, 'assistant.audio')[0]!.frame.samples.length).toBeGreaterThan(0);
      // The turn detector read each pause's commit transcript (complete sentences: done) and the vad ended
      // the turn at that verdict, before its own 500 ms of silence.
      const verdicts = ofType(events, 'metric').filter((m) => m.name === 'turn_verdict');
      for (const turnId of ['turn-1', 'turn-2', 'turn-3']) {
        expect(verdicts.find((m) => m.turnId === turnId)?.detail, `${turnId} verdict\n${summary}`).toMatchObject({ done: true });
        const end = ofType(events, 'speech.ended').find((e) => e.turnId === turnId)!;
        expect(end.decidedAudioMs - end.audioMs, `${turnId} end of turn`).toBeLessThan(500);
      }
    });
  }
});
