import type { AudioFrame } from './frame.js';

/** The last `maxMs` of audio (by the frames' own start times): bounded memory for audio kept to replay. */
export class RecentAudio {
  private frames: AudioFrame[] = [];

  constructor(readonly maxMs: number) {}

  push(frame: AudioFrame): void {
    this.frames.push(frame);
    while (this.frames.length > 0 && frame.startMs - this.frames[0]!.startMs > this.maxMs) this.frames.shift();
  }

  /** The frames kept, oldest first; the buffer is empty afterwards. */
  take(): AudioFrame[] {
    const out = this.frames;
    this.frames = [];
    return out;
  }
}
