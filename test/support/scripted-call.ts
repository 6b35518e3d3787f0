import { TestScheduler } from 'rxjs/testing';
import { cascaded, type CascadedOptions } from '../../pipelines/cascaded.js';
import { fromPcm } from '../../src/audio/sources.js';
import type { PipelineEvent } from '../../src/events.js';
import { fakeChatModel, fakeTranscriber, type ChatReplyScript } from '../../src/testing/fakes/openai.js';
import { fakeSynthesizer } from '../../src/testing/fakes/tts.js';
import { scriptedSpeech } from '../../src/testing/vad.js';

/** A tone where the caller speaks, silence elsewhere, 16 kHz. */
export function callAudio(totalMs: number, spans: readonly (readonly [number, number])[]): Int16Array {
  const samples = new Int16Array((totalMs * 16000) / 1000);
  for (const [a, b] of spans) for (let i = (a * 16) | 0; i < b * 16; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / 16000));
  return samples;
}

export interface ScriptedCall {
  readonly totalMs: number;
  /** Where the caller speaks, ms: the audio's tone and the scripted vad's speech. */
  readonly speech: readonly (readonly [number, number])[];
  readonly transcripts: readonly (string | Error)[];
  readonly replies: readonly ChatReplyScript[];
  readonly options?: Partial<CascadedOptions>;
  /** The fake model's first-token delay, default 200 ms. */
  readonly firstTokenMs?: number;
  /** Unsubscribes the chain at this virtual ms. */
  readonly unsubscribeAt?: number;
}

/**
 * One call through `cascaded()` on fake providers in virtual time (transcripts after 100 ms, first token
 * after `firstTokenMs` then 50 ms a token, first audio byte after 100 ms at 40 ms a character).
 * Returns every event but `audio.in`, each with its virtual time.
 */
export function runScriptedCall(setup: ScriptedCall) {
  const scheduler = new TestScheduler(() => undefined);
  const stt = fakeTranscriber({ transcripts: setup.transcripts, latencyMs: 100, scheduler });
  const chat = fakeChatModel({ replies: setup.replies, firstTokenMs: setup.firstTokenMs ?? 200, tokenMs: 50, scheduler });
  const tts = fakeSynthesizer({ firstByteMs: 100, msPerChar: 40, scheduler });
  const out: { t: number; e: PipelineEvent }[] = [];
  let completed = false;
  scheduler.run(() => {
    const sub = fromPcm(callAudio(setup.totalMs, setup.speech), 16000, { realtime: true, scheduler })
      .pipe(cascaded({ providers: { transcriber: stt, chatModel: chat, synthesizer: tts }, vad: { probabilities: scriptedSpeech(setup.speech) }, scheduler, ...setup.options }))
      .subscribe({ next: (e) => out.push({ t: scheduler.now(), e }), complete: () => (completed = true) });
    if (setup.unsubscribeAt !== undefined) scheduler.schedule(() => sub.unsubscribe(), setup.unsubscribeAt);
  });
  return { events: out.filter((o) => o.e.type !== 'audio.in'), stt, chat, tts, completed };
}
