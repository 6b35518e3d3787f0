import { ReplaySubject, type Subscription } from 'rxjs';
import type { AudioFrame, SampleRate } from '../audio/frame.js';
import { concatSamples } from '../audio/pcm.js';
import type { SynthesisChunk } from '../providers/types.js';
import type { TimedChar } from '../text/heard.js';

/** One reply being (or waiting to be) spoken by the `tts` operator: its text, its audio so far, its timing. */
export interface Reply {
  readonly turnId: string;
  /** The text handed to the synthesizer so far. */
  text: string;
  /** Streamed mode: the reply's text pieces; replayed to the synthesis when it starts. */
  readonly input?: ReplaySubject<string>;
  state: 'queued' | 'running' | 'finished';
  subscription?: Subscription;
  requestAt: number;
  /** Opened at the transcript, before any text: the first-byte clock starts at the first text. */
  early?: boolean;
  firstByte: boolean;
  /** Audio received, in samples (alignment offsets). */
  samplesIn: number;
  /** Audio emitted as frames, in samples. */
  samplesOut: number;
  seq: number;
  sampleRate?: SampleRate;
  pending: Int16Array;
  readonly timeline: TimedChar[];
  /** Timeline entries before this index start before the audio emitted so far (no later frame has them). */
  timelineDone: number;
  /** For a resumed reply: what was heard before the cut, and how long it played. */
  readonly heardBefore: string;
  readonly playedBefore: number;
  /** Set on a resumed reply: the caller turn whose false interruption it resumes after. */
  readonly resumedBy?: string;
}

export function createReply(turnId: string, text: string, streamed: boolean, before?: { heard: string; playedMs: number; by: string }): Reply {
  return {
    turnId,
    text,
    ...(streamed ? { input: new ReplaySubject<string>() } : {}),
    state: 'queued',
    requestAt: 0,
    firstByte: false,
    samplesIn: 0,
    samplesOut: 0,
    seq: 0,
    pending: new Int16Array(0),
    timeline: [],
    timelineDone: 0,
    heardBefore: before?.heard ?? '',
    playedBefore: before?.playedMs ?? 0,
    ...(before ? { resumedBy: before.by } : {}),
  };
}

/**
 * Takes a synthesis chunk into the reply: its alignment onto the reply's timeline, its audio into whole
 * frames of `frameMs` (the rest waits in `pending` for the next chunk). Returns the frames' samples.
 */
export function takeAudio(reply: Reply, chunk: SynthesisChunk, frameMs: number): Int16Array[] {
  const rate = reply.sampleRate!;
  const offsetMs = (reply.samplesIn * 1000) / rate;
  const a = chunk.alignment;
  if (a) {
    for (let i = 0; i < a.chars.length; i++) {
      const start = offsetMs + (a.charStartMs[i] ?? 0);
      reply.timeline.push({ char: a.chars[i]!, startMs: start, endMs: start + (a.charDurationMs[i] ?? 0) });
    }
  }
  const samples = chunk.samples;
  reply.samplesIn += samples.length;
  const frameSamples = Math.max(1, Math.round((rate * frameMs) / 1000));
  const frames: Int16Array[] = [];
  let at = 0;
  const held = reply.pending.length;
  if (held > 0) {
    if (held + samples.length < frameSamples) {
      reply.pending = concatSamples([reply.pending, samples]);
      return frames;
    }
    // The one frame that straddles two chunks is a copy; every other frame is a view of the chunk.
    const first = new Int16Array(frameSamples);
    first.set(reply.pending);
    at = frameSamples - held;
    first.set(samples.subarray(0, at), held);
    frames.push(first);
  }
  for (; at + frameSamples <= samples.length; at += frameSamples) frames.push(samples.subarray(at, at + frameSamples));
  // Frames are immutable by convention, so views of the chunk are safe (the chunk is the synthesizer's own).
  reply.pending = samples.subarray(at);
  return frames;
}

/** The next frame of the reply, with the aligned characters that start in it. */
export function cutFrame(reply: Reply, samples: Int16Array): { frame: AudioFrame; text: string; durationMs: number } {
  const rate = reply.sampleRate!;
  const startMs = (reply.samplesOut * 1000) / rate;
  const endMs = ((reply.samplesOut + samples.length) * 1000) / rate;
  const frame: AudioFrame = { samples, sampleRate: rate, startMs, seq: reply.seq++ };
  reply.samplesOut += samples.length;
  // Frames only move forward, so the prefix of the timeline that starts before this frame's end is never
  // needed again: skip it (was a filter over the whole reply's timeline per frame).
  const timeline = reply.timeline;
  let text = '';
  for (let i = reply.timelineDone; i < timeline.length; i++) {
    const c = timeline[i]!;
    if (c.startMs >= startMs && c.startMs < endMs) text += c.char;
  }
  while (reply.timelineDone < timeline.length && timeline[reply.timelineDone]!.startMs < endMs) reply.timelineDone++;
  return { frame, text, durationMs: endMs - startMs };
}

/** What was heard before a cut and after it, as one text. */
export function joinHeard(before: string, after: string): string {
  if (before === '') return after;
  if (after === '') return before;
  return `${before.trimEnd()} ${after.trimStart()}`;
}
