import type { AudioFrame } from '../audio/frame.js';
import { createStreamResampler, muLawEncode, samplesToBytes, type StreamResampler } from './codec.js';
import type { WireFormat } from './types.js';

/** Converts reply frames (whatever rate the pipeline produced) into the client's wire format. */
export class OutboundEncoder {
  private resampler: StreamResampler | undefined;
  private sourceRate = 0;

  constructor(readonly format: WireFormat) {}

  encode(frame: AudioFrame): Buffer {
    if (!this.resampler || frame.sampleRate !== this.sourceRate) {
      this.sourceRate = frame.sampleRate;
      this.resampler = createStreamResampler(frame.sampleRate, this.format.sampleRate);
    }
    const samples = this.resampler.push(frame.samples);
    return this.format.encoding === 'mulaw' ? Buffer.from(muLawEncode(samples)) : samplesToBytes(samples);
  }

  /** Duration of encoded bytes, in ms. */
  durationMs(bytes: number): number {
    const bytesPerSample = this.format.encoding === 'mulaw' ? 1 : 2;
    return (bytes / bytesPerSample / this.format.sampleRate) * 1000;
  }
}
