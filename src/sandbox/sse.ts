import type { ServerResponse } from 'node:http';
import { StreamFaults, resetSocket } from './faults.js';
import type { FaultSpec } from './types.js';

/** A broken `data:` line, as a proxy truncating a chunk would leave it. */
export const MALFORMED_SSE_LINE = 'data: {"id":"rxvoice-malformed","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\n\n';

/**
 * Server-sent events in OpenAI's framing (`data: <json>` + blank line, no `event:` lines), with a
 * mid-stream fault applied at the right event and the stream stopped when the client goes away.
 */
export class SseStream {
  private readonly faults: StreamFaults;
  private readonly abort = new AbortController();

  constructor(
    private readonly res: ServerResponse,
    fault: FaultSpec | undefined,
    headers: Record<string, string> = {},
  ) {
    res.on('close', () => this.abort.abort());
    this.faults = new StreamFaults(
      fault,
      {
        reset: () => resetSocket(res.socket),
        malformed: () => res.write(MALFORMED_SSE_LINE),
      },
      this.abort.signal,
    );
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    res.flushHeaders();
  }

  /** Aborts when the client disconnects or the stream was reset: use it to stop pacing timers. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Sends one event; resolves false when the stream is over (client gone, or a reset fault struck). */
  async send(data: unknown): Promise<boolean> {
    if (this.abort.signal.aborted) return false;
    if (!(await this.faults.before())) {
      this.abort.abort();
      return false;
    }
    if (this.abort.signal.aborted) return false;
    this.res.write(`data: ${JSON.stringify(data)}\n\n`);
    return true;
  }

  /** Ends with `data: [DONE]` (Chat Completions streams). */
  end(): void {
    if (this.abort.signal.aborted || this.res.writableEnded) return;
    this.res.end('data: [DONE]\n\n');
  }

  /** Ends after the last event with no `[DONE]` sentinel (the transcription stream). */
  close(): void {
    if (this.abort.signal.aborted || this.res.writableEnded) return;
    this.res.end();
  }
}
