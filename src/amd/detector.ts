/**
 * Answering-machine detection on an outbound call: human or machine within a few seconds of the answer,
 * from what the callee's side sounds like. Three cues, as carriers' own AMD uses them:
 *
 * - **greeting length and shape**: a person says something short ("Hello?") and waits; a machine talks on
 *   (a greeting of several seconds with only short pauses);
 * - **wording**: a transcript of the greeting with voicemail phrases ("leave a message", "after the tone",
 *   "not available", "voicemail", "you've reached") means a machine, whatever its length;
 * - **the beep**: a sustained pure tone (one frequency holding most of the energy for 150 ms or more) is
 *   the machine's recording signal; after it, leave the message.
 *
 * The carrier's own verdict (Twilio `AnsweredBy`) wins when it arrives. Audio time comes from the samples
 * pushed (never the wall clock), so the detector is deterministic on a fixture. Memory is constant.
 */

export type AnsweredBy = 'human' | 'machine' | 'unknown';
export type AmdReason = 'short_greeting' | 'long_greeting' | 'wording' | 'beep' | 'carrier' | 'silence' | 'timeout';

export interface AmdDecision {
  readonly answeredBy: AnsweredBy;
  readonly reason: AmdReason;
  /** Audio time (ms since the answer) when the decision was made. */
  readonly atMs: number;
}

export interface AmdOptions {
  /** A greeting longer than this (speech with pauses shorter than `endOfGreetingMs`) is a machine; default 2200 ms. */
  readonly maxHumanGreetingMs?: number;
  /** Silence after speech that ends the greeting (a person waiting for an answer); default 800 ms. */
  readonly endOfGreetingMs?: number;
  /** No speech at all for this long: `unknown` (reason `silence`); default 5000 ms. */
  readonly silenceTimeoutMs?: number;
  /** No decision by then: `unknown` (reason `timeout`); default 8000 ms. */
  readonly decisionTimeoutMs?: number;
  /** Frame RMS (PCM16) above which a frame counts as sound; default 500. */
  readonly speechRms?: number;
  /** Shortest tone that counts as a beep; default 150 ms. */
  readonly minBeepMs?: number;
}

/** Phrases of voicemail greetings (lower case, apostrophes straightened). */
export const MACHINE_PHRASES = [
  'leave a message',
  'leave your message',
  'leave me a message',
  'after the tone',
  'after the beep',
  'at the tone',
  'not available',
  'unavailable',
  "can't take your call",
  "can't come to the phone",
  'cannot take your call',
  'voicemail',
  'voice mail',
  "you've reached",
  'you have reached',
  'record your message',
  'mailbox',
];

