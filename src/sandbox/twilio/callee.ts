import { createHmac } from 'node:crypto';
import WebSocket from 'ws';
import { muLawEncode } from '../../audio/g711.js';
import { synthesizeSpeech } from '../speech.js';

/** What the simulated callee does once the call connects: speak, or be a voicemail greeting ending in a beep. */
export type CalleeScript =
  | { readonly kind: 'person'; readonly says?: readonly string[]; readonly gapMs?: number }
  | { readonly kind: 'voicemail'; readonly greeting?: string; readonly beepMs?: number };

export const DEFAULT_PERSON: CalleeScript = { kind: 'person', says: ['Hello?'] };
export const DEFAULT_VOICEMAIL_GREETING = "Hi, you've reached Sam. I can't take your call right now. Please leave a message after the tone.";
/** The callee hangs up after this long whatever happens, so a forgotten call never runs forever. */
export const MAX_CALL_MS = 5 * 60_000;

/** What the sandbox saw on one media stream (for tests). */
export interface StreamRecord {
  readonly url: string;
  mediaBytes: number;
  marks: number;
  clears: number;
  closeCode?: number;
}

/** 8 kHz PCM of the callee's side: the script's speech (espeak-ng) with silences, a voicemail's 1 kHz beep. */
export async function calleeAudio(script: CalleeScript): Promise<Int16Array> {
  const parts: Int16Array[] = [new Int16Array(8000 * 0.3)]; // the line opens
  if (script.kind === 'person') {
    for (const text of script.says ?? ['Hello?']) {
      parts.push((await synthesizeSpeech(text, 8000)).samples, new Int16Array(Math.round((8 * (script.gapMs ?? 1500)))));
    }
  } else {
    parts.push((await synthesizeSpeech(script.greeting ?? DEFAULT_VOICEMAIL_GREETING, 8000)).samples, new Int16Array(8000 * 0.4));
    const beep = new Int16Array(Math.round(8 * (script.beepMs ?? 500)));
    for (let i = 0; i < beep.length; i++) beep[i] = Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
    parts.push(beep);
  }
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Twilio's side of a bidirectional Media Stream, as the sandbox plays it for a call it placed or rings:
 * `connected`, `start` (with the TwiML's `<Parameter>`s), the callee's audio as 20 ms mu-law `media` at
 * real time then silence; reply audio is queued and "played" at 8 bytes/ms, marks are echoed when reached
 * and on `clear` (which drops the queue), as Twilio does. Signs the upgrade with `X-Twilio-Signature`.
 */
export class CalleeStream {
  readonly record: StreamRecord;
  readonly closed: Promise<void>;
  private readonly ws: WebSocket;
  private timer: NodeJS.Timeout | undefined;
  private queued = 0;
  private played = 0;
  private pendingMarks: { name: string; at: number }[] = [];
  private sequence = 0;

  constructor(
    url: string,
    private readonly call: { accountSid: string; callSid: string; authToken: string; parameters: Record<string, string> },
    private readonly audio: Int16Array,
  ) {
    this.record = { url, mediaBytes: 0, marks: 0, clears: 0 };
    const signature = createHmac('sha1', call.authToken).update(url).digest('base64');
    this.ws = new WebSocket(url, { headers: { 'X-Twilio-Signature': signature } });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code) => {
        this.record.closeCode = code;
        clearInterval(this.timer);
        resolve();
      }),
    );
    this.ws.once('error', () => undefined);
    this.ws.once('open', () => this.start());
    this.ws.on('message', (data: Buffer) => this.onMessage(data));
  }

  private readonly streamSid = `MZ${Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32)}`;

  private send(message: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private start(): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.send({
      event: 'start',
      sequenceNumber: String(++this.sequence),
      start: {
        accountSid: this.call.accountSid,
        streamSid: this.streamSid,
        callSid: this.call.callSid,
        tracks: ['inbound'],
        customParameters: this.call.parameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
      streamSid: this.streamSid,
    });
    const began = Date.now();
    let chunk = 0;
    // One 20 ms frame per tick, paced by the wall clock (the callee's audio, then silence).
    this.timer = setInterval(() => {
      while (chunk * 20 <= Date.now() - began) {
        const offset = chunk * 160;
        const frame = offset < this.audio.length ? this.audio.subarray(offset, offset + 160) : new Int16Array(160);
        this.send({
          event: 'media',
          sequenceNumber: String(++this.sequence),
          media: { track: 'inbound', chunk: String(chunk + 1), timestamp: String(chunk * 20), payload: Buffer.from(muLawEncode(frame)).toString('base64') },
          streamSid: this.streamSid,
        });
        chunk++;
      }
      this.play();
      if (Date.now() - began > MAX_CALL_MS) this.stop();
    }, 20);
  }

  private play(): void {
    this.played = Math.min(this.queued, this.played + 8 * 20);
    while (this.pendingMarks.length > 0 && this.pendingMarks[0]!.at <= this.played) this.echo(this.pendingMarks.shift()!.name);
  }

  private echo(name: string): void {
    this.send({ event: 'mark', sequenceNumber: String(++this.sequence), streamSid: this.streamSid, mark: { name } });
  }

  private onMessage(data: Buffer): void {
    let message: { event?: unknown; media?: { payload?: unknown }; mark?: { name?: unknown } };
    try {
      message = JSON.parse(data.toString()) as typeof message;
    } catch {
      return;
    }
    if (message.event === 'media' && typeof message.media?.payload === 'string') {
      const bytes = Buffer.from(message.media.payload, 'base64').length;
      this.queued += bytes;
      this.record.mediaBytes += bytes;
    } else if (message.event === 'mark' && typeof message.mark?.name === 'string') {
      this.record.marks++;
      this.pendingMarks.push({ name: message.mark.name, at: this.queued });
    } else if (message.event === 'clear') {
      this.record.clears++;
      this.queued = this.played;
      for (const mark of this.pendingMarks.splice(0)) this.echo(mark.name);
    }
  }

  /** The call ended or moved on (new TwiML): Twilio sends `stop` and closes the stream. */
  stop(): void {
    clearInterval(this.timer);
    this.send({ event: 'stop', sequenceNumber: String(++this.sequence), stop: { accountSid: this.call.accountSid, callSid: this.call.callSid }, streamSid: this.streamSid });
    setTimeout(() => this.ws.close(1000), 50).unref();
  }
}
