import { request } from 'node:http';

/** A PCM16 mono WAV; `streaming` writes 0xFFFFFFFF sizes as a client that does not know the length yet. */
export function wavFile(samples: number, sampleRate = 16000, streaming = false): Buffer {
  const data = samples * 2;
  const wav = Buffer.alloc(44 + data);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(streaming ? 0xffffffff : 36 + data, 4);
  wav.write('WAVE', 8, 'latin1');
  wav.write('fmt ', 12, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(streaming ? 0xffffffff : data, 40);
  for (let i = 0; i < samples; i += 1) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / sampleRate)), 44 + i * 2);
  return wav;
}

export const BOUNDARY = '----rxvoiceTestBoundary7MA4YWxkTrZu0gW';

/** The pieces of a multipart body: the head up to the file bytes, the file, and the tail. */
export function multipartParts(fields: Record<string, string>, file: Buffer | undefined, filename = 'audio.wav'): { head: Buffer; file: Buffer; tail: Buffer } {
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  }
  if (file) head += `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: audio/wav\r\n\r\n`;
  const tail = `${file ? '\r\n' : ''}--${BOUNDARY}--\r\n`;
  return { head: Buffer.from(head), file: file ?? Buffer.alloc(0), tail: Buffer.from(tail) };
}

export function multipartBody(fields: Record<string, string>, file: Buffer | undefined, filename?: string): Buffer {
  const parts = multipartParts(fields, file, filename);
  return Buffer.concat([parts.head, parts.file, parts.tail]);
}

export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A plain HTTP request (no SDK, no retries), so tests see exactly what the sandbox sends. */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface SseCapture {
  status: number;
  /** Raw `data:` payloads in order (not parsed: malformed ones stay visible). */
  data: string[];
  /** performance.now() when each data line arrived. */
  times: number[];
  /** Set when the connection broke before the response ended. */
  error?: Error;
}

/** Reads an SSE response line by line, keeping what arrived even when the connection resets. */
export function captureSse(url: string, headers: Record<string, string>, body: string): Promise<SseCapture> {
  return new Promise((resolve) => {
    const capture: SseCapture = { status: 0, data: [], times: [] };
    let pending = '';
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      capture.status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        pending += text;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line.startsWith('data: ')) {
            capture.data.push(line.slice(6));
            capture.times.push(performance.now());
          }
        }
      });
      res.on('end', () => resolve(capture));
      res.on('error', (err) => {
        capture.error = err;
        resolve(capture);
      });
      res.on('aborted', () => {
        capture.error ??= new Error('aborted');
      });
      res.on('close', () => resolve(capture));
    });
    req.on('error', (err) => {
      capture.error = err;
      resolve(capture);
    });
    req.end(body);
  });
}

export const AUTH = { authorization: 'Bearer sk-test-key-123456' };
