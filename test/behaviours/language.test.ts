import { tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tts } from '../../operators/tts.js';
import { turnLanguage } from '../../operators/turnLanguage.js';
import { cascaded } from '../../pipelines/cascaded.js';
import { realtimePipeline } from '../../pipelines/realtime.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import { framesOf } from '../../src/audio/sources.js';
import { readWavFile } from '../../src/audio/wav.js';
import { fixturesDir } from '../../src/testing/fixtures.js';
import { Conversation } from '../../src/conversation.js';
import type { PipelineEvent } from '../../src/events.js';
import { createElevenLabsSynthesizer } from '../../src/providers/elevenlabs/index.js';
import { resolveEndpoints } from '../../src/providers/env.js';
import type { SynthesisRequest, Synthesizer } from '../../src/providers/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { Scenario } from '../../src/sandbox/types.js';
import { fakeSynthesizer } from '../../src/testing/fakes/tts.js';
import { marbles } from '../../src/testing/index.js';
import { detectLanguage } from '../../src/text/language.js';
import { callTurnByTurn, digest, fixtureTurns, ofType, replyAudioMs } from '../faults/support/call.js';

const final = (turnId: string, text: string, language?: string): PipelineEvent => ({ type: 'transcript', turnId, text, final: true, ...(language ? { language } : {}) });

describe('detectLanguage', () => {
  it.each([
    ["What's the weather like in Paris today?", 'en'],
    ["Quel temps fait-il à Paris aujourd'hui ?", 'fr'],
    ['Wie ist das Wetter heute in Berlin?', 'de'],
    ['¿Qué tiempo hace hoy en Madrid?', 'es'],
    ['Je voudrais réserver une table pour deux.', 'fr'],
    ['Quiero reservar una mesa para dos.', 'es'],
  ])('%s -> %s', (text, language) => {
    expect(detectLanguage(text)?.language).toBe(language);
  });

  it('says nothing rather than guess on too little', () => {
    expect(detectLanguage('ok')).toBeUndefined();
    expect(detectLanguage('')).toBeUndefined();
  });
});

describe('turnLanguage and tts followLanguage', () => {
  it('puts the detected language on final transcripts and tells the model before the turn passes on', () => {
    const conversation = new Conversation({ systemPrompt: 'Be brief.' });
    const prompts: (string | undefined)[] = [];
    marbles(({ cold, expectObservable }) => {
      const source = cold('a-b-c|', { a: final('turn-1', 'What is the weather today?', 'en'), b: final('turn-2', 'Merci, quel temps fait-il ?', 'en'), c: final('turn-3', 'ok') });
      const out = source.pipe(turnLanguage({ conversation }));
      out.subscribe(() => prompts.push(conversation.systemPrompt));
      expectObservable(out).toBe('a-b-c|', {
        a: final('turn-1', 'What is the weather today?', 'en'),
        b: final('turn-2', 'Merci, quel temps fait-il ?', 'fr'), // the text wins over the transcriber's guess
        c: final('turn-3', 'ok'), // nothing to tell: left as it came
      });
    });
    expect(prompts[1]).toBe('Be brief.\n\nThe caller is speaking French now: reply in French.');
  });

  it("speaks each reply with its turn's language and mapped voice; without followLanguage the call's", () => {
    for (const follow of [true, false]) {
      marbles(({ cold, scheduler }) => {
        const synthesizer = fakeSynthesizer({ scheduler, firstByteMs: 1, msPerChar: 1 });
        const requests: SynthesisRequest[] = [];
        const spy: Synthesizer = { name: 'spy', synthesize: (r) => (requests.push(r), synthesizer.synthesize(r)) };
        const events = cold<PipelineEvent>('a-b-c 500ms d-e-f 500ms |', {
          a: final('turn-1', 'Bonjour', 'fr'),
          b: { type: 'assistant.text', turnId: 'turn-1', delta: 'Bonjour.', segment: true },
          c: { type: 'assistant.done', turnId: 'turn-1', text: 'Bonjour.' },
          d: final('turn-2', 'Hello', 'en'),
          e: { type: 'assistant.text', turnId: 'turn-2', delta: 'Hello.', segment: true },
          f: { type: 'assistant.done', turnId: 'turn-2', text: 'Hello.' },
        });
        const out = events.pipe(tts({ synthesizer: spy, voiceId: 'default-voice', language: 'en', followLanguage: follow, voices: { fr: 'voix-fr' }, scheduler }));
        out.subscribe();
        scheduler.flush();
        expect(requests.map((r) => [r.language, r.voiceId])).toEqual(
          follow
            ? [
                ['fr', 'voix-fr'],
                ['en', 'default-voice'],
              ]
            : [
                ['en', 'default-voice'],
                ['en', 'default-voice'],
              ],
        );
      });
    }
  });
});

