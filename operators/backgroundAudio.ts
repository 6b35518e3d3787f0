import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { AudioFrame, SampleRate } from '../src/audio/frame.js';
import { resample } from '../src/audio/resample.js';
import { RxVoiceError } from '../src/errors.js';
import type { PipelineEvent } from '../src/events.js';

/** A sound to loop: PCM16 mono at its rate (resampled once to the reply audio's rate). */
export interface LoopSound {
  readonly samples: Int16Array;
  readonly sampleRate: SampleRate;
}

export interface BackgroundAudioOptions {
  /** Ambience or hold music, looped under the assistant's audio. */
  readonly sound?: LoopSound;
  /** Its level, 0..1 (a gain on the sound as given). Default 0.1. */
  readonly level?: number;
  /** Also play it while nobody speaks (frames of its own, turn id `background`). Default true. */
  readonly duringSilence?: boolean;
  /** Gain applied while the caller speaks: 0 pauses it (default), 0.3 ducks it. */
  readonly duckTo?: number;
  /** Played while a tool is slow (`tool.slow` until the turn's `tool.result`, done or cancel), at `thinkingLevel`. */
  readonly thinking?: LoopSound;
  /** Default 0.3. */
  readonly thinkingLevel?: number;
  /** Rate of the frames made in silence, until reply audio says otherwise. Default 16000. */
  readonly sampleRate?: SampleRate;
  /** Length of the frames made in silence. Default 20 ms. */
  readonly frameMs?: number;
  /** Gain changes (duck, pause, stop) ramp over this long, so nothing clicks. Default 40 ms. */
  readonly rampMs?: number;
  readonly scheduler?: SchedulerLike;
}

/** The longest loop accepted (at its own rate): the operator's memory is this, twice at most, per sound. */
export const MAX_LOOP_SECONDS = 120;
export const BACKGROUND_TURN_ID = 'background';

/** One looping layer: its samples at the output rate, where it is, and its gain ramping to a target. */
class Layer {
  private source: LoopSound;
  private looped: Int16Array;
  private rate: number;
  private pos = 0;
  gain = 0;
  target = 0;

  constructor(sound: LoopSound) {
    if (sound.samples.length === 0) throw new RxVoiceError({ code: 'bad_audio', stage: 'transport', message: 'a background sound needs samples' });
    if (sound.samples.length / sound.sampleRate > MAX_LOOP_SECONDS) {
      throw new RxVoiceError({ code: 'bad_audio', stage: 'transport', message: `a background sound may be at most ${MAX_LOOP_SECONDS} s long` });
    }
    this.source = sound;
    this.looped = sound.samples;
    this.rate = sound.sampleRate;
  }

  /** Adds the next `out.length` samples of the loop into `out` at its current gain, ramping by `step`. */
  mixInto(out: Float32Array, rate: number, step: number): void {
    if (this.gain === 0 && this.target === 0) return;
    if (rate !== this.rate) {
      this.looped = resample(this.source.samples, this.source.sampleRate, rate); // once per rate change
      this.pos = Math.floor((this.pos * rate) / this.rate) % this.looped.length;
      this.rate = rate;
    }
    for (let i = 0; i < out.length; i++) {
      if (this.gain !== this.target) this.gain = this.gain < this.target ? Math.min(this.target, this.gain + step) : Math.max(this.target, this.gain - step);
      out[i]! += this.looped[this.pos]! * this.gain;
      this.pos = (this.pos + 1) % this.looped.length;
    }
  }

  get audible(): boolean {
    return this.gain > 0 || this.target > 0;
  }
}

/**
 * Mixes an ambience or hold sound under the assistant's audio and, optionally, in the silences between
 * replies; plays a thinking sound while a tool is slow. Each `assistant.audio` frame is replaced by the
 * same frame (turn, seq, startMs) with the layers added; in silence, frames of their own (turn id
 * `background`) keep the sink about one frame ahead of real time, as the reply audio would. The caller's
 * `speech.started` ducks the ambience to `duckTo` (0: pauses it) until `speech.ended`; a thinking sound
 * stops at the turn's `tool.result`, `assistant.done` or `reply.cancel`, all with a short ramp.
 *
 * ```
 * in:  ------a-a-a---------S----E--      a assistant.audio, S/E the caller's speech.started/ended
 * out: -b-b-(a)(a)(a)-b-b-b-S----E-b-     (a) the frame with the ambience mixed in, b ambience frames;
 *                                          none between S and E (duckTo 0)
 * ```
 * Memory: each sound at its own rate and once at the output rate (each at most `MAX_LOOP_SECONDS`), no
 * queue: frames are made as they are sent. Place it last in the chain (after metrics).
 */
