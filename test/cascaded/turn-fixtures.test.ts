import { filter, lastValueFrom, timeout, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cascaded } from '../../pipelines/cascaded.js';
import { fromPcm } from '../../src/audio/sources.js';
import { Conversation } from '../../src/conversation.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { loadTurnAudio, loadTurnManifest, turnUtterance } from '../../bench/turn-fixtures.js';

/**
 * A labelled turn with a mid-sentence pause (fixtures/turns/paused-04: "Can you book a table for ‖ four
 * people tonight?", 400 ms) through the default cascaded chain, real Silero paced at real time, against a
 * sandbox that transcribes only the audio each request carried (scenario partials): the preemptive
 * request at the pause hears the words before it, and the turn still answers the whole sentence.
 */
const fixture = loadTurnManifest().find((t) => t.name === 'paused-04')!;
const utterance = turnUtterance(fixture);
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({
    profile: 'instant',
    scenario: {
      utterances: [utterance],
      replies: [
        { match: 'four people tonight', reply: 'A table for four tonight, done.' },
        { match: 'table for$', reply: 'PARTIAL ANSWERED' },
      ],
    },
  });
});
afterAll(async () => sandbox.close());

describe('cascaded on a labelled paused turn (real Silero, sandbox partials)', () => {
  it('the request cut at the pause reads the words before it; the turn answers the whole sentence', async () => {
    const audio = await loadTurnAudio(fixture);
    const callId = 'turn-fixture-paused-04';
    const conversation = new Conversation({ systemPrompt: 'Be brief.' });
    const events = await lastValueFrom(
      fromPcm(audio.samples, audio.sampleRate, { realtime: true }).pipe(
        cascaded({ endpoints: resolveEndpoints({}, sandbox.url), callId, conversation }),
        filter((e) => e.type !== 'audio.in' && e.type !== 'utterance.chunk' && e.type !== 'assistant.audio'),
        toArray(),
        timeout(30_000),
      ),
    );
    const uploads = sandbox.stats.transcriptions.filter((t) => t.callKey === callId && t.status === 200);
    const cut = utterance.partials![0]!.untilMs;
    // At least one request stopped in the pause (it got the partial), and the last covered the whole turn.
    expect(uploads.some((u) => u.audioSeconds !== undefined && u.audioSeconds * 1000 < cut)).toBe(true);
    expect(uploads.at(-1)!.audioSeconds! * 1000).toBeGreaterThanOrEqual(cut);
    expect(events.filter((e) => e.type === 'speech.started')).toHaveLength(1);
    // One final transcript: the whole sentence (a preview of the words before the pause may come first,
    // for the turn detector, but never as the turn's transcript).
    expect(events.filter((e) => e.type === 'transcript' && e.final)).toEqual([expect.objectContaining({ text: fixture.text, final: true })]);
    const previews = events.filter((e) => e.type === 'transcript' && !e.final).map((e) => (e.type === 'transcript' ? e.text : ''));
    expect(previews.every((text) => text === fixture.pause!.textBefore || text === fixture.text)).toBe(true);
    expect(events.find((e) => e.type === 'assistant.done')).toMatchObject({ text: 'A table for four tonight, done.' });
    expect(JSON.stringify(events)).not.toContain('PARTIAL ANSWERED');
    expect(conversation.messages().filter((m) => m.role === 'user').map((m) => m.content)).toEqual([fixture.text]);
  });
});
