import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { wavHeader } from '../audio/wav.js';
import type { PipelineEvent } from '../events.js';
import { createStreamResampler, type StreamResampler } from './codec.js';
import type { RecordingOptions } from './types.js';

/**
 * Records one call as it goes: a stereo WAV (left = caller, right = assistant) and a JSONL turn log.
 *
 * The caller's audio is the clock (it arrives at real time). Reply audio arrives faster than real time, so
 * it waits in a queue and is laid on the right channel as caller time passes: the recording holds what the
 * caller heard, and a barge-in drops the rest of the queue just as the client's player does. Memory is the
 * queue (capped by `maxQueuedMs`) plus one write chunk; the file is written as frames arrive and the header
 * sizes are patched when the call ends.
 */
export class CallRecorder {
  readonly wavPath: string;
  readonly logPath: string;
  private readonly rate: number;
  private readonly maxQueued: number;
  private queue: Int16Array[] = [];
  private queued = 0;
  private dataBytes = 0;
  private readonly resamplers = new Map<string, StreamResampler>();
  private closed = false;

  private constructor(
    options: RecordingOptions,
    sessionId: string,
    private readonly wav: WriteStream,
    private readonly log: WriteStream,
  ) {
    this.rate = options.sampleRate ?? 16000;
    this.maxQueued = Math.round(((options.maxQueuedMs ?? 60_000) * this.rate) / 1000);
    this.wavPath = join(options.dir, `${sessionId}.wav`);
    this.logPath = join(options.dir, `${sessionId}.jsonl`);
  }

  static async open(options: RecordingOptions, sessionId: string): Promise<CallRecorder> {
    await mkdir(options.dir, { recursive: true });
    const wav = createWriteStream(join(options.dir, `${sessionId}.wav`));
    const log = createWriteStream(join(options.dir, `${sessionId}.jsonl`));
    const recorder = new CallRecorder(options, sessionId, wav, log);
    wav.write(wavHeader(0, recorder.rate, 2));
    return recorder;
  }

  caller(samples: Int16Array, sampleRate: number): void {
    if (this.closed) return;
    const left = this.resampler('caller', sampleRate).push(samples);
    this.writeStereo(left, this.take(left.length));
  }

  assistant(samples: Int16Array, sampleRate: number): void {
    if (this.closed) return;
    const chunk = this.resampler('assistant', sampleRate).push(samples);
    if (this.queued + chunk.length > this.maxQueued) return; // far ahead of the caller: not heard yet anyway
    this.queue.push(chunk);
    this.queued += chunk.length;
  }

  /** Barge-in: the client dropped its unplayed reply audio, so does the recording. */
  clearAssistant(): void {
    this.queue = [];
    this.queued = 0;
  }

  /** Adds the turn-log line for the events worth keeping (transcripts, replies, interruptions, errors). */
  event(event: PipelineEvent, atMs: number): void {
    if (this.closed) return;
    const line = turnLogLine(event);
    if (line) this.writeLine({ atMs, ...line });
  }

  note(entry: Readonly<Record<string, unknown>>, atMs: number): void {
    if (!this.closed) this.writeLine({ atMs, ...entry });
  }

  /** One turn-log line. A value that cannot be serialised (too deep, circular) is noted, never thrown. */
  private writeLine(value: Readonly<Record<string, unknown>>): void {
    let text: string;
    try {
      text = JSON.stringify(value);
    } catch {
      text = JSON.stringify({ atMs: value.atMs, unserialisable: typeof value.role === 'string' ? value.role : true });
    }
    this.log.write(`${text}\n`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // The reply still queued would have played after the caller's last frame.
    const rest = this.take(this.queued);
    this.writeStereo(new Int16Array(rest.length), rest);
    this.closed = true;
    this.wav.end();
    this.log.end();
    await Promise.all([once(this.wav, 'close'), once(this.log, 'close')]);
    const handle = await open(this.wavPath, 'r+');
    try {
      const header = wavHeader(this.dataBytes, this.rate, 2);
      await handle.write(header, 0, header.length, 0);
    } finally {
      await handle.close();
    }
  }

  private resampler(key: string, sampleRate: number): StreamResampler {
    const id = `${key}:${sampleRate}`;
    let resampler = this.resamplers.get(id);
    if (!resampler) {
      resampler = createStreamResampler(sampleRate, this.rate);
      this.resamplers.set(id, resampler);
    }
    return resampler;
  }

  private take(count: number): Int16Array {
    const out = new Int16Array(count);
    let filled = 0;
    while (filled < count && this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = Math.min(head.length, count - filled);
      out.set(head.subarray(0, n), filled);
      filled += n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
      this.queued -= n;
    }
    return out;
  }

  private writeStereo(left: Int16Array, right: Int16Array): void {
    if (left.length === 0) return;
    const buf = Buffer.alloc(left.length * 4);
    for (let i = 0; i < left.length; i++) {
      buf.writeInt16LE(left[i]!, i * 4);
      buf.writeInt16LE(right[i] ?? 0, i * 4 + 2);
    }
    this.dataBytes += buf.length;
    this.wav.write(buf);
  }
}

function turnLogLine(event: PipelineEvent): Record<string, unknown> | undefined {
  switch (event.type) {
    case 'transcript':
      return event.final ? { turnId: event.turnId, role: 'user', text: event.text, language: event.language } : undefined;
    case 'assistant.done':
      return { turnId: event.turnId, role: 'assistant', text: event.text, finishReason: event.finishReason };
    case 'tool.call':
      return { turnId: event.turnId, role: 'tool_call', name: event.name, arguments: event.arguments };
    case 'tool.result':
      return { turnId: event.turnId, role: 'tool_result', name: event.name, output: event.output, isError: event.isError };
    case 'interruption':
      return { turnId: event.turnId, role: 'interruption', byTurnId: event.byTurnId, playedMs: event.playedMs, heardText: event.heardText };
    case 'error':
      return { turnId: event.turnId, role: 'error', code: event.code, stage: event.stage, message: event.message };
    case 'cost':
      return { turnId: event.turnId, role: 'cost', usd: event.usd, byStage: event.byStage, callUsd: event.callUsd, usage: event.usage };
    default:
      return undefined;
  }
}