/**
 * A caller who switches English -> French (spoken by espeak-ng's French voice) -> English, through the real chains: each reply is spoken in the
 * caller's language with the mapped voice (what the synthesizer was asked, and the sandbox spoke).
 */
const SWITCHING: Scenario = {
  utterances: [{ transcript: "What's the weather like in Paris today?" }, { transcript: 'Je voudrais réserver une table pour deux, merci.' }, { transcript: "Thanks, that's all." }],
  replies: [
    { match: 'weather', reply: 'It is sunny in Paris.' },
    { match: 'table', reply: "C'est réservé pour deux personnes." },
    { match: 'thanks', reply: 'Goodbye!' },
  ],
};
const VOICES = { fr: 'voice-fr', en: 'voice-en' };

describe('followLanguage through the real chains', () => {
  let sandbox: Sandbox;
  let turns: AudioFrame[][];
  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'instant', scenario: SWITCHING });
    turns = (await fixtureTurns('call-3turns')).turns;
    // The French turn is French speech: espeak-ng's French voice (fixtures/french-turn.wav, made with
    // `espeak-ng -v fr -s 150 "Je voudrais réserver une table pour deux, merci." | sox ... -r 16000 pad 0.3 1.2`),
    // on the call's clock where the English turn 2 was.
    const french = await readWavFile(`${fixturesDir()}/french-turn.wav`);
    const at = turns[1]![0]!.startMs;
    turns[1] = framesOf(french.samples, 16000, 20).map((f) => ({ ...f, startMs: f.startMs + at }));
  });
  afterAll(async () => sandbox.close());

  const spying = () => {
    const requests: SynthesisRequest[] = [];
    const real = createElevenLabsSynthesizer({ endpoint: resolveEndpoints({}, sandbox.url).elevenlabs });
    const synthesizer: Synthesizer = { name: real.name, synthesize: (r) => (requests.push(r), real.synthesize(r)) };
    return { requests, synthesizer };
  };

  const check = (events: PipelineEvent[], requests: SynthesisRequest[]) => {
    const summary = digest(events);
    expect(ofType(events, 'error'), summary).toEqual([]);
    expect(
      ofType(events, 'transcript')
        .filter((e) => e.final)
        .map((e) => e.language),
      summary,
    ).toEqual(['en', 'fr', 'en']);
    expect(requests.map((r) => [r.turnId, r.language, r.voiceId]), summary).toEqual([
      ['turn-1', 'en', 'voice-en'],
      ['turn-2', 'fr', 'voice-fr'],
      ['turn-3', 'en', 'voice-en'],
    ]);
    for (const turnId of ['turn-1', 'turn-2', 'turn-3']) expect(replyAudioMs(events, turnId), `${turnId}\n${summary}`).toBeGreaterThan(400);
  };

  it('cascaded: the model is told the language of each turn, the TTS gets its code and voice', async () => {
    const conversation = new Conversation({ systemPrompt: 'Be brief.' });
    const { requests, synthesizer } = spying();
    const prompts: string[] = [];
    const chain = cascaded({
      endpoints: resolveEndpoints({}, sandbox.url),
      providers: { synthesizer },
      callId: 'language-cascaded',
      conversation,
      followLanguage: { voices: VOICES },
      bargeIn: false,
    });
    // The note is in the prompt by the time the turn's transcript leaves the chain (the model was asked after it).
    const { events } = await callTurnByTurn(turns, (frames) =>
      chain(frames).pipe(tap((e) => (e.type === 'transcript' && e.final ? prompts.push(conversation.systemPrompt ?? '') : undefined))),
    );
    check(events, requests);
    expect(prompts.map((p) => /speaking (\w+)/.exec(p)?.[1])).toEqual(['English', 'French', 'English']);
  });

  it('realtime (TTS streamed): the TTS follows the language of the session transcripts', async () => {
    const { requests, synthesizer } = spying();
    const pipeline = realtimePipeline({
      endpoints: resolveEndpoints({}, sandbox.url),
      providers: { synthesizer },
      callId: 'language-realtime',
      tts: 'streamed',
      followLanguage: { voices: VOICES },
      bargeIn: false,
    });
    const { events } = await callTurnByTurn(turns, pipeline);
    check(events, requests);
  });
});
