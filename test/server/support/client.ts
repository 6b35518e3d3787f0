import WebSocket from 'ws';

export interface Received {
  readonly json: Record<string, unknown>[];
  /** Every message in arrival order: JSON objects, or `{ binary: bytes }` for audio. */
  readonly all: ({ json: Record<string, unknown> } | { binary: number })[];
  audioBytes: number;
  readonly audio: Buffer[];
}

/** A WebSocket client that records what it gets and can wait for a message or the close. */
export class TestClient {
  readonly received: Received = { json: [], all: [], audioBytes: 0, audio: [] };
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.received.audioBytes += data.length;
        this.received.audio.push(Buffer.from(data));
        this.received.all.push({ binary: data.length });
        return;
      }
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      this.received.json.push(message);
      this.received.all.push({ json: message });
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(message)) return true;
        w.resolve(message);
        return false;
      });
    });
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
    });
  }

  /** Resolves with the first (past or future) JSON message that matches. */
  waitFor(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    const seen = this.received.json.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }

  types(): string[] {
    return this.received.json.map((m) => String(m.type ?? m.event));
  }
}

/** Tries an upgrade that should be refused: resolves with the HTTP status and body. */
export function expectRefused(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url, options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => reject(err));
  });
}

export function pcmBytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** Sends audio in 20 ms pieces; `paceMs` waits between pieces (0: as fast as the socket takes it). */
export async function sendAudio(client: TestClient, bytes: Buffer, pieceBytes: number, paceMs = 0): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += pieceBytes) {
    client.ws.send(bytes.subarray(offset, offset + pieceBytes));
    if (paceMs > 0) await new Promise((r) => setTimeout(r, paceMs));
  }
}
