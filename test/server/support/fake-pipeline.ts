import { Observable, type OperatorFunction } from 'rxjs';
import type { AudioFrame } from '../../../src/audio/frame.js';
import type { PipelineEvent } from '../../../src/events.js';
import type { PipelineChoice } from '../../../src/server/types.js';

export interface EchoOptions {
  /** Reply length in ms (a 440 Hz tone at 24 kHz). */
  readonly replyMs?: number;
  readonly threshold?: number;
  readonly silenceMs?: number;
  /** Emit reply audio paced this many frames per tick (0 = all at once). */
  readonly paceMs?: number;
}

/**
 * A small stand-in pipeline for transport tests: an energy VAD, then on each end of speech a transcript,
 * a text reply and a tone as reply audio. Barge-in: speech that starts while the previous reply is still
 * playing (per the PlaybackClock the transport feeds) cancels it with `reply.cancel` + `interruption`.
 */
export function echoPipeline(choice: PipelineChoice, options: EchoOptions = {}): OperatorFunction<AudioFrame, PipelineEvent> {
  const replyMs = options.replyMs ?? 1000;
  const threshold = options.threshold ?? 600;
  const silenceMs = options.silenceMs ?? 400;
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      let turn = 0;
      let speaking = false;
      let speechMs = 0;
      let silence = 0;
      let startMs = 0;
      let lastReply: string | undefined;
      const timers: NodeJS.Timeout[] = [];

      const reply = (turnId: string, endMs: number) => {
        subscriber.next({ type: 'transcript', turnId, text: `you spoke for ${Math.round(endMs - startMs)} ms`, final: true, language: 'en' });
        const text = `Reply to ${turnId} with ${choice.pipeline}.`;
        subscriber.next({ type: 'assistant.text', turnId, delta: text, segment: true });
        subscriber.next({ type: 'assistant.done', turnId, text });
        subscriber.next({ type: 'metric', turnId, name: 'first_audio_out', valueMs: 42, atMs: Date.now() });
        lastReply = turnId;
        const frames = Math.round(replyMs / 20);
        let seq = 0;
        const emitFrame = () => {
          const samples = new Int16Array(480);
          for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (seq * 480 + i)) / 24000));
          choice.playback.emitted(turnId, 20);
          subscriber.next({ type: 'assistant.audio', turnId, frame: { samples, sampleRate: 24000, startMs: seq * 20, seq } });
          seq++;
        };
        if (!options.paceMs) for (let i = 0; i < frames; i++) emitFrame();
        else {
          const timer = setInterval(() => {
            if (seq >= frames || lastReply !== turnId) return clearInterval(timer);
            emitFrame();
          }, options.paceMs);
          timers.push(timer);
        }
      };

      const sub = source.subscribe({
        next: (frame) => {
          const ms = (frame.samples.length * 1000) / frame.sampleRate;
          let energy = 0;
          for (const s of frame.samples) energy += s * s;
          const loud = Math.sqrt(energy / Math.max(1, frame.samples.length)) > threshold;
          const turnId = speaking ? `turn-${turn}` : undefined;
          subscriber.next({ type: 'audio.in', frame, ...(turnId ? { turnId } : {}) });
          if (!speaking) {
            speechMs = loud ? speechMs + ms : 0;
            if (speechMs >= 60) {
              speaking = true;
              silence = 0;
              turn++;
              startMs = frame.startMs - speechMs + ms;
              const id = `turn-${turn}`;
              subscriber.next({ type: 'speech.started', turnId: id, audioMs: startMs });
              if (lastReply && choice.playback.isPlaying(lastReply)) {
                const cut = lastReply;
                lastReply = undefined;
                subscriber.next({ type: 'reply.cancel', turnId: cut, byTurnId: id, reason: 'barge_in' });
                subscriber.next({ type: 'interruption', turnId: cut, byTurnId: id, playedMs: choice.playback.playedMs(cut), heardText: 'Reply' });
              }
            }
          } else {
            silence = loud ? 0 : silence + ms;
            if (silence >= silenceMs) {
              speaking = false;
              speechMs = 0;
              const id = `turn-${turn}`;
              const endMs = frame.startMs + ms - silence;
              subscriber.next({ type: 'speech.ended', turnId: id, audioMs: endMs, reason: 'silence', decidedAudioMs: frame.startMs + ms });
              reply(id, endMs);
            }
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (speaking) {
            const id = `turn-${turn}`;
            subscriber.next({ type: 'speech.ended', turnId: id, audioMs: startMs, reason: 'end_of_stream', decidedAudioMs: startMs });
            reply(id, startMs);
          }
          const finish = () => subscriber.complete();
          if (options.paceMs) timers.push(setTimeout(finish, (replyMs / 20) * options.paceMs + 50));
          else finish();
        },
      });
      return () => {
        sub.unsubscribe();
        for (const t of timers) clearTimeout(t);
      };
    });
}

/** Speech-like test audio: bursts of a loud tone separated by silence, as PCM16 at `sampleRate`. */
export function toneBursts(sampleRate: number, pattern: readonly { toneMs: number; silenceMs: number }[]): Int16Array {
  const total = pattern.reduce((sum, p) => sum + p.toneMs + p.silenceMs, 0);
  const out = new Int16Array(Math.round((total * sampleRate) / 1000));
  let offset = 0;
  for (const p of pattern) {
    const n = Math.round((p.toneMs * sampleRate) / 1000);
    for (let i = 0; i < n; i++) out[offset + i] = Math.round(10000 * Math.sin((2 * Math.PI * 300 * i) / sampleRate));
    offset += n + Math.round((p.silenceMs * sampleRate) / 1000);
  }
  return out;
}