export function backgroundAudio(options: BackgroundAudioOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const frameMs = options.frameMs ?? 20;
  const level = clamp01(options.level ?? 0.1);
  const duckTo = clamp01(options.duckTo ?? 0);
  const thinkingLevel = clamp01(options.thinkingLevel ?? 0.3);
  const duringSilence = options.duringSilence ?? true;
  const rampMs = Math.max(1, options.rampMs ?? 40);
  if (!(frameMs > 0)) throw new RxVoiceError({ code: 'internal', stage: 'transport', message: `frameMs must be positive, got ${frameMs}` });
  // Checked here, so a bad sound fails where the chain is built, not on the first call.
  if (options.sound) new Layer(options.sound);
  if (options.thinking) new Layer(options.thinking);
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const ambience = options.sound ? new Layer(options.sound) : undefined;
      const thinking = options.thinking ? new Layer(options.thinking) : undefined;
      let rate: number = options.sampleRate ?? 16000;
      let callerSpeaking = false;
      const slowTurns = new Set<string>();
      // Scheduler time until which audio already sent covers the sink (it plays at real time).
      let coveredUntil = scheduler.now();
      let seq = 0;
      let silenceMs = 0;
      let ticker: Subscription | undefined;

      const ambienceTarget = (): number => (callerSpeaking ? level * duckTo : level);
      const retarget = (): void => {
        if (ambience) ambience.target = ambienceTarget();
        if (thinking) thinking.target = slowTurns.size > 0 ? thinkingLevel : 0;
      };
      retarget();
      if (ambience) ambience.gain = ambience.target;

      const mix = (samples: Int16Array | undefined, length: number): Int16Array => {
        const acc = new Float32Array(length);
        if (samples) for (let i = 0; i < length; i++) acc[i] = samples[i]!;
        const step = 1 / ((rampMs * rate) / 1000);
        ambience?.mixInto(acc, rate, step);
        thinking?.mixInto(acc, rate, step);
        const out = new Int16Array(length);
        for (let i = 0; i < length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(acc[i]!)));
        return out;
      };

      /** In silence: sends layer-only frames until the sink has about one frame ahead. */
      const fill = (): void => {
        const now = scheduler.now();
        if (coveredUntil < now) coveredUntil = now;
        const wantAmbience = duringSilence && ambience !== undefined && ambience.audible;
        if (!wantAmbience && !(thinking?.audible ?? false)) return;
        for (let n = 0; n < 3 && coveredUntil < now + frameMs; n++) {
          const length = Math.max(1, Math.round((rate * frameMs) / 1000));
          const samples = mix(undefined, length);
          const frame: AudioFrame = { samples, sampleRate: rate as SampleRate, startMs: silenceMs, seq: seq++ };
          silenceMs += frameMs;
          coveredUntil += frameMs;
          subscriber.next({ type: 'assistant.audio', turnId: BACKGROUND_TURN_ID, frame });
        }
      };

      const subscription = source.subscribe({
        next: (event) => {
          switch (event.type) {
            case 'assistant.audio': {
              rate = event.frame.sampleRate;
              const durationMs = (event.frame.samples.length * 1000) / rate;
              coveredUntil = Math.max(coveredUntil, scheduler.now()) + durationMs;
              const anyLayer = (ambience?.audible ?? false) || (thinking?.audible ?? false);
              subscriber.next(anyLayer ? { ...event, frame: { ...event.frame, samples: mix(event.frame.samples, event.frame.samples.length) } } : event);
              return;
            }
            case 'speech.started':
              callerSpeaking = true;
              break;
            case 'speech.ended':
              callerSpeaking = false;
              break;
            case 'tool.slow':
              slowTurns.add(event.turnId);
              if (slowTurns.size > 8) slowTurns.delete(slowTurns.values().next().value as string);
              break;
            case 'tool.result':
            case 'assistant.done':
            case 'reply.cancel':
              slowTurns.delete(event.turnId);
              break;
            case 'interruption':
              // The sink dropped the reply audio it had not played: the silence starts now, not when it would have ended.
              if (!event.resumed) coveredUntil = scheduler.now();
              break;
            default:
          }
          retarget();
          subscriber.next(event);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          ticker?.unsubscribe();
          subscriber.complete();
        },
      });
      if (!subscriber.closed && (ambience || thinking)) {
        ticker = scheduler.schedule(function tick(this: { schedule(state?: unknown, delay?: number): void }) {
          fill();
          this.schedule(undefined, frameMs);
        }, 0);
      }
      return () => {
        subscription.unsubscribe();
        ticker?.unsubscribe();
      };
    });
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.max(0, Math.min(1, x)) : 0;
}
