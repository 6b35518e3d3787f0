import { describe, expect, it } from 'vitest';
import { AudioDecoder } from '../../src/providers/elevenlabs/audio.js';
import { parseStreamMessage } from '../../src/providers/elevenlabs/message.js';
import { PCM16_16K } from '../../src/audio/format.js';
import { createReply, takeAudio } from '../../src/tts/reply.js';

const pcm = Buffer.from(Int16Array.from({ length: 700 }, (_, i) => (i * 97) % 30000 - 15000).buffer);
const alignment = { chars: ['H', 'i'], charStartTimesMs: [0, 10], charDurationsMs: [10, 10] };

describe('parseStreamMessage (ElevenLabs stream-input)', () => {
  it('cuts the audio out of an audio-first message and parses the rest', () => {
    const raw = Buffer.from(JSON.stringify({ audio: pcm.toString('base64'), isFinal: null, alignment, normalizedAlignment: null }));
    const { fields, audio } = parseStreamMessage(raw);
    expect(Buffer.compare(audio!, pcm)).toBe(0);
    expect(fields).toEqual({ audio: '', isFinal: null, alignment, normalizedAlignment: null });
  });

  it('parses other orders, escaped base64, fragments and audio-less messages the same way', () => {
    const b64 = pcm.toString('base64');
    const escaped = Buffer.from(`{"audio":"${b64.replace(/\//g, '\\/')}","isFinal":null}`);
    expect(Buffer.compare(parseStreamMessage(escaped).audio!, pcm)).toBe(0);
    const later = Buffer.from(JSON.stringify({ isFinal: null, audio: b64 }));
    expect(Buffer.compare(parseStreamMessage(later).audio!, pcm)).toBe(0);
    const whole = Buffer.from(JSON.stringify({ audio: b64, isFinal: false }));
    const parts = [whole.subarray(0, 5), whole.subarray(5)];
    expect(Buffer.compare(parseStreamMessage(parts).audio!, pcm)).toBe(0);
    expect(parseStreamMessage(Buffer.from('{"audio":"","isFinal":true}'))).toEqual({ fields: { audio: '', isFinal: true } });
    expect(parseStreamMessage(Buffer.from('{"isFinal":true}'))).toEqual({ fields: { isFinal: true } });
    expect(() => parseStreamMessage(Buffer.from('{"audio":"AAAA",oops'))).toThrow();
  });
});

describe('AudioDecoder.pushOwned', () => {
  it('gives the same samples as push across odd chunk boundaries', () => {
    const a = new AudioDecoder(PCM16_16K);
    const b = new AudioDecoder(PCM16_16K);
    const cuts = [0, 3, 4, 101, 700, 1399, 1400];
    const viaPush: number[] = [];
    const viaOwned: number[] = [];
    for (let i = 1; i < cuts.length; i++) {
      const piece = pcm.subarray(cuts[i - 1], cuts[i]);
      viaPush.push(...a.push(piece));
      viaOwned.push(...b.pushOwned(Buffer.from(piece)));
    }
    expect(viaOwned).toEqual(viaPush);
    expect(viaOwned).toEqual([...new Int16Array(pcm.buffer, pcm.byteOffset, 700)]);
  });
});

describe('takeAudio', () => {
  it('cuts chunks of any size into whole frames in order, the rest pending', () => {
    const reply = createReply('t1', 'Hi', true);
    reply.sampleRate = 16000;
    const all = Int16Array.from({ length: 2000 }, (_, i) => i);
    const sizes = [100, 150, 700, 1, 320, 729];
    const frames: Int16Array[] = [];
    let at = 0;
    for (const n of sizes) {
      frames.push(...takeAudio(reply, { samples: all.slice(at, at + n), sampleRate: 16000 }, 20));
      at += n;
    }
    expect(frames.every((f) => f.length === 320)).toBe(true);
    expect(frames.length).toBe(6);
    expect([...frames.flatMap((f) => [...f]), ...reply.pending]).toEqual([...all]);
    expect(reply.samplesIn).toBe(2000);
  });
});
