import WebSocket from 'ws';
import { aLawEncode, muLawEncode } from '../../../src/audio/g711.js';
import { bytesToSamples, samplesToBytes } from '../../../src/server/codec.js';
import { aLawDecode, muLawDecode } from '../../../src/audio/g711.js';

export type Encoding = 'mulaw' | 'alaw' | 'pcm16le' | 'pcm16be';

/** What the server sent, as the carrier understood it. */
export type ServerMessage =
  | { kind: 'media'; bytes: Buffer }
  | { kind: 'mark'; name: string }
  | { kind: 'clear' }
  | { kind: 'unexpected'; detail: string };

/**
 * One carrier's side of its documented WebSocket protocol, for `CarrierEmulator`: the messages it sends
 * and how it reads what the server sends. Each definition cites the carrier's docs (the same sources as
 * the server's serializers, read independently here).
 */
export interface CarrierWire {
  readonly path: string;
  readonly encoding: Encoding;
  readonly sampleRate: number;
  /** Messages on connect (connected + start). */
  opening(customParameters: Record<string, string>): (string | Buffer)[];
  media(bytes: Buffer, timestampMs: number, chunk: number): string | Buffer;
  dtmf(digit: string): string;
  /** The hang-up message, or undefined when the carrier just closes the socket. */
  stop(): string | undefined;
  read(data: Buffer, isBinary: boolean): ServerMessage;
  /** The echo of a played (or cleared) mark. */
  echo(name: string): string;
  /** Whether a clear makes the carrier echo the marks still pending (Twilio, Telnyx do). */
  readonly echoesMarksOnClear: boolean;
  /** A message the carrier sends when it has cleared its queue, if any. */
  readonly clearedAck?: string;
  /** Exact outbound chunk size the carrier requires, when it does (Vonage frames, Exotel 320-byte multiples). */
  readonly chunkBytes?: number;
}

export function encode(encoding: Encoding, samples: Int16Array): Buffer {
  switch (encoding) {
    case 'mulaw':
      return Buffer.from(muLawEncode(samples));
    case 'alaw':
      return Buffer.from(aLawEncode(samples));
    case 'pcm16le':
      return samplesToBytes(samples);
    case 'pcm16be':
      return Buffer.from(samplesToBytes(samples).swap16());
  }
}

export function decode(encoding: Encoding, bytes: Buffer): Int16Array {
  switch (encoding) {
    case 'mulaw':
      return muLawDecode(bytes);
    case 'alaw':
      return aLawDecode(bytes);
    case 'pcm16le':
      return bytesToSamples(bytes);
    case 'pcm16be':
      return bytesToSamples(Buffer.from(bytes).swap16());
  }
}

/**
 * Plays a carrier's side of a call: sends the opening, caller audio at real time in 20 ms frames, DTMF and
 * the hang-up; keeps the server's reply audio in a playback queue drained at real time, echoes each mark
 * when the playhead reaches it, and on clear drops the queue (echoing the pending marks when the carrier
 * does).
 */
export class CarrierEmulator {
  readonly media: { bytes: Buffer; atMs: number }[] = [];
  readonly marksSent: string[] = [];
  readonly marksEchoed: { name: string; cleared: boolean }[] = [];
  readonly clears: { atMs: number; playheadBytes: number }[] = [];
  readonly unexpected: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private queuedBytes = 0;
  private playheadBytes = 0;
  private pendingMarks: { name: string; position: number }[] = [];
  private readonly player: NodeJS.Timeout;
  private readonly t0 = Date.now();
  private lastTick = Date.now();
  private chunk = 0;
  readonly bytesPerMs: number;

  private constructor(
    readonly ws: WebSocket,
    readonly wire: CarrierWire,
  ) {
    this.bytesPerMs = (wire.sampleRate / 1000) * (wire.encoding === 'mulaw' || wire.encoding === 'alaw' ? 1 : 2);
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onServerMessage(wire.read(data, isBinary)));
    this.player = setInterval(() => this.tick(), 10);
    ws.once('close', () => clearInterval(this.player));
  }

  static open(baseUrl: string, wire: CarrierWire, headers: Record<string, string> = {}, query = ''): Promise<CarrierEmulator> {
    const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}${wire.path}${query}`, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new CarrierEmulator(ws, wire)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  get now(): number {
    return Date.now() - this.t0;
  }

  start(customParameters: Record<string, string> = {}): void {
    for (const message of this.wire.opening(customParameters)) this.send(message);
  }

  /** Streams caller audio (PCM16 at the carrier's rate) at real time in 20 ms frames. */
  async stream(samples: Int16Array, startTimestampMs = 0): Promise<number> {
    const frame = (this.wire.sampleRate / 1000) * 20;
    let ts = startTimestampMs;
    const began = Date.now();
    for (let offset = 0; offset < samples.length; offset += frame) {
      this.send(this.wire.media(encode(this.wire.encoding, samples.subarray(offset, offset + frame)), ts, ++this.chunk));
      ts += 20;
      const wait = began + (ts - startTimestampMs) - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    return ts;
  }

  dtmf(digit: string): void {
    this.send(this.wire.dtmf(digit));
  }

  /** Hangs up: the carrier's stop message, or closing the socket for carriers that have none. */
  hangUp(): void {
    const stop = this.wire.stop();
    if (stop) this.send(stop);
    else this.ws.close(1000);
  }

  private send(message: string | Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(message);
  }

  private onServerMessage(message: ServerMessage): void {
    switch (message.kind) {
      case 'media':
        if (this.wire.chunkBytes && message.bytes.length % this.wire.chunkBytes !== 0) this.unexpected.push(`media of ${message.bytes.length} bytes`);
        this.media.push({ bytes: message.bytes, atMs: this.now });
        this.queuedBytes += message.bytes.length;
        return;
      case 'mark':
        this.marksSent.push(message.name);
        this.pendingMarks.push({ name: message.name, position: this.queuedBytes });
        this.tick();
        return;
      case 'clear':
        this.tick();
        this.clears.push({ atMs: this.now, playheadBytes: this.playheadBytes });
        this.queuedBytes = this.playheadBytes;
        for (const mark of this.pendingMarks) if (this.wire.echoesMarksOnClear) this.echo(mark.name, true);
        this.pendingMarks = [];
        if (this.wire.clearedAck) this.send(this.wire.clearedAck);
        return;
      case 'unexpected':
        this.unexpected.push(message.detail);
        return;
    }
  }

  private tick(): void {
    const now = Date.now();
    this.playheadBytes = Math.min(this.queuedBytes, this.playheadBytes + (now - this.lastTick) * this.bytesPerMs);
    this.lastTick = now;
    while (this.pendingMarks.length > 0 && this.pendingMarks[0]!.position <= this.playheadBytes) {
      this.echo(this.pendingMarks.shift()!.name, false);
    }
  }

  private echo(name: string, cleared: boolean): void {
    this.marksEchoed.push({ name, cleared });
    this.send(this.wire.echo(name));
  }
}
