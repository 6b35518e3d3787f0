/** Headers of one multipart part. */
export interface PartInfo {
  readonly name: string;
  readonly filename?: string;
  readonly contentType?: string;
}

export interface MultipartHandlers {
  onPartStart(part: PartInfo): void;
  onPartData(data: Buffer): void;
  onPartEnd(): void;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;

/** The boundary from a `multipart/form-data; boundary=...` content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType.trim())) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function parsePartHeaders(text: string): PartInfo {
  let name = '';
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') {
      name = /\bname="([^"]*)"/i.exec(value)?.[1] ?? /\bname=([^;\s]+)/i.exec(value)?.[1] ?? '';
      filename = /\bfilename="([^"]*)"/i.exec(value)?.[1] ?? /\bfilename=([^;\s]+)/i.exec(value)?.[1];
    } else if (key === 'content-type') {
      contentType = value;
    }
  }
  return { name, ...(filename !== undefined ? { filename } : {}), ...(contentType !== undefined ? { contentType } : {}) };
}

/**
 * A streaming multipart/form-data parser: feed it body chunks as they arrive and it hands out part data
 * at once, keeping only a boundary-sized tail in memory. A file part is thus consumed while it uploads.
 */
export class MultipartParser {
  private readonly delimiter: Buffer;
  private buffer: Buffer = Buffer.alloc(0);
  private state: 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done' = 'preamble';

  constructor(
    boundary: string,
    private readonly handlers: MultipartHandlers,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    // The first boundary has no CRLF before it; pretending it had one makes every boundary look alike.
    this.buffer = Buffer.from(CRLF);
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  /** Throws on a malformed body (the caller answers 400). */
  push(chunk: Buffer): void {
    if (this.state === 'done') return; // epilogue
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (!this.step()) break;
    }
  }

  /** Call at the end of the body; throws if the closing boundary never came. */
  end(): void {
    if (this.state !== 'done') throw new Error('Multipart body ended before its closing boundary');
  }

  /** One state transition; false when it needs more bytes. */
  private step(): boolean {
    switch (this.state) {
      case 'preamble': {
        const at = this.buffer.indexOf(this.delimiter);
        if (at < 0) {
          this.keepTail();
          return false;
        }
        this.buffer = this.buffer.subarray(at + this.delimiter.length);
        this.state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        if (this.buffer.length < 2) return false;
        if (this.buffer[0] === 0x2d && this.buffer[1] === 0x2d) {
          this.state = 'done';
          this.buffer = Buffer.alloc(0);
          return false;
        }
        // Tolerate transport padding (spaces/tabs) before the CRLF, as RFC 2046 allows.
        const eol = this.buffer.indexOf(CRLF);
        if (eol < 0) {
          if (this.buffer.length > 256) throw new Error('Malformed multipart boundary line');
          return false;
        }
        if (this.buffer.subarray(0, eol).toString('latin1').trim() !== '') throw new Error('Malformed multipart boundary line');
        this.buffer = this.buffer.subarray(eol + 2);
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        const at = this.buffer.indexOf(HEADER_END);
        if (at < 0) {
          if (this.buffer.length > MAX_HEADER_BYTES) throw new Error('Multipart part headers too large');
          return false;
        }
        this.handlers.onPartStart(parsePartHeaders(this.buffer.subarray(0, at).toString('utf8')));
        this.buffer = this.buffer.subarray(at + HEADER_END.length);
        this.state = 'body';
        return true;
      }
      case 'body': {
        const at = this.buffer.indexOf(this.delimiter);
        if (at < 0) {
          const safe = this.buffer.length - (this.delimiter.length - 1);
          if (safe > 0) {
            this.handlers.onPartData(this.buffer.subarray(0, safe));
            this.buffer = this.buffer.subarray(safe);
          }
          return false;
        }
        if (at > 0) this.handlers.onPartData(this.buffer.subarray(0, at));
        this.handlers.onPartEnd();
        this.buffer = this.buffer.subarray(at + this.delimiter.length);
        this.state = 'after-delimiter';
        return true;
      }
      case 'done':
        return false;
    }
  }

  private keepTail(): void {
    const keep = this.delimiter.length - 1;
    if (this.buffer.length > keep) this.buffer = this.buffer.subarray(this.buffer.length - keep);
  }
}
