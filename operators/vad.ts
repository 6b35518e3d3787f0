import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import type { AudioFrame } from '../src/audio/frame.js';
import { errorEvent, type PipelineEvent } from '../src/events.js';
import { toRxVoiceError } from '../src/errors.js';
import { VadEngine, type SpeechDetectorOptions } from '../src/vad/detector.js';
import type { VadTransition } from '../src/vad/state-machine.js';
import type { EndOfTurnRequest } from '../src/turn/types.js';

export { createSpeechDetector, type SpeechDetector, type SpeechDetectorOptions } from '../src/vad/detector.js';
export type { SpeechProbabilityModel } from '../src/vad/silero.js';
export type { VadConfig, VadTransition } from '../src/vad/state-machine.js';

/**
 * Options of `vad`. Defaults: positiveThreshold 0.5, negativeThreshold 0.35, minSpeechMs 250,
 * silenceMs 500 (end-of-turn delay), pauseMs 0 (no `speech.paused`; the pipelines set 200 for their
 * preemptive replies), prePaddingMs 300, maxUtteranceMs 30000, Silero v4 probabilities, energy gate on
 * (quiet windows skip the model, same decisions; `energyGate: false` runs it on every window).
 */
export interface VadOptions extends SpeechDetectorOptions {
  /**
   * Verdicts of an end-of-turn detector (the `turnDetector` operator's `requests`): each sets the silence
   * that ends the turn in the pause in progress. Without one, `silenceMs` ends every turn.
   */
  readonly endOfTurn?: Observable<EndOfTurnRequest>;
}

const END = Symbol('end');

/** A source error, queued behind the frames still waiting for the model so none of them is lost. */
class SourceError {
  constructor(readonly error: unknown) {}
}

/**
 * Voice activity detection, streaming, frame by frame: passes every frame on as `audio.in` and marks
 * utterances with `speech.started` / `speech.ended` (turn ids `turn-1`, `turn-2`, ...). Frames at any
 * supported rate are resampled to 16 kHz inside; the model sees 32 ms windows.
 *
 * `speech.started` comes once speech has lasted `minSpeechMs` (its `audioMs` is the real start, earlier);
 * audio frames from then until `speech.ended` carry the `turnId`. `speech.ended` comes `silenceMs` after
 * the last speech (reason `silence`), when the source completes mid-utterance (`end_of_stream`), or at
 * `maxUtteranceMs` (`max_length`; a caller still talking gets a new turn at once). With `pauseMs`, a
 * shorter silence inside the utterance gives `speech.paused` (at most one open at a time) and speech after
 * it `speech.resumed`; the `speech.ended` of a turn that ends during a pause has the pause's `audioMs`.
 * With `endOfTurn`, a turn detector's verdict on a pause sets the silence that ends that turn (shorter for
 * words that read complete, longer for words that trail off); speech again restores `silenceMs`.
 *
 * ```
 * frames:  -a-b-c-d-e-f-g-h-|        probabilities: a .1, b .9, c .9, ... f .1, g .1, h .1
 * events:  -a-(Sb)-c-d-e-f-(gE)-h-|  S = speech.started turn-1, E = speech.ended turn-1 (silence)
 * ```
 *
 * Events come out in input order even when the model answers asynchronously. A frame at an unsupported
 * rate becomes an `error` event (`unsupported_sample_rate`) and the stream goes on. Unsubscribing
 * releases the model's state.
 */
