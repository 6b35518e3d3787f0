import WebSocket from 'ws';
import { SILERO_FRAME_SAMPLES, SileroModel } from '../../src/vad/silero.js';
import { resample } from '../../src/audio/resample.js';

export const VOICE = 'JBFqnCBsd6RMkjVDRZzb';
export const KEY = 'sandbox-test-key';

export function pcmFromBytes(bytes: Uint8Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(2 * i, true);
  return out;
}

export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}

/** How many 32 ms windows the real Silero VAD (v4) calls speech (probability > 0.5). */
export async function speechWindows(samples: Int16Array, sampleRate: number): Promise<number> {
  const at16k = sampleRate === 16000 ? samples : resample(samples, sampleRate, 16000);
  const model = await SileroModel.load();
  let speech = 0;
  for (let start = 0; start + SILERO_FRAME_SAMPLES <= at16k.length; start += SILERO_FRAME_SAMPLES) {
    const frame = new Float32Array(SILERO_FRAME_SAMPLES);
    for (let i = 0; i < SILERO_FRAME_SAMPLES; i++) frame[i] = (at16k[start + i] ?? 0) / 32768;
    if ((await model.process(frame)) > 0.5) speech++;
  }
  await model.release();
  return speech;
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) parts.push(Buffer.from(next.value));
  return Buffer.concat(parts);
}

/** Everything a raw client sees on a WebSocket until it closes. */
export interface WsTranscript {
  readonly messages: Array<Record<string, unknown>>;
  readonly raw: string[];
  readonly close: { code: number; reason: string };
}

/** A socket whose messages are collected from the very first one (servers may speak right after the upgrade). */
export interface OpenSocket {
  readonly ws: WebSocket;
  readonly transcript: Promise<WsTranscript>;
}

export function openWs(url: string, headers: Record<string, string> = { 'xi-api-key': KEY }): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const transcript = collect(ws);
    ws.once('open', () => resolve({ ws, transcript }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      res.resume();
    });
  });
}

/** Collects messages from now until the socket closes. */
function collect(ws: WebSocket): Promise<WsTranscript> {
  const messages: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  return new Promise((resolve) => {
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      raw.push(text);
      try {
        messages.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        // kept in `raw` only
      }
    });
    ws.on('error', () => {});
    ws.once('close', (code: number, reason: Buffer) => resolve({ messages, raw, close: { code, reason: reason.toString('utf8') } }));
  });
}

export interface WsAlignmentWire {
  chars: string[];
  charStartTimesMs: number[];
  charDurationsMs: number[];
}

export function audioOf(messages: ReadonlyArray<Record<string, unknown>>): Buffer {
  return Buffer.concat(messages.filter((m) => typeof m.audio === 'string').map((m) => Buffer.from(m.audio as string, 'base64')));
}

export function alignedText(messages: ReadonlyArray<Record<string, unknown>>): string {
  return messages
    .map((m) => (m.alignment as WsAlignmentWire | null | undefined)?.chars.join('') ?? '')
    .join('');
}
