import { describe, expect, it } from 'vitest';
import { cascaded } from '../../pipelines/cascaded.js';
import { Conversation } from '../../src/conversation.js';
import { RxVoiceError } from '../../src/errors.js';
import type { MetricEvent, PipelineEvent } from '../../src/events.js';
import { runScriptedCall, type ScriptedCall } from '../support/scripted-call.js';

function runCall(setup: ScriptedCall) {
  const conversation = new Conversation({ systemPrompt: 'Be brief.' });
  const { events, stt, chat, tts, completed } = runScriptedCall({ ...setup, options: { conversation, ...setup.options } });
  const first = (type: PipelineEvent['type'], turnId = 'turn-1') => events.find((o) => o.e.type === type && 'turnId' in o.e && o.e.turnId === turnId);
  const metric = (name: MetricEvent['name'], turnId = 'turn-1') =>
    events.map((o) => o.e).find((e): e is MetricEvent => e.type === 'metric' && e.name === name && e.turnId === turnId);
  return { events, first, metric, stt, chat, tts, conversation, completed };
}

const REPLY = 'Sure. The weather in Paris is sunny today, about twenty degrees. Anything else?';

describe('cascaded pipeline (fake providers, virtual time)', () => {
  it('hands the synthesizer neutral options only: the format and style given, no model, no voice unless named', () => {
    const call = runCall({
      totalMs: 6000,
      speech: [[500, 1500]],
      transcripts: ['Hello?'],
      replies: ['Hi there.'],
      options: { outputFormat: { encoding: 'mulaw', sampleRate: 8000 }, voiceStyle: { speed: 1.1, similarity: 0.7 } },
    });
    const request = call.tts.calls[0]!.request;
    expect(request.outputFormat).toEqual({ encoding: 'mulaw', sampleRate: 8000 });
    expect(request.voiceStyle).toEqual({ speed: 1.1, similarity: 0.7 });
    expect(request).not.toHaveProperty('modelId');
    expect(request).not.toHaveProperty('voiceId');
    expect(call.first('assistant.audio')!.e).toMatchObject({ frame: { sampleRate: 8000 } });
  });

  it('streaming: speaks the first sentence before the model is done', () => {
    const call = runCall({ totalMs: 9000, speech: [[500, 2000]], transcripts: ['What is the weather in Paris?'], replies: [REPLY] });
    const types = call.events.map((o) => o.e.type);
    expect(types.indexOf('speech.started')).toBeLessThan(types.indexOf('speech.ended'));
    expect(call.events.find((o) => o.e.type === 'transcript' && o.e.final)!.e).toMatchObject({ text: 'What is the weather in Paris?', final: true });
    const done = call.first('assistant.done')!;
    expect(done.e).toMatchObject({ text: REPLY });
    const firstAudio = call.first('assistant.audio')!;
    expect(firstAudio.t).toBeLessThan(done.t);
    // The synthesizer got the reply in sentence-sized pieces on one request.
    expect(call.tts.calls).toHaveLength(1);
    expect(call.tts.calls[0]!.texts.length).toBeGreaterThan(1);
    expect(call.tts.calls[0]!.texts.join('')).toBe(REPLY);
    // Metrics from the true end of speech (2000 ms of audio time).
    expect(call.metric('speech_end')!.valueMs).toBeGreaterThanOrEqual(1950);
    const fao = call.metric('first_audio_out')!;
    expect(fao.atMs).toBe(firstAudio.t);
    expect(fao.valueMs).toBeGreaterThan(300); // transcription 100 + first token 200 + tts first byte 100, at least
    expect(fao.valueMs).toBeLessThan(done.t - 2000);
    expect(call.conversation.messages().map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(call.completed).toBe(true);
  });

  it('end of turn reads the words: a complete question ends at the pause transcript, before the vad silence', () => {
    // Speech ends at 2000: pause at ~2200, the preview transcript at ~2300 (latency 100) reads complete.
    const call = runCall({ totalMs: 9000, speech: [[500, 2000]], transcripts: ['What is the weather in Paris?'], replies: [REPLY] });
    const ended = call.first('speech.ended')!;
    expect(ended.e).toMatchObject({ reason: 'silence' });
    const silence = (ended.e as { decidedAudioMs: number; audioMs: number }).decidedAudioMs - (ended.e as { audioMs: number }).audioMs;
    expect(silence).toBeLessThan(500);
    expect(call.metric('turn_verdict')).toMatchObject({ valueMs: 0, detail: { done: true, reason: 'question' } });
    // One request: the speculative one was used.
    expect(call.stt.requests).toHaveLength(1);
    const off = runCall({ totalMs: 9000, speech: [[500, 2000]], transcripts: ['What is the weather in Paris?'], replies: [REPLY], options: { turnDetection: false } });
    const offEnded = off.first('speech.ended')!.e as { decidedAudioMs: number; audioMs: number };
    expect(offEnded.decidedAudioMs - offEnded.audioMs).toBeGreaterThanOrEqual(500);
    expect(off.metric('turn_verdict')).toBeUndefined();
  });

  it('end of turn reads the words: a caller trailing off with "um" is held past the vad silence and not cut', () => {
    // 700 ms pause after "I want to, um," (the vad alone would end the turn at 500 ms), then the rest.
    const call = runCall({
      totalMs: 9000,
      speech: [[500, 2000], [2700, 3600]],
      transcripts: ['I want to, um,', 'I want to, um, check my balance.'],
      replies: [REPLY],
    });
    expect(call.events.filter((o) => o.e.type === 'speech.started')).toHaveLength(1);
    expect(call.events.find((o) => o.e.type === 'transcript' && o.e.final)!.e).toMatchObject({ text: 'I want to, um, check my balance.' });
    expect(call.conversation.messages().filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['I want to, um, check my balance.']);
    // The same audio with the vad's fixed silence alone cuts the caller off: two turns.
    const fixed = runCall({
      totalMs: 9000,
      speech: [[500, 2000], [2700, 3600]],
      transcripts: ['I want to, um,', 'check my balance.'],
      replies: [REPLY, REPLY],
      options: { turnDetection: false },
    });
    expect(fixed.events.filter((o) => o.e.type === 'speech.started')).toHaveLength(2);
  });

  it('seed: the whole text goes to the text-to-speech after the model is done', () => {
    const call = runCall({ totalMs: 9000, speech: [[500, 2000]], transcripts: ['What is the weather in Paris?'], replies: [REPLY], options: { mode: 'seed' } });
    const done = call.first('assistant.done')!;
    const firstAudio = call.first('assistant.audio')!;
    expect(firstAudio.t).toBeGreaterThan(done.t);
    expect(call.tts.calls.map((c) => c.texts)).toEqual([[REPLY]]);
    // Raw model deltas reach the output unsegmented in seed mode.
    expect(call.events.filter((o) => o.e.type === 'assistant.text').length).toBeGreaterThan(5);
  });

  it('seed is slower to first audio than streaming on the same audio', () => {
    const setup = { totalMs: 9000, speech: [[500, 2000]] as const, transcripts: ['Weather?'], replies: [REPLY] };
    const streaming = runCall(setup).metric('first_audio_out')!.valueMs;
    const seed = runCall({ ...setup, options: { mode: 'seed' } }).metric('first_audio_out')!.valueMs;
    expect(seed).toBeGreaterThan(streaming);
  });

  it('an empty transcript asks the model nothing', () => {
    const call = runCall({ totalMs: 4000, speech: [[500, 1500]], transcripts: [''], replies: [REPLY] });
    expect(call.first('transcript')!.e).toMatchObject({ text: '' });
    expect(call.chat.requests).toHaveLength(0);
    expect(call.first('assistant.audio')).toBeUndefined();
  });

  it('a chat failure is an error event for the turn and the next turn is answered', () => {
    const call = runCall({
      totalMs: 9000,
      speech: [[500, 1500], [4500, 5500]],
      transcripts: ['first', 'second'],
      replies: [new RxVoiceError({ code: 'provider_error', stage: 'llm', message: 'boom', retryable: false }), 'Second answer.'],
    });
    expect(call.first('error')!.e).toMatchObject({ type: 'error', stage: 'llm', turnId: 'turn-1', code: 'provider_error' });
    expect(call.first('assistant.done', 'turn-2')!.e).toMatchObject({ text: 'Second answer.' });
    expect(call.first('assistant.audio', 'turn-2')).toBeDefined();
  });

  it('barge-in mid-reply cancels the reply, reports what was heard and cuts the history to it', () => {
    const call = runCall({
      totalMs: 12000,
      speech: [[500, 2000], [4200, 5200]],
      transcripts: ['What is the weather in Paris?', 'Stop, thanks.'],
      replies: [REPLY, 'OK.'],
    });
    const cancel = call.first('reply.cancel')!;
    expect(cancel.e).toMatchObject({ turnId: 'turn-1', byTurnId: 'turn-2', reason: 'barge_in' });
    const interruption = call.first('interruption')!.e as Extract<PipelineEvent, { type: 'interruption' }>;
    expect(interruption.playedMs).toBeGreaterThan(0);
    expect(interruption.heardText.length).toBeGreaterThan(0);
    expect(REPLY.startsWith(interruption.heardText.trim())).toBe(true);
    expect(interruption.heardText.length).toBeLessThan(REPLY.length);
    // No reply audio for turn 1 after the cancel.
    expect(call.events.some((o) => o.t > cancel.t && o.e.type === 'assistant.audio' && o.e.turnId === 'turn-1')).toBe(false);
    // The second request saw only what was heard of the first reply.
    const second = call.chat.requests[1]!.messages;
    expect(second.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(second[2]!.content!.length).toBeLessThan(REPLY.length);
    expect(call.first('assistant.done', 'turn-2')!.e).toMatchObject({ text: 'OK.' });
  });

  it('unsubscribing mid-reply aborts the chat request and the synthesis', () => {
    const call = runCall({ totalMs: 9000, speech: [[500, 2000]], transcripts: ['Weather?'], replies: [REPLY], unsubscribeAt: 2900 });
    expect(call.chat.requests).toHaveLength(1);
    expect(call.chat.aborted).toBe(1);
    expect(call.tts.calls.every((c) => c.unsubscribed || c.completed)).toBe(true);
    expect(call.tts.calls.some((c) => c.unsubscribed)).toBe(true);
  });
});
