import WebSocket from 'ws';

/** One merged reply-audio message at most (0.5 s of 16 kHz PCM16; a TTS chunk is usually ~8 KB). */
const MAX_MERGED_BYTES = 16 * 1024;
/**
 * Corked bytes above which the tick's sends are written at once: a reply handed over whole (a non-streaming
 * TTS) must reach the kernel's buffer as before, not sit in ours and count against `maxBufferedBytes`.
 */
const MAX_CORKED_BYTES = 64 * 1024;

/** The connection under a WebSocket (the socket `server.on('upgrade')` hands over). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Everything a session sends goes through here, so one slow client cannot grow the server's memory:
 * `ws.bufferedAmount` is checked before each send. Above `maxBufferedBytes` reply audio is dropped (and
 * counted); above twice that, even small events no longer drain, so the session is closed with 1008.
 *
 * With the socket given, everything sent in one synchronous burst (a TTS chunk becomes ~12 reply frames
 * at once) leaves in one `writev` at the end of the tick instead of one syscall per message.
 */
export class OutboundGate {
  maxBufferedAmount = 0;
  droppedAudioBytes = 0;
  sentAudioBytes = 0;
  private warned = false;
  private corked = false;
  /** Reply audio queued by `queueAudio` this tick, sent as one message before anything else goes out. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
    /** Called once, the first time audio is dropped. */
    private readonly onFirstDrop: () => void,
    private readonly socket?: Corkable,
  ) {}

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /**
   * Reply audio for a transport whose binary messages may be any size (the rxvoice protocol): the frames
   * of one tick (a TTS chunk gives ~12) leave as one message at the end of the tick, or before the next
   * event, so the order on the wire is unchanged. One frame per message cost ws framing on both ends.
   */
  queueAudio(data: Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // The cap counts what waits here too: the socket never holds more than the cap plus one frame.
    if (this.ws.bufferedAmount + this.pendingBytes > this.maxBufferedBytes) return this.drop(data.length);
    if (this.pending.length === 0) process.nextTick(() => this.flushAudio());
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= MAX_MERGED_BYTES) this.flushAudio();
  }

  /** Sends the audio `queueAudio` holds (called before every other send, and by the transport on close). */
  flushAudio(): void {
    if (this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.sentAudioBytes += data.length;
    this.batch();
    this.ws.send(data);
    this.track();
  }

  /** Sends reply audio unless the client is behind; returns false when dropped. */
  sendAudio(data: Buffer | string, audioBytes: number): boolean {
    this.flushAudio();
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.drop(audioBytes);
      return false;
    }
    this.sentAudioBytes += audioBytes;
    this.batch();
    this.ws.send(data);
    this.track();
    return true;
  }

  private drop(audioBytes: number): void {
    this.droppedAudioBytes += audioBytes;
    if (!this.warned) {
      this.warned = true;
      this.onFirstDrop();
    }
    this.checkOverflow();
  }

  /** Sends a (small) event; closes the session if even events stop draining. */
  sendEvent(data: string): void {
    this.flushAudio();
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.checkOverflow()) return;
    this.batch();
    this.ws.send(data);
    this.track();
  }

  /** Holds this tick's sends in the socket and flushes them together on the next tick. */
  private batch(): void {
    if (this.corked || !this.socket) return;
    this.corked = true;
    this.socket.cork();
    // Each cork gets one uncork: here, or earlier from `track` (then this call finds nothing to do).
    process.nextTick(() => this.uncork());
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket!.uncork(); // a no-op once the socket ended (end() flushes a corked socket itself)
  }

  private track(): void {
    if (this.corked && this.ws.bufferedAmount >= MAX_CORKED_BYTES) this.uncork();
    this.maxBufferedAmount = Math.max(this.maxBufferedAmount, this.ws.bufferedAmount);
  }

  private checkOverflow(): boolean {
    if (this.ws.bufferedAmount <= 2 * this.maxBufferedBytes) return false;
    // close() cannot flush through a full buffer: terminate frees the queued data now.
    this.ws.close(1008, 'outbound buffer overflow: client is not reading');
    setTimeout(() => this.ws.terminate(), 1000).unref();
    return true;
  }
}
