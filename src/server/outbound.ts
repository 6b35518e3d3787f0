import WebSocket from 'ws';

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

  /** Sends reply audio unless the client is behind; returns false when dropped. */
  sendAudio(data: Buffer | string, audioBytes: number): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.droppedAudioBytes += audioBytes;
      if (!this.warned) {
        this.warned = true;
        this.onFirstDrop();
      }
      this.checkOverflow();
      return false;
    }
    this.sentAudioBytes += audioBytes;
    this.batch();
    this.ws.send(data);
    this.track();
    return true;
  }

  /** Sends a (small) event; closes the session if even events stop draining. */
  sendEvent(data: string): void {
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
    process.nextTick(() => {
      this.corked = false;
      this.socket!.uncork(); // a no-op once the socket ended (end() flushes a corked socket itself)
    });
  }

  private track(): void {
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
