import { createHash } from 'node:crypto';

/**
 * What the sandbox "heard" in audio it already transcribed, by the audio's content. A client that
 * reconnects replays earlier user audio as `conversation.item.create` items (input_audio, no transcript);
 * recognising the same samples gives them the same words instead of the scenario's next utterance.
 */
export class HeardAudio {
  private readonly byHash = new Map<string, string>();

  constructor(private readonly capacity = 2000) {}

  private static key(samples: Int16Array): string {
    return createHash('sha1').update(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)).digest('hex');
  }

  remember(samples: Int16Array, transcript: string): void {
    if (samples.length === 0) return;
    const key = HeardAudio.key(samples);
    this.byHash.delete(key);
    this.byHash.set(key, transcript);
    if (this.byHash.size > this.capacity) {
      const oldest = this.byHash.keys().next().value;
      if (oldest !== undefined) this.byHash.delete(oldest);
    }
  }

  recall(samples: Int16Array): string | undefined {
    return samples.length === 0 ? undefined : this.byHash.get(HeardAudio.key(samples));
  }
}
