import { Observable, type OperatorFunction } from 'rxjs';
import type { AudioFrame, SampleRate } from '../src/audio/frame.js';
import { samplesPerFrame } from '../src/audio/reframe.js';
import { errorEvent, type PipelineEvent, type UtteranceChunkEvent } from '../src/events.js';

export interface ChunkOptions {
  /** Duration of each chunk; default 250 ms. */
  readonly chunkMs?: number;
  /**
   * Longest utterance chunk accepts, counted from speech start; default 30000. The `vad` enforces the
   * same default itself (ending the turn with reason `max_length` and starting a new one), so this is a
   * guard for event streams from elsewhere: past the limit (plus a 250 ms grace that lets the vad's own
   * decision, taken on 32 ms windows, land first) chunk emits the final chunk and an `error` event
   * `max_utterance`, and ignores the rest of that turn's audio.
   */
  readonly maxUtteranceMs?: number;
  /** Audio before the speech start included in the utterance; default 300 ms. */
  readonly prePaddingMs?: number;
  /** How much recent audio is kept for the padding; default prePaddingMs + 2000 ms (covers minSpeechMs). */
  readonly historyMs?: number;
}

const GRACE_MS = 250;

interface OpenUtterance {
  readonly turnId: string;
  readonly speechStartMs: number;
  index: number;
  sampleRate: SampleRate;
  buffer: Int16Array;
  filled: number;
  bufferStartMs: number;
  capped: boolean;
}

/**
 * Groups each utterance's audio into `utterance.chunk` events while the caller speaks: padding before
 * the speech start first (from a small history of recent frames, since the vad reports the start late),
 * then every `chunkMs`; at `speech.ended` the remaining audio goes out as the `final` chunk (maybe
 * empty), just before the `speech.ended` event itself; at a `speech.paused` what is buffered goes out at
 * once (a shorter chunk), so a request ended there has all the audio so far. Every input event is passed on.
 *
 * ```
 * in:   -a-a-S-a-a-a-a-E-|        a = audio.in (100 ms), S = speech.started, E = speech.ended
 * out:  -a-a-S-c-a-a-c-a-a-(cE)-| c = utterance.chunk (200 ms; the first includes the padding)
 * ```
 */
export function chunk(options: ChunkOptions = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  const chunkMs = options.chunkMs ?? 250;
  const maxUtteranceMs = options.maxUtteranceMs ?? 30_000;
  const prePaddingMs = options.prePaddingMs ?? 300;
  const historyMs = options.historyMs ?? prePaddingMs + 2000;

  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const history: AudioFrame[] = [];
      let open: OpenUtterance | undefined;
      /** Audio time up to which audio went into an utterance: padding never repeats it. */
      let deliveredUntilMs = Number.NEGATIVE_INFINITY;

      const emitChunk = (u: OpenUtterance, final: boolean) => {
        const event: UtteranceChunkEvent = {
          type: 'utterance.chunk',
          turnId: u.turnId,
          index: u.index++,
          samples: u.buffer.slice(0, u.filled),
          sampleRate: u.sampleRate,
          startMs: u.bufferStartMs,
          final,
        };
        u.bufferStartMs += (u.filled * 1000) / u.sampleRate;
        u.filled = 0;
        subscriber.next(event);
      };

      const append = (u: OpenUtterance, samples: Int16Array, startMs: number, rate: SampleRate) => {
        if (u.capped) return;
        if (rate !== u.sampleRate) {
          if (u.filled > 0) emitChunk(u, false);
          u.sampleRate = rate;
          u.buffer = new Int16Array(samplesPerFrame(rate, chunkMs));
        }
        if (u.filled === 0) u.bufferStartMs = startMs;
        deliveredUntilMs = Math.max(deliveredUntilMs, startMs + (samples.length * 1000) / rate);
        let i = 0;
        while (i < samples.length) {
          const n = Math.min(u.buffer.length - u.filled, samples.length - i);
          u.buffer.set(n === samples.length ? samples : samples.subarray(i, i + n), u.filled); // a whole frame: no view to make
          u.filled += n;
          i += n;
          if (u.filled === u.buffer.length) {
            emitChunk(u, false);
            u.bufferStartMs = startMs + (i * 1000) / rate;
          }
        }
      };

      const finish = (u: OpenUtterance) => {
        if (!u.capped) emitChunk(u, true);
        open = undefined;
      };

      const remember = (frame: AudioFrame) => {
        history.push(frame);
        const horizon = frame.startMs + (frame.samples.length * 1000) / frame.sampleRate - historyMs;
        while (history.length > 0 && endOf(history[0]!) <= horizon) history.shift();
      };

      const start = (turnId: string, audioMs: number) => {
        const latest = history[history.length - 1];
        const rate = latest?.sampleRate ?? 16000;
        const u: OpenUtterance = {
          turnId,
          speechStartMs: audioMs,
          index: 0,
          sampleRate: rate,
          buffer: new Int16Array(samplesPerFrame(rate, chunkMs)),
          filled: 0,
          bufferStartMs: audioMs,
          capped: false,
        };
        open = u;
        // Audio from the padded start up to now: the vad decides the start after minSpeechMs. After a
        // turn cut at max_length the padding stops where the previous utterance's audio ended.
        const from = Math.max(audioMs - prePaddingMs, deliveredUntilMs);
        for (const f of history) {
          if (endOf(f) <= from + 1e-9) continue;
          const skip = Math.max(0, Math.round(((from - f.startMs) * f.sampleRate) / 1000));
          append(u, skip > 0 ? f.samples.subarray(skip) : f.samples, f.startMs + (skip * 1000) / f.sampleRate, f.sampleRate);
        }
      };

      const onAudio = (frame: AudioFrame, turnId: string | undefined) => {
        remember(frame);
        const u = open;
        if (!u || (turnId !== undefined && turnId !== u.turnId)) return;
        append(u, frame.samples, frame.startMs, frame.sampleRate);
        if (!u.capped && endOf(frame) - u.speechStartMs > maxUtteranceMs + GRACE_MS) {
          emitChunk(u, true);
          u.capped = true;
          subscriber.next(
            errorEvent(
              {
                code: 'max_utterance',
                stage: 'chunk',
                message: `utterance ${u.turnId} reached the maximum length of ${maxUtteranceMs} ms; its audio was cut there`,
              },
              u.turnId,
              false,
            ),
          );
        }
      };

      return source.subscribe({
        next(event) {
          switch (event.type) {
            case 'audio.in':
              subscriber.next(event);
              onAudio(event.frame, event.turnId);
              return;
            case 'speech.started':
              if (open) finish(open);
              subscriber.next(event);
              start(event.turnId, event.audioMs);
              return;
            case 'speech.ended':
              if (open && open.turnId === event.turnId) finish(open);
              subscriber.next(event);
              return;
            case 'speech.paused':
              // A preemptive request ends its upload here: it must have every sample up to the pause.
              if (open && open.turnId === event.turnId && !open.capped && open.filled > 0) emitChunk(open, false);
              subscriber.next(event);
              return;
            default:
              subscriber.next(event);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete() {
          if (open) finish(open);
          subscriber.complete();
        },
      });
    });
}

function endOf(frame: AudioFrame): number {
  return frame.startMs + (frame.samples.length * 1000) / frame.sampleRate;
}
