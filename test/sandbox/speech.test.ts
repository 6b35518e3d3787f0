import { describe, expect, it } from 'vitest';
import { clearSpeechCache, espeakVoiceFor, estimateAlignment, splitForSynthesis, synthesizeSpeech } from '../../src/sandbox/speech.js';

function rms(samples: Int16Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (samples[i] ?? 0) ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
}

function durationMs(samples: Int16Array, rate: number): number {
  return (samples.length * 1000) / rate;
}

describe('synthesizeSpeech (espeak-ng WASM)', () => {
  it('produces loud speech whose duration grows with the text', async () => {
    const short = await synthesizeSpeech('Hello.', 16000);
    const long = await synthesizeSpeech('Hello. This sentence is a good deal longer than the first one was.', 16000);
    expect(short.sampleRate).toBe(16000);
    expect(durationMs(short.samples, 16000)).toBeGreaterThan(300);
    expect(durationMs(long.samples, 16000)).toBeGreaterThan(3 * durationMs(short.samples, 16000));
    expect(rms(long.samples)).toBeGreaterThan(1000);
  });

  it('returns the same duration at every requested sample rate', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const durations = [];
    for (const rate of [8000, 16000, 22050, 24000, 44100] as const) {
      const speech = await synthesizeSpeech(text, rate);
      expect(speech.sampleRate).toBe(rate);
      expect(rms(speech.samples)).toBeGreaterThan(500);
      durations.push(durationMs(speech.samples, rate));
    }
    for (const d of durations) expect(Math.abs(d - (durations[0] ?? 0))).toBeLessThan(1);
  });

  it('restores a clean engine for every run: a fresh synthesis equals the first one', async () => {
    clearSpeechCache();
    const first = await synthesizeSpeech('Repeat after me, please.', 22050);
    await synthesizeSpeech('Quelque chose de tout à fait différent.', 22050, { language: 'fr' });
    clearSpeechCache();
    const again = await synthesizeSpeech('Repeat after me, please.', 22050);
    expect(again.samples).toEqual(first.samples);
  });

  it('speaks faster with a higher speed and picks the voice from the language', async () => {
    const text = 'Speed changes how long this takes to say.';
    const normal = await synthesizeSpeech(text, 16000);
    const fast = await synthesizeSpeech(text, 16000, { speed: 1.2 });
    expect(fast.samples.length).toBeLessThan(normal.samples.length * 0.92);

    const english = await synthesizeSpeech('Paris', 16000, { language: 'en' });
    const french = await synthesizeSpeech('Paris', 16000, { language: 'fr-FR' });
    expect(french.samples).not.toEqual(english.samples);
    expect(await espeakVoiceFor('en')).toBe('gmw/en-US');
    expect(await espeakVoiceFor('en-GB')).toBe('gmw/en-GB-x-rp');
    expect(await espeakVoiceFor('de-DE')).toBe('gmw/de');
    expect(await espeakVoiceFor('pt-BR')).toBe('roa/pt-BR');
    expect(await espeakVoiceFor('xx-unknown')).toBe('gmw/en-US');
  });

  it('speaks text that looks like a command-line option instead of obeying it', async () => {
    const speech = await synthesizeSpeech('-v fr --help', 16000);
    expect(rms(speech.samples)).toBeGreaterThan(500);
    expect(durationMs(speech.samples, 16000)).toBeGreaterThan(500);
  });

  it('synthesizes long text piece by piece, with one alignment over the whole audio', async () => {
    const sentence = 'Every sentence here is part of a long answer, read in several pieces. ';
    const text = sentence.repeat(8);
    const pieces = splitForSynthesis(text, 150);
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces.slice(0, -1)) expect(piece.endsWith('. ')).toBe(true);

    const speech = await synthesizeSpeech(text, 16000);
    const single = await synthesizeSpeech(sentence, 16000);
    expect(speech.samples.length).toBeGreaterThan(6 * single.samples.length);
    expect(speech.alignment.chars.join('')).toBe(text);
    const { charStartMs, charDurationMs } = speech.alignment;
    for (let i = 1; i < charStartMs.length; i++) expect(charStartMs[i]).toBeGreaterThanOrEqual((charStartMs[i - 1] ?? 0) + (charDurationMs[i - 1] ?? 0) - 1);
    expect(charStartMs.at(-1)).toBeLessThan(durationMs(speech.samples, 16000));
  });

  it('returns no audio and no alignment for empty text', async () => {
    const speech = await synthesizeSpeech('', 16000);
    expect(speech.samples.length).toBe(0);
    expect(speech.alignment.chars).toEqual([]);
    const blank = await synthesizeSpeech('   ', 16000);
    expect(blank.samples.length).toBe(0);
    expect(blank.alignment.chars).toEqual([' ', ' ', ' ']);
  });
});

describe('character alignment', () => {
  it('covers every character with contiguous whole-ms times inside the audio', async () => {
    const text = 'Hello there, how are you today? I am fine.';
    const speech = await synthesizeSpeech(text, 24000);
    const { chars, charStartMs, charDurationMs } = speech.alignment;
    expect(chars).toEqual([...text]);
    expect(charStartMs).toHaveLength(chars.length);
    for (let i = 0; i < chars.length; i++) {
      expect(Number.isInteger(charStartMs[i])).toBe(true);
      expect(charDurationMs[i]).toBeGreaterThanOrEqual(0);
      if (i > 0) expect(charStartMs[i]).toBe((charStartMs[i - 1] ?? 0) + (charDurationMs[i - 1] ?? 0));
    }
    const end = (charStartMs.at(-1) ?? 0) + (charDurationMs.at(-1) ?? 0);
    expect(end).toBeLessThanOrEqual(Math.ceil(durationMs(speech.samples, 24000)));
  });

  it('puts the pause after a comma where the audio is silent', async () => {
    const text = 'Hello there, how are you today?';
    const speech = await synthesizeSpeech(text, 16000);
    const { charStartMs, charDurationMs } = speech.alignment;
    const at = (ms: number): number => Math.round((ms * 16000) / 1000);
    const comma = text.indexOf(',');
    const pauseFrom = charStartMs[comma] ?? 0;
    const pauseTo = (charStartMs[comma + 1] ?? 0) + (charDurationMs[comma + 1] ?? 0);
    const wordFrom = charStartMs[0] ?? 0;
    const wordTo = charStartMs[5] ?? 0;
    expect(pauseTo - pauseFrom).toBeGreaterThan(50);
    expect(rms(speech.samples, at(pauseFrom), at(pauseTo))).toBeLessThan(rms(speech.samples, at(wordFrom), at(wordTo)) / 5);
  });

  it('spreads time by character class when the audio shows no pauses', () => {
    const samples = new Int16Array(16000).map((_, i) => Math.round(8000 * Math.sin(i / 5)));
    const alignment = estimateAlignment('ab cd', samples, 16000);
    expect(alignment.charStartMs[0]).toBe(0);
    // Letters weigh more than the space.
    expect(alignment.charDurationMs[0]).toBeGreaterThan(alignment.charDurationMs[2] ?? Infinity);
    expect((alignment.charStartMs[4] ?? 0) + (alignment.charDurationMs[4] ?? 0)).toBe(1000);
  });
});