/** True when a transcript reads like a voicemail greeting. */
export function soundsLikeVoicemail(text: string): boolean {
  const normal = text.toLowerCase().replace(/[’`]/g, "'");
  return MACHINE_PHRASES.some((phrase) => normal.includes(phrase));
}

const BEEP_FREQS = Array.from({ length: 33 }, (_, i) => 400 + i * 50); // 400..2000 Hz

/** Goertzel power of `freq` in the frame, normalised to the frame's energy (1 = a pure tone at `freq`). */
function toneShare(samples: Int16Array, sampleRate: number, freq: number, energy: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy > 0 ? (2 * power) / (samples.length * samples.length * energy) : 0;
}

/**
 * Feed it the callee's audio from the moment the call is answered (`push`), and transcripts when you have
 * them (`transcript`); each returns the decision once one is made (then the same decision again). `beepAtMs`
 * is set when a beep ends (keep pushing after a machine verdict to learn it).
 */
export class AnsweringMachineDetector {
  private readonly o: Required<AmdOptions>;
  private decision: AmdDecision | undefined;
  private ms = 0;
  private speechStartMs: number | undefined;
  private lastSoundMs: number | undefined;
  private toneFreq = 0;
  private toneMs = 0;
  /** When the last beep ended (audio time), once one was heard. */
  beepAtMs: number | undefined;

  constructor(options: AmdOptions = {}) {
    this.o = {
      maxHumanGreetingMs: options.maxHumanGreetingMs ?? 2200,
      endOfGreetingMs: options.endOfGreetingMs ?? 800,
      silenceTimeoutMs: options.silenceTimeoutMs ?? 5000,
      decisionTimeoutMs: options.decisionTimeoutMs ?? 8000,
      speechRms: options.speechRms ?? 500,
      minBeepMs: options.minBeepMs ?? 150,
    };
  }

  get result(): AmdDecision | undefined {
    return this.decision;
  }

  /** Audio of the callee's side (any chunk size; 20 ms frames are typical). */
  push(samples: Int16Array, sampleRate: number): AmdDecision | undefined {
    const frameLen = Math.max(1, Math.round(sampleRate / 50)); // analyse in 20 ms frames
    for (let offset = 0; offset < samples.length; offset += frameLen) this.frame(samples.subarray(offset, offset + frameLen), sampleRate);
    return this.decision;
  }

  /** A (partial or final) transcript of the callee's greeting. */
  transcript(text: string): AmdDecision | undefined {
    if (soundsLikeVoicemail(text)) this.decide('machine', 'wording');
    return this.decision;
  }

  /** The carrier's own AMD result (Twilio AnsweredBy: human, machine_start, machine_end_beep, fax, unknown). */
  carrier(answeredBy: string): AmdDecision | undefined {
    const verdict: AnsweredBy | undefined = answeredBy === 'human' ? 'human' : answeredBy.startsWith('machine') || answeredBy === 'fax' ? 'machine' : undefined;
    if (verdict) this.decision = { answeredBy: verdict, reason: 'carrier', atMs: this.ms };
    return this.decision;
  }

  private decide(answeredBy: AnsweredBy, reason: AmdReason): void {
    this.decision ??= { answeredBy, reason, atMs: Math.round(this.ms) };
  }

  private frame(samples: Int16Array, sampleRate: number): void {
    const durationMs = (samples.length * 1000) / sampleRate;
    let sum = 0;
    for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
    const energy = sum / Math.max(1, samples.length);
    const loud = Math.sqrt(energy) > this.o.speechRms;
    this.ms += durationMs;
    // The beep: one frequency carrying most of the energy, frame after frame.
    let beeping = false;
    if (loud && samples.length >= sampleRate / 100) {
      let best = 0;
      let bestFreq = 0;
      for (const f of BEEP_FREQS) {
        const share = toneShare(samples, sampleRate, f, energy);
        if (share > best) [best, bestFreq] = [share, f];
      }
      beeping = best > 0.7 && (this.toneMs === 0 || Math.abs(bestFreq - this.toneFreq) <= 50);
      if (beeping) {
        this.toneFreq = bestFreq;
        this.toneMs += durationMs;
      }
    }
    if (!beeping) {
      if (this.toneMs >= this.o.minBeepMs) {
        this.beepAtMs = Math.round(this.ms - durationMs);
        this.decide('machine', 'beep');
      }
      this.toneMs = 0;
    }
    if (this.decision) return;
    if (loud && !beeping) {
      this.speechStartMs ??= this.ms - durationMs;
      this.lastSoundMs = this.ms;
      if (this.ms - this.speechStartMs > this.o.maxHumanGreetingMs) this.decide('machine', 'long_greeting');
    } else if (this.lastSoundMs !== undefined && this.ms - this.lastSoundMs >= this.o.endOfGreetingMs) {
      this.decide('human', 'short_greeting');
    }
    if (this.speechStartMs === undefined && this.ms >= this.o.silenceTimeoutMs) this.decide('unknown', 'silence');
    if (this.ms >= this.o.decisionTimeoutMs) this.decide('unknown', 'timeout');
  }
}
