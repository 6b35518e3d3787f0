import type { AudioFrame, SampleRate } from '../audio/frame.js';

const EMPTY = new Int16Array(0);

/** Turns audio of any chunk size into 20 ms frames with continuous `seq` and `startMs`. */
export class InboundFramer {
  private pending: Int16Array = EMPTY;
  private seq = 0;
  private samplesOut = 0;
  private readonly frameSamples: number;

  constructor(private readonly sampleRate: SampleRate, frameMs = 20) {
    this.frameSamples = Math.round((sampleRate * frameMs) / 1000);
  }

  /** Audio time received so far, in ms (frames emitted plus what waits for a full frame). */
  get receivedMs(): number {
    return ((this.samplesOut + this.pending.length) * 1000) / this.sampleRate;
  }

  push(samples: Int16Array): AudioFrame[] {
    // The usual case (a client sending whole 20 ms frames, nothing pending): the chunk is the frame, no
    // copy. The framer owns `samples` from here (the transports hand it a fresh decode).
    if (this.pending.length === 0 && samples.length === this.frameSamples) return [this.frame(samples)];
    let all = samples;
    if (this.pending.length > 0) {
      all = new Int16Array(this.pending.length + samples.length);
      all.set(this.pending);
      all.set(samples, this.pending.length);
    }
    const frames: AudioFrame[] = [];
    let offset = 0;
    for (; offset + this.frameSamples <= all.length; offset += this.frameSamples) {
      frames.push(this.frame(all.slice(offset, offset + this.frameSamples)));
    }
    this.pending = offset === all.length ? EMPTY : all.slice(offset);
    return frames;
  }

  flush(): AudioFrame[] {
    if (this.pending.length === 0) return [];
    const last = this.frame(this.pending);
    this.pending = EMPTY;
    return [last];
  }

  private frame(samples: Int16Array): AudioFrame {
    const frame: AudioFrame = {
      samples,
      sampleRate: this.sampleRate,
      startMs: (this.samplesOut * 1000) / this.sampleRate,
      seq: this.seq++,
    };
    this.samplesOut += samples.length;
    return frame;
  }
}