export function vad(options: VadOptions = {}): OperatorFunction<AudioFrame, PipelineEvent> {
  const { endOfTurn: _verdicts, ...detectorOptions } = options;
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const engine = new VadEngine(detectorOptions);
      const queue: (AudioFrame | typeof END | SourceError)[] = [];
      let busy = false;
      let turnCount = 0;
      let turnId: string | undefined;

      // No closures per frame: at 50 frames per second per call, they were most of the vad's allocations.
      const sendAudio = (frame: AudioFrame) => {
        subscriber.next(turnId === undefined ? { type: 'audio.in', frame } : { type: 'audio.in', frame, turnId });
      };

      const apply = (frame: AudioFrame | undefined, transitions: readonly VadTransition[]) => {
        let audioSent = frame === undefined;
        for (const t of transitions) {
          if (t.type === 'start') {
            turnId = `turn-${++turnCount}`;
            subscriber.next({ type: 'speech.started', turnId, audioMs: t.audioMs });
          } else if (t.type === 'pause') {
            if (turnId !== undefined) subscriber.next({ type: 'speech.paused', turnId, audioMs: t.audioMs, decidedAudioMs: t.decidedAudioMs });
          } else if (t.type === 'resume') {
            if (turnId !== undefined) subscriber.next({ type: 'speech.resumed', turnId, audioMs: t.audioMs });
          } else if (turnId !== undefined) {
            // the frame that completed the silence still belongs to the utterance
            if (!audioSent) sendAudio(frame!);
            audioSent = true;
            subscriber.next({ type: 'speech.ended', turnId, audioMs: t.audioMs, reason: t.reason, decidedAudioMs: t.decidedAudioMs });
            turnId = undefined;
          }
        }
        if (!audioSent) sendAudio(frame!);
      };

      const fail = (err: unknown, frame: AudioFrame | undefined) => {
        const e = toRxVoiceError(err, 'vad');
        subscriber.next(errorEvent(e, turnId));
        // A frame the vad could not read is dropped; one the model failed on is still caller audio.
        if (frame && e.code !== 'unsupported_sample_rate' && e.code !== 'bad_audio') apply(frame, []);
      };

      /** The frame (undefined: the end) whose transitions the model is computing while `busy`. */
      let current: AudioFrame | undefined;
      const settled = (transitions: VadTransition[] | undefined, err?: unknown) => {
        busy = false;
        if (subscriber.closed) return;
        const frame = current;
        current = undefined;
        if (transitions) apply(frame, transitions);
        else fail(err, frame);
        if (!frame) subscriber.complete();
        drain();
      };
      const onTransitions = (transitions: VadTransition[]) => settled(transitions);
      const onError = (err: unknown) => settled(undefined, err);

      const drain = () => {
        while (!busy && queue.length > 0 && !subscriber.closed) {
          const item = queue.shift()!;
          if (item instanceof SourceError) {
            subscriber.error(item.error);
            return;
          }
          const frame = item === END ? undefined : item;
          let result: VadTransition[] | Promise<VadTransition[]>;
          try {
            result = frame ? engine.push(frame) : engine.finish();
          } catch (err) {
            fail(err, frame);
            if (!frame) subscriber.complete();
            continue;
          }
          if (Array.isArray(result)) {
            apply(frame, result);
            if (!frame) subscriber.complete();
            continue;
          }
          busy = true;
          current = frame;
          result.then(onTransitions, onError);
        }
      };

      // A verdict applies to the pause in progress; when no frame is waiting for the model it can end the
      // turn at once instead of at the next window.
      let verdicts: Subscription | undefined;
      if (options.endOfTurn) {
        verdicts = options.endOfTurn.subscribe((request) => {
          if (request.turnId !== turnId || subscriber.closed) return;
          engine.machine.setPauseSilence(request.silenceMs);
          if (!busy && queue.length === 0) apply(undefined, engine.machine.closeIfDue(engine.processedMs));
        });
      }

      const sub = source.subscribe({
        next(frame) {
          queue.push(frame);
          drain();
        },
        error(err: unknown) {
          queue.push(new SourceError(err));
          drain();
        },
        complete() {
          queue.push(END);
          drain();
        },
      });

      return () => {
        sub.unsubscribe();
        verdicts?.unsubscribe();
        queue.length = 0;
        void engine.release().catch(() => undefined);
      };
    });
}
