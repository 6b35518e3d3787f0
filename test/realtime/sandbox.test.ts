import { afterEach, describe, expect, it } from 'vitest';
import { realtime } from '../../operators/realtime.js';
import { vad } from '../../operators/vad.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import { openaiRealtime } from '../../src/providers/openai-realtime/session.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { asAudioIn, CALL_TRANSCRIPTS, collect, DEMO_SCENARIO, digest, fixtureFrames, ofType, rms } from './support.js';

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  handler: async (args: Record<string, unknown>) => ({ city: args.city, sky: 'sunny', tempC: 21 }),
};

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('realtime operator against the sandbox (real WebSocket)', () => {
  it('runs the three-turn demo call with server VAD: transcripts, a tool round trip, replies, clean completion', async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: DEMO_SCENARIO });
    const session = openaiRealtime({ endpoint: resolveEndpoints({}, sandbox.url).openai, callId: 'server-vad-call' });
    const events = await collect(
      fixtureFrames('call-3turns.wav').pipe(asAudioIn(), realtime({ session, instructions: 'Be brief.', tools: [weatherTool], turnDetection: { type: 'server_vad' } })),
    );
    const summary = digest(events);
    expect(ofType(events, 'error'), summary).toEqual([]);
    expect(ofType(events, 'speech.started').map((e) => e.turnId), summary).toEqual(['turn-1', 'turn-2', 'turn-3']);
    const finals = ofType(events, 'transcript').filter((e) => e.final);
    expect(finals.map((e) => [e.turnId, e.text])).toEqual(CALL_TRANSCRIPTS.map((t, i) => [`turn-${i + 1}`, t]));
    const call = ofType(events, 'tool.call');
    expect(call).toHaveLength(1);
    expect(call[0]).toMatchObject({ turnId: 'turn-1', name: 'get_weather' });
    expect(JSON.parse(call[0]!.arguments)).toEqual({ city: 'Paris' });
    expect(ofType(events, 'tool.result')[0]).toMatchObject({ turnId: 'turn-1', isError: false });
    const done = ofType(events, 'assistant.done');
    expect(done.map((e) => e.turnId)).toEqual(['turn-1', 'turn-2', 'turn-3']);
    expect(done[0]!.text).toContain('sunny');
    expect(done[1]!.text).toContain('booked a table for two');
    expect(done[2]!.text).toContain('goodbye');
    expect(done.every((d) => (d.usage?.outputTokens ?? 0) > 0)).toBe(true);
    // Turn boundaries follow the fixture (utterances at 0.5-2.56 s, 5.56-7.52 s, 10.52-11.92 s).
    const ended = ofType(events, 'speech.ended');
    expect(ended[0]!.audioMs).toBeGreaterThan(2300);
    expect(ended[0]!.audioMs).toBeLessThan(3500);
    expect(ofType(events, 'metric').some((m) => m.name === 'rate_limits')).toBe(true);
  });

  it('runs the same call with the local vad deciding turns (turn detection none)', async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: DEMO_SCENARIO });
    const session = openaiRealtime({ endpoint: resolveEndpoints({}, sandbox.url).openai, callId: 'local-vad-call' });
    const events = await collect(fixtureFrames('call-3turns.wav').pipe(vad(), realtime({ session, tools: [weatherTool], turnDetection: { type: 'none' } })));
    const summary = digest(events);
    expect(ofType(events, 'error'), summary).toEqual([]);
    const started = ofType(events, 'speech.started').map((e) => e.turnId);
    expect(started, summary).toEqual(['turn-1', 'turn-2', 'turn-3']);
    const finals = ofType(events, 'transcript').filter((e) => e.final);
    expect(finals.map((e) => [e.turnId, e.text])).toEqual(CALL_TRANSCRIPTS.map((t, i) => [`turn-${i + 1}`, t]));
    const done = ofType(events, 'assistant.done');
    expect(done.map((e) => e.turnId)).toEqual(['turn-1', 'turn-2', 'turn-3']);
    expect(done[1]!.text).toContain('booked');
  });

  it('recovers from a socket dropped mid-reply (fault ws_close): the reply completes and the next turn works', async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: {
        utterances: [{ transcript: 'I would like to change my flight to Monday.' }, { transcript: 'The morning one, if it is still available.' }],
        replies: [
          { match: 'flight', reply: 'Sure, I can move your flight to Monday. Which time do you prefer, morning or evening?' },
          { match: 'morning', reply: 'Done, you are on the Monday morning flight at nine.' },
        ],
        faults: [{ surface: 'realtime', request: 1, fault: { kind: 'ws_close', afterChunks: 4 } }],
      },
    });
    const session = openaiRealtime({ endpoint: resolveEndpoints({}, sandbox.url).openai, callId: 'drop-call' });
    const events = await collect(fixtureFrames('two-sentences.wav').pipe(asAudioIn(), realtime({ session, reconnectDelayMs: 50 })));
    const summary = digest(events);
    expect(ofType(events, 'error'), summary).toEqual([]);
    expect(sandbox.stats.requests.realtime, summary).toBe(2);
    const done = ofType(events, 'assistant.done');
    expect(done.map((e) => e.turnId), summary).toEqual(['turn-1', 'turn-2']);
    expect(done[0]!.text).toBe('Sure, I can move your flight to Monday. Which time do you prefer, morning or evening?');
    // The text before the drop is not repeated after the reconnect.
    const turn1Text = ofType(events, 'assistant.text')
      .filter((e) => e.turnId === 'turn-1')
      .map((e) => e.delta)
      .join('');
    expect(turn1Text).toBe(done[0]!.text);
    expect(done[1]!.text).toContain('Monday morning flight');
  });

  it('telephony: G.711 mu-law both ways, the model speaking at 8 kHz', async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: { utterances: [{ transcript: 'Hello, I am calling about my internet connection.' }], defaultReply: 'Let me check your line.' } });
    const session = openaiRealtime({ endpoint: resolveEndpoints({}, sandbox.url).openai, callId: 'g711-call' });
    const events = await collect(fixtureFrames('telephony-mulaw.wav').pipe(asAudioIn(), realtime({ session, inputFormat: 'g711_ulaw', output: 'audio' })));
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(ofType(events, 'transcript').filter((e) => e.final).map((e) => e.text)).toEqual(['Hello, I am calling about my internet connection.']);
    const audio = ofType(events, 'assistant.audio');
    expect(audio.length).toBeGreaterThan(0);
    expect(audio.every((a) => a.frame.sampleRate === 8000)).toBe(true);
    expect(Math.max(...audio.map((a) => rms(a.frame.samples)))).toBeGreaterThan(300);
    expect(ofType(events, 'assistant.done').map((e) => e.text)).toEqual(['Let me check your line.']);
  });

  it('speaks the Azure GA URL form with the api-key header', async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: { utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.' }], defaultReply: 'A classic pangram.' } });
    const endpoint = resolveEndpoints({ AZURE_OPENAI_API_KEY: 'azure-test-key-123', AZURE_OPENAI_ENDPOINT: sandbox.azureEndpoint, AZURE_OPENAI_REALTIME_DEPLOYMENT: 'my-realtime' }, sandbox.url).openai;
    const events = await collect(fixtureFrames('one-sentence.wav').pipe(asAudioIn(), realtime({ session: openaiRealtime({ endpoint }) })));
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(ofType(events, 'transcript').filter((e) => e.final).map((e) => e.text)).toEqual(['The quick brown fox jumps over the lazy dog.']);
    expect(ofType(events, 'assistant.done').map((e) => e.text)).toEqual(['A classic pangram.']);
  });

  it('speaks the retired Azure preview form (beta protocol) when asked to', async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: { utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.' }], defaultReply: 'A classic pangram.' } });
    const endpoint = resolveEndpoints({ AZURE_OPENAI_API_KEY: 'azure-test-key-123', AZURE_OPENAI_ENDPOINT: sandbox.azureEndpoint }, sandbox.url).openai;
    const events = await collect(fixtureFrames('one-sentence.wav').pipe(asAudioIn(), realtime({ session: openaiRealtime({ endpoint, protocol: 'beta' }) })));
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(ofType(events, 'assistant.done').map((e) => e.text)).toEqual(['A classic pangram.']);
  });

  it('reports a refused key as an auth error, whether at the upgrade or by an error event after it', async () => {
    sandbox = await startSandbox({ profile: 'instant', apiKey: 'the-right-key-000' });
    const wrong = { kind: 'openai', baseURL: sandbox.openaiBaseURL, apiKey: 'the-wrong-key-999', sandbox: true } as const;
    const atUpgrade = await collect(fixtureFrames('silence.wav').pipe(asAudioIn(), realtime({ session: openaiRealtime({ endpoint: wrong }) })));
    const right = { ...wrong, apiKey: 'the-right-key-000' };
    const afterUpgrade = await collect(
      fixtureFrames('silence.wav').pipe(asAudioIn(), realtime({ session: openaiRealtime({ endpoint: right, query: { fault: 'auth_event' } }) })),
    );
    for (const events of [atUpgrade, afterUpgrade]) {
      const errors = ofType(events, 'error');
      expect(errors, digest(events)).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'auth', stage: 'realtime', retryable: false });
      expect(errors[0]!.message).not.toContain('the-wrong-key-999');
      expect(ofType(events, 'audio.in').length).toBeGreaterThan(50);
    }
    expect(sandbox.stats.requests.realtime).toBe(2);
  });

  it('a key refused from the first connection (close 3000): one auth error, no reconnect, every later utterance named as lost', async () => {
    sandbox = await startSandbox({ profile: 'instant', apiKey: 'the-right-key-000' });
    const wrong = { kind: 'openai', baseURL: sandbox.openaiBaseURL, apiKey: 'the-wrong-key-999', sandbox: true } as const;
    const events = await collect(fixtureFrames('call-3turns.wav').pipe(vad(), realtime({ session: openaiRealtime({ endpoint: wrong }), turnDetection: { type: 'none' } })));
    const summary = digest(events);
    const errors = ofType(events, 'error');
    const ended = ofType(events, 'speech.ended').map((e) => e.turnId);
    expect(ended, summary).toEqual(['turn-1', 'turn-2', 'turn-3']);
    // The refusal itself, then one error per utterance naming it; never a transcript, never silence.
    expect(errors.every((e) => e.code === 'auth' && !e.retryable), summary).toBe(true);
    expect(errors.filter((e) => e.utteranceLost).map((e) => e.turnId)).toEqual(ended);
    expect(ofType(events, 'transcript')).toEqual([]);
    expect(errors.some((e) => e.message.includes('the-wrong-key-999'))).toBe(false);
    expect(sandbox.stats.requests.realtime).toBe(1);
  });

  it('reconnects without a visible error when the session hits its maximum duration', async () => {
    sandbox = await startSandbox({ profile: 'instant', maxSessionMs: 1500, scenario: { utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.' }], defaultReply: 'A classic pangram.' } });
    const session = openaiRealtime({ endpoint: resolveEndpoints({}, sandbox.url).openai, callId: 'expiry-call' });
    const events = await collect(fixtureFrames('one-sentence.wav').pipe(asAudioIn(), realtime({ session, maxReconnects: 0 })));
    expect(ofType(events, 'error'), digest(events)).toEqual([]);
    expect(sandbox.stats.requests.realtime).toBeGreaterThanOrEqual(2);
    expect(ofType(events, 'assistant.done').map((e) => e.text)).toEqual(['A classic pangram.']);
  });
});
