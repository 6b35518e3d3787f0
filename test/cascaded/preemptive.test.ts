import { filter, lastValueFrom, timeout, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cascaded } from '../../pipelines/cascaded.js';
import { fromPcm } from '../../src/audio/sources.js';
import { readWavFile } from '../../src/audio/wav.js';
import { Conversation } from '../../src/conversation.js';
import type { MetricEvent, PipelineEvent } from '../../src/events.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { fixturesDir } from '../../src/testing/fixtures.js';

/**
 * Preemptive transcription end to end: real Silero on fixture speech paced at real time, the sandbox's
 * transcription endpoint over real sockets. The sandbox answers every request for one caller turn with
 * that turn's scripted transcript (as real audio of the same speech would), so a speculative answer that
 * leaked would show up as a second transcript, user message or reply.
 */
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    profile: 'instant',
    scenario: {
      utterances: [{ transcript: 'the whole utterance' }, { transcript: 'NEVER USED' }],
      replies: [{ match: 'whole', reply: 'Got all of it.' }],
    },
  });
});
afterAll(async () => sandbox.close());

/** Speech (the fixture's sentence, with ~160 ms of its own quiet around it), then `gapMs` of silence, then the sentence again, then 1.5 s of silence. */
async function speechWithGap(gapMs: number): Promise<Int16Array> {
  const wav = await readWavFile(`${fixturesDir()}/one-sentence.wav`);
  const speech = wav.samples.subarray(Math.round(0.4 * 16000), Math.round(3.3 * 16000));
  const gap = new Int16Array(Math.round((gapMs / 1000) * 16000));
  const tail = new Int16Array(24000);
  const out = new Int16Array(speech.length * 2 + gap.length + tail.length);
  out.set(speech, 0);
  out.set(speech, speech.length + gap.length);
  return out;
}

const speculations = (events: PipelineEvent[]) =>
  events.filter((e): e is MetricEvent => e.type === 'metric' && e.name === 'speculation').map((e) => e.detail?.outcome);

/** Speculative transcription alone: the turn detector (which would end a turn that reads complete at the pause) is off. */
async function call(samples: Int16Array, callId: string, preemptive = true) {
  const conversation = new Conversation({ systemPrompt: 'Be brief.' });
  const events = await lastValueFrom(
    fromPcm(samples, 16000, { realtime: true }).pipe(
      cascaded({ endpoints: resolveEndpoints({}, sandbox.url), callId, conversation, preemptive, turnDetection: false }),
      filter((e) => e.type !== 'audio.in' && e.type !== 'utterance.chunk' && e.type !== 'assistant.audio'),
      toArray(),
      timeout(30_000),
    ),
  );
  return { events, conversation };
}

describe('cascaded: preemptive transcription (real Silero, sandbox)', () => {
  it('a caller who pauses mid-utterance and goes on: the speculative transcript leaves no trace, one turn, the whole utterance', async () => {
    const { events, conversation } = await call(await speechWithGap(200), 'preemptive-resume');
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'speech.started')).toHaveLength(1);
    expect(types).toContain('speech.paused');
    expect(types).toContain('speech.resumed');
    expect(speculations(events)).toEqual(expect.arrayContaining(['started', 'discarded', 'used']));
    const transcripts = events.filter((e) => e.type === 'transcript' && e.final);
    // The speculative request answered during the pause (instant profile): nothing of it reaches the
    // chain; the one after the resumed speech (and the one at the final pause, used) give one transcript.
    expect(transcripts).toEqual([expect.objectContaining({ turnId: 'turn-1', text: 'the whole utterance', final: true })]);
    expect(sandbox.stats.transcriptions.filter((t) => t.callKey === 'preemptive-resume').length).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.type === 'assistant.done')).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain('NEVER USED');
    expect(conversation.messages().filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['the whole utterance']);
    expect(events.find((e) => e.type === 'assistant.done')).toMatchObject({ text: 'Got all of it.' });
  });

  it('off: no pause events and no speculation', async () => {
    const { events } = await call(await speechWithGap(200), 'preemptive-off', false);
    expect(events.map((e) => e.type)).not.toContain('speech.paused');
    expect(speculations(events)).toEqual([]);
  });
});
