import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatencySampler } from '../../src/sandbox/latency.js';
import { PROFILES } from '../../src/sandbox/profiles.js';
import type { LatencyProfile } from '../../src/sandbox/types.js';
import { appendAudio, openSdk, startRealtimeSandbox, type RealtimeSandbox } from './realtime-harness.js';

/**
 * A preemptive client commits at a mid-sentence pause, asks for a response, then (the caller went on)
 * cancels it and deletes the user and assistant items before committing the whole utterance. The scripted
 * utterance must survive the discarded attempt: the second commit is the same turn.
 */
const scenario = {
  utterances: [
    { transcript: "I'd like to, um, check my balance.", partials: [{ untilMs: 1500, transcript: "I'd like to, um," }] },
    { transcript: 'Thank you.' },
  ],
  replies: [
    { match: 'balance', reply: 'Your balance is 12 euros.' },
    { match: 'thank', reply: 'You are welcome.' },
  ],
  defaultReply: 'Could you say that again?',
};

const tone = (ms: number) => new Int16Array((24000 * ms) / 1000).fill(800);
type Done = { response: { id: string; status: string; output: { id: string; content?: { text?: string }[] }[] } };
const replyText = (e: unknown) => (e as Done).response.output[0]?.content?.[0]?.text;

let sandbox: RealtimeSandbox;
beforeAll(async () => {
  sandbox = await startRealtimeSandbox({ scenario });
});
afterAll(async () => {
  await sandbox.close();
});

async function session(base: string, call: string) {
  const s = openSdk(base, 'gpt-realtime', { 'x-rxvoice-call': call });
  await s.opened;
  s.rt.send({
    type: 'session.update',
    session: { type: 'realtime', output_modalities: ['text'], audio: { input: { turn_detection: null, transcription: { model: 'gpt-4o-transcribe' } } } },
  });
  await s.log.waitFor('session.updated');
  return s;
}

describe('realtime sandbox: a discarded speculative commit keeps its scripted utterance', () => {
  it('the commit at the pause hears the partial; after cancel + delete the whole utterance gets the scripted reply, and the script then advances', async () => {
    const { rt, log } = await session(sandbox.openaiBaseURL, 'speculation-1');
    const send = (e: unknown) => rt.send(e as never);

    // The pause: 1 s of the turn committed, a response asked for.
    appendAudio(send, tone(1000));
    send({ type: 'input_audio_buffer.commit' });
    send({ type: 'response.create' });
    const first = await log.waitFor('input_audio_buffer.committed');
    const firstText = await log.waitFor('conversation.item.input_audio_transcription.completed', (e) => e.item_id === first.item_id);
    expect(firstText.transcript).toBe("I'd like to, um,");
    const created = await log.waitFor('response.created');
    const firstDone = await log.waitFor('response.done');
    // The caller went on: the client removes the attempt.
    send({ type: 'response.cancel', response_id: (created.response as { id: string }).id });
    send({ type: 'conversation.item.delete', item_id: first.item_id });
    for (const item of (firstDone as unknown as Done).response.output) send({ type: 'conversation.item.delete', item_id: item.id });
    await log.waitFor('conversation.item.deleted', (e) => e.item_id === first.item_id);

    // The whole utterance (2 s, past the partial's 1.5 s) is the same turn.
    const from = log.events.length;
    appendAudio(send, tone(2000));
    send({ type: 'input_audio_buffer.commit' });
    send({ type: 'response.create' });
    const second = await log.waitFor('input_audio_buffer.committed', () => true, from);
    const secondText = await log.waitFor('conversation.item.input_audio_transcription.completed', (e) => e.item_id === second.item_id, from);
    expect(secondText.transcript).toBe("I'd like to, um, check my balance.");
    expect(replyText(await log.waitFor('response.done', () => true, from))).toBe('Your balance is 12 euros.');

    // A turn that was used consumes its utterance: the next commit is the script's next one.
    const next = log.events.length;
    appendAudio(send, tone(800));
    send({ type: 'input_audio_buffer.commit' });
    send({ type: 'response.create' });
    const third = await log.waitFor('input_audio_buffer.committed', () => true, next);
    expect((await log.waitFor('conversation.item.input_audio_transcription.completed', (e) => e.item_id === third.item_id, next)).transcript).toBe('Thank you.');
    expect(replyText(await log.waitFor('response.done', () => true, next))).toBe('You are welcome.');
    rt.close();
  });

  it("the profile's transcriptMs sends the input transcript after the commit, asynchronously with the response", async () => {
    // A response with no injected latency, and a transcript 1.5 s after the commit: the reply is done first.
    const profile: LatencyProfile = { ...PROFILES.instant, name: 'late-transcript', realtime: { ...PROFILES.instant.realtime, transcriptMs: 1500 } };
    const own = await startRealtimeSandbox({ profile, scenario });
    try {
      const { rt, log } = await session(own.openaiBaseURL, 'late-transcript');
      const send = (e: unknown) => rt.send(e as never);
      appendAudio(send, tone(2000));
      send({ type: 'input_audio_buffer.commit' });
      send({ type: 'response.create' });
      const committed = await log.waitFor('input_audio_buffer.committed');
      const completed = await log.waitFor('conversation.item.input_audio_transcription.completed', (e) => e.item_id === committed.item_id);
      const types = log.types();
      expect(types.indexOf('response.done')).toBeGreaterThan(-1);
      expect(types.indexOf('response.done')).toBeLessThan(log.events.indexOf(completed));
      expect(types.indexOf('conversation.item.input_audio_transcription.delta')).toBeGreaterThan(types.indexOf('response.done'));
      expect(completed.transcript).toBe("I'd like to, um, check my balance.");
      rt.close();
    } finally {
      await own.close();
    }
  });

  it("the input transcript's delay: seeded and varying on typical, its own sequence, none on instant and typical-fixed", () => {
    const draws = (seed: number, interleave: boolean) => {
      const sampler = new LatencySampler(PROFILES.typical, seed);
      return Array.from({ length: 40 }, () => {
        if (interleave) sampler.realtimeResponseStartMs();
        return sampler.realtimeTranscriptMs();
      });
    };
    const a = draws(1, false);
    expect(draws(1, true)).toEqual(a);
    expect(draws(2, false)).not.toEqual(a);
    const sorted = [...a].sort((x, y) => x - y);
    expect(new Set(a).size).toBeGreaterThan(30);
    expect(sorted[20]).toBeGreaterThan(250);
    expect(sorted[20]).toBeLessThan(600);
    expect(new LatencySampler(PROFILES.instant).realtimeTranscriptMs()).toBe(0);
    expect(new LatencySampler(PROFILES['typical-fixed']).realtimeTranscriptMs()).toBe(0);
  });
});
