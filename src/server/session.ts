import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { AudioFrame, SampleRate } from '../audio/frame.js';
import { errorEvent, type DtmfEvent, type PipelineEvent } from '../events.js';
import { RxVoiceError } from '../errors.js';
import { PlaybackClock } from '../playback.js';
import { InboundFramer } from './inbound.js';
import type { CallRecorder } from './recording.js';
import type { PipelineChoice, PipelineFactory } from './types.js';

/**
 * Each caller frame's lag as it comes out of the chain (after the VAD), on the call's own clock: ms after
 * it was due, taking the first frame's arrival as on time. Published on node:diagnostics_channel (free
 * while nobody listens) so a benchmark can read it from a served process without a metric per frame.
 */
export const CALLER_FRAME_LAG_CHANNEL = 'rxvoice:caller-frame.lag';
export interface CallerFrameLagReport {
  readonly lagMs: number;
}
const frameLagChannel = channel(CALLER_FRAME_LAG_CHANNEL);
const frameEndMs = (f: AudioFrame): number => f.startMs + (f.samples.length * 1000) / f.sampleRate;

/**
 * One call's pipeline: caller audio goes in as 20 ms frames, events come out to the transport. A factory
 * that throws, or a pipeline that errors, becomes an `error` event rather than a dead socket.
 */
export class PipelineRun {
  readonly playback = new PlaybackClock();
  readonly done: Promise<void>;
  private readonly inbound = new Subject<AudioFrame>();
  /** The caller's key presses (phone transports), handed to the factory as `choice.dtmf`. */
  private readonly keys = new Subject<DtmfEvent>();
  private readonly framer: InboundFramer;
  private subscription: Subscription | undefined;
  private readonly startedAt = Date.now();
  /** performance.now() at which audio time 0 was due: set by the first frame's arrival. */
  private audioOrigin: number | undefined;
  private ended = false;

  constructor(
    factory: PipelineFactory,
    choice: Omit<PipelineChoice, 'playback' | 'dtmf'>,
    private readonly inputRate: SampleRate,
    onEvent: (event: PipelineEvent) => void,
    private readonly recorder?: CallRecorder,
    log: (line: string) => void = () => undefined,
  ) {
    this.framer = new InboundFramer(inputRate);
    let resolveDone!: () => void;
    this.done = new Promise((resolve) => (resolveDone = resolve));
    const emit = (event: PipelineEvent): void => {
      if (event.type === 'audio.in' && this.audioOrigin !== undefined && frameLagChannel.hasSubscribers) {
        frameLagChannel.publish({ lagMs: performance.now() - this.audioOrigin - frameEndMs(event.frame) } satisfies CallerFrameLagReport);
      }
      recorder?.event(event, this.elapsedMs());
      onEvent(event);
    };
    // An exception that is not one of ours (a factory's bug, a path in its message) is internal text:
    // the client hears that the pipeline failed, the detail goes to the server's log.
    const failed = (err: unknown): void => {
      if (err instanceof RxVoiceError) emit(errorEvent(err));
      else {
        log(`pipeline failed: ${err instanceof Error ? err.message : String(err)}`);
        emit(errorEvent({ code: 'internal', stage: 'pipeline', message: 'the pipeline failed (the server log has the detail)' }));
      }
      resolveDone();
    };
    try {
      const pipeline = factory({ ...choice, playback: this.playback, dtmf: this.keys.asObservable() as Observable<DtmfEvent> });
      this.subscription = this.inbound.pipe(pipeline).subscribe({
        next: emit,
        error: failed,
        complete: () => resolveDone(),
      });
    } catch (err) {
      failed(err);
    }
  }

  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Caller audio in the session's input format, already decoded to PCM16. */
  push(samples: Int16Array): void {
    if (this.ended) return;
    this.recorder?.caller(samples, this.inputRate);
    for (const frame of this.framer.push(samples)) {
      this.audioOrigin ??= performance.now() - frameEndMs(frame);
      this.inbound.next(frame);
    }
  }

  /** A key press from the caller's keypad. */
  dtmf(digit: string, durationMs?: number): void {
    if (this.ended) return;
    this.keys.next({ type: 'dtmf', digit, atMs: this.elapsedMs(), ...(durationMs !== undefined ? { durationMs } : {}) });
  }

  get receivedMs(): number {
    return this.framer.receivedMs;
  }

  /** The caller is done: the pipeline finishes its last turn, then completes. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.audioOrigin = undefined; // the flushed remainder comes at hang-up, not when it was due: not lag
    for (const frame of this.framer.flush()) this.inbound.next(frame);
    this.inbound.complete();
    this.keys.complete();
  }

  /** Tears the pipeline down now (aborting provider requests and sockets). */
  dispose(): void {
    this.ended = true;
    this.subscription?.unsubscribe();
    this.keys.complete();
  }
}

/** Events a client gets as JSON: everything but raw audio (which goes as audio) and internal chunks. */
export function isClientEvent(event: PipelineEvent): boolean {
  return event.type !== 'audio.in' && event.type !== 'utterance.chunk' && event.type !== 'assistant.audio';
}
