import WebSocket from 'ws';

export interface OutboundMedia {
  readonly bytes: Buffer;
  readonly atMs: number;
}

/**
 * Plays Twilio's side of a bidirectional Media Stream (Twilio Media Streams WebSocket messages docs): sends `connected`, `start`, then
 * caller audio as 20 ms mu-law `media` messages with string sequence numbers, chunks and timestamps; keeps
 * the server's reply audio in a playback queue drained at 8 bytes/ms, echoes each `mark` when the playhead
 * reaches it, and on `clear` drops the queue and echoes the pending marks.
 */
export class TwilioEmulator {
  readonly streamSid = 'MZ00000000000000000000000000000001';
  readonly callSid = 'CA00000000000000000000000000000001';
  readonly media: OutboundMedia[] = [];
  readonly marksSent: string[] = [];
  readonly marksEchoed: { name: string; cleared: boolean; playheadBytes: number }[] = [];
  readonly clears: { atMs: number; playheadBytes: number }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private sequence = 0;
  private chunk = 0;
  private queuedBytes = 0;
  private playheadBytes = 0;
  private pendingMarks: { name: string; position: number }[] = [];
  private readonly player: NodeJS.Timeout;
  private readonly t0 = Date.now();
  private lastTick = Date.now();

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer) => this.onServerMessage(JSON.parse(data.toString()) as Record<string, any>));
    this.player = setInterval(() => this.tick(), 10);
    ws.once('close', () => clearInterval(this.player));
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<TwilioEmulator> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TwilioEmulator(ws)));
      ws.once('error', reject);
    });
  }

  get now(): number {
    return Date.now() - this.t0;
  }

  get playedBytes(): number {
    return this.playheadBytes;
  }

  start(customParameters: Record<string, string> = {}, mediaFormat = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.send({
      event: 'start',
      sequenceNumber: String(++this.sequence),
      start: { accountSid: 'AC0000', streamSid: this.streamSid, callSid: this.callSid, tracks: ['inbound'], customParameters, mediaFormat },
      streamSid: this.streamSid,
    });
  }

  /** One 20 ms media message; `timestampMs` lets a test leave a gap as packet loss would. */
  sendMedia(mulaw: Uint8Array, timestampMs: number): void {
    this.send({
      event: 'media',
      sequenceNumber: String(++this.sequence),
      media: { track: 'inbound', chunk: String(++this.chunk), timestamp: String(timestampMs), payload: Buffer.from(mulaw).toString('base64') },
      streamSid: this.streamSid,
    });
  }

  /** Streams caller audio at real time in 20 ms frames, as Twilio does. */
  async stream(mulaw: Uint8Array, startTimestampMs = 0): Promise<number> {
    let ts = startTimestampMs;
    const began = Date.now();
    for (let offset = 0; offset < mulaw.length; offset += 160) {
      this.sendMedia(mulaw.subarray(offset, offset + 160), ts);
      ts += 20;
      const wait = began + (ts - startTimestampMs) - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    return ts;
  }

  dtmf(digit: string): void {
    this.send({ event: 'dtmf', streamSid: this.streamSid, sequenceNumber: String(++this.sequence), dtmf: { track: 'inbound_track', digit } });
  }

  stop(): void {
    this.send({ event: 'stop', sequenceNumber: String(++this.sequence), stop: { accountSid: 'AC0000', callSid: this.callSid }, streamSid: this.streamSid });
  }

  private send(message: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private onServerMessage(message: Record<string, any>): void {
    if (message.streamSid !== this.streamSid) throw new Error(`message without the stream sid: ${JSON.stringify(message)}`);
    switch (message.event) {
      case 'media': {
        const bytes = Buffer.from(String(message.media.payload), 'base64');
        this.media.push({ bytes, atMs: this.now });
        this.queuedBytes += bytes.length;
        return;
      }
      case 'mark':
        this.marksSent.push(String(message.mark.name));
        this.pendingMarks.push({ name: String(message.mark.name), position: this.queuedBytes });
        this.tick();
        return;
      case 'clear':
        this.tick();
        this.clears.push({ atMs: this.now, playheadBytes: this.playheadBytes });
        this.queuedBytes = this.playheadBytes;
        for (const mark of this.pendingMarks) this.echo(mark.name, true);
        this.pendingMarks = [];
        return;
      default:
        throw new Error(`unexpected event ${String(message.event)}`);
    }
  }

  private tick(): void {
    const now = Date.now();
    this.playheadBytes = Math.min(this.queuedBytes, this.playheadBytes + (now - this.lastTick) * 8);
    this.lastTick = now;
    while (this.pendingMarks.length > 0 && this.pendingMarks[0]!.position <= this.playheadBytes) {
      this.echo(this.pendingMarks.shift()!.name, false);
    }
  }

  private echo(name: string, cleared: boolean): void {
    this.marksEchoed.push({ name, cleared, playheadBytes: this.playheadBytes });
    this.send({ event: 'mark', sequenceNumber: String(++this.sequence), streamSid: this.streamSid, mark: { name } });
  }
}
