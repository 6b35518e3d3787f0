import WebSocket from 'ws';

/**
 * Everything a session sends goes through here, so one slow client cannot grow the server's memory:
 * `ws.bufferedAmount` is checked before each send. Above `maxBufferedBytes` reply audio is dropped (and
 * counted); above twice that, even small events no longer drain, so the session is closed with 1008.
 */
export class OutboundGate {
  maxBufferedAmount = 0;
  droppedAudioBytes = 0;
  sentAudioBytes = 0;
  private warned = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
    /** Called once, the first time audio is dropped. */
    private readonly onFirstDrop: () => void,
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
    this.ws.send(data);
    this.track();
    return true;
  }

  /** Sends a (small) event; closes the session if even events stop draining. */
  sendEvent(data: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.checkOverflow()) return;
    this.ws.send(data);
    this.track();
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
