import { Observable, type Subscription } from 'rxjs';
import WebSocket from 'ws';
import { RxVoiceError } from '../../errors.js';
import type { Alignment, SynthesisChunk } from '../types.js';
import { AudioDecoder } from './audio.js';
import { closeError, httpError, retryDelayMs } from './errors.js';
import { parseStreamMessage } from './message.js';
import type { ElevenLabsRequest, ElevenLabsVoiceSettings } from './options.js';
import type { RetryOptions } from './rest.js';
import type { VoiceSettingsWire, WsAlignmentReceived, WsTextMessage } from './wire.js';

export interface StreamInputOptions {
  /** `ws://` or `wss://` origin (no path). */
  readonly wsBase: string;
  readonly apiKey: string;
  readonly retry: RetryOptions;
  /** Server-side inactivity limit, seconds (ElevenLabs: default 20, max 180). Default 60. */
  readonly inactivityTimeoutS: number;
  /** With no text for this long, send the documented keep-alive `{"text": " "}`. Default 10 000. */
  readonly keepaliveMs: number;
  /** Extra query parameters (the sandbox's `fault`, for tests). */
  readonly query?: Readonly<Record<string, string>>;
}

/** The server's alignment, whichever spelling of the keys it used (ElevenLabs AsyncAPI spec). */
function toAlignment(wire: WsAlignmentReceived | null | undefined): Alignment | undefined {
  if (!wire || !Array.isArray(wire.chars)) return undefined;
  const starts = wire.charStartTimesMs ?? wire.charsStartTimesMs;
  const durations = wire.charDurationsMs ?? wire.charsDurationsMs;
  if (!Array.isArray(starts) || !Array.isArray(durations)) return undefined;
  return { chars: wire.chars, charStartMs: starts, charDurationMs: durations };
}

/** The SDK-named settings in the stream-input protocol's snake_case (ElevenLabs AsyncAPI spec, `voice_settings`). */
function voiceSettingsWire(v: ElevenLabsVoiceSettings): VoiceSettingsWire {
  return {
    ...(v.stability !== undefined ? { stability: v.stability } : {}),
    ...(v.similarityBoost !== undefined ? { similarity_boost: v.similarityBoost } : {}),
    ...(v.style !== undefined ? { style: v.style } : {}),
    ...(v.useSpeakerBoost !== undefined ? { use_speaker_boost: v.useSpeakerBoost } : {}),
    ...(v.speed !== undefined ? { speed: v.speed } : {}),
  };
}

/** Text ending at punctuation gets the trailing space ElevenLabs asks for; a mid-word delta is sent as is. */
function wireText(piece: string): string {
  return /[\p{P}\s]$/u.test(piece) && !piece.endsWith(' ') ? `${piece} ` : piece;
}

/**
 * Streamed text over `wss://.../v1/text-to-speech/{voice}/stream-input` (single context). The socket opens at
 * subscribe, so its handshake overlaps the wait for the first text; pieces are sent as they come (`auto_mode`
 * so each sentence is generated at once, and `flush` on the first piece so a first clause is too), then
 * `{"text": ""}` ends the input; the stream completes on `isFinal` (or the normal close after it).
 * Before the first audio, a retryable failure reconnects and resends the text so far. Unsubscribing closes
 * the socket.
 */
export function streamInputSynthesis(options: StreamInputOptions, request: ElevenLabsRequest, text$: Observable<string>): Observable<SynthesisChunk> {
  return new Observable<SynthesisChunk>((subscriber) => {
    const pieces: string[] = [];
    let inputDone = false;
    let torn = false;
    let finished = false;
    let gotAudio = false;
    let attempt = 0;
    let ws: WebSocket | undefined;
    let lastSend = Date.now();
    let retryTimer: NodeJS.Timeout | undefined;
    let textSub: Subscription | undefined;

    const send = (message: WsTextMessage): void => {
      if (ws?.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify(message));
      lastSend = Date.now();
    };
    const sendPiece = (piece: string, first: boolean): void => send({ text: wireText(piece), ...(first ? { flush: true } : {}) });

    const dispose = (socket: WebSocket | undefined): void => {
      if (!socket) return;
      socket.removeAllListeners();
      socket.on('error', () => {}); // a late error from a socket we already let go of
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
      else if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    };

    const finish = (): void => {
      if (finished || torn) return;
      finished = true;
      dispose(ws);
      ws = undefined;
      subscriber.complete();
    };

    const fail = (error: RxVoiceError, retryAfter?: string | null): void => {
      if (finished || torn) return;
      dispose(ws);
      ws = undefined;
      if (!gotAudio && error.retryable && attempt < options.retry.maxRetries) {
        attempt++;
        retryTimer = setTimeout(connect, retryDelayMs(attempt, options.retry.baseDelayMs, retryAfter));
        return;
      }
      finished = true;
      subscriber.error(error);
    };

    const connect = (): void => {
      if (torn || finished) return;
      const query = new URLSearchParams({
        model_id: request.modelId,
        output_format: request.outputFormat,
        auto_mode: 'true',
        sync_alignment: 'true',
        inactivity_timeout: String(options.inactivityTimeoutS),
        ...(request.language ? { language_code: request.language } : {}),
        ...(request.normalizeText === undefined ? {} : { apply_text_normalization: textNormalization(request.normalizeText) }),
        ...options.query,
      });
      const url = `${options.wsBase}/v1/text-to-speech/${encodeURIComponent(request.voiceId)}/stream-input?${query}`;
      // No permessage-deflate offer: base64 PCM barely compresses, and inflating every audio message
      // costs more CPU than the bytes it saves (one socket per reply, so the offer is made per reply too).
      const socket = new WebSocket(url, { headers: { 'xi-api-key': options.apiKey }, perMessageDeflate: false });
      ws = socket;
      const decoder = new AudioDecoder(request.format);
      let lastError: { message?: string; error?: string } | undefined;

      socket.on('open', () => {
        send({ text: ' ', ...(request.voiceSettings ? { voice_settings: voiceSettingsWire(request.voiceSettings) } : {}) });
        pieces.forEach((piece, i) => sendPiece(piece, i === 0));
        if (inputDone) send({ text: '' });
      });
      socket.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let body: unknown = Buffer.concat(chunks).toString('utf8');
          try {
            body = JSON.parse(body as string);
          } catch {
            /* a plain-text body */
          }
          fail(httpError(res.statusCode, body, `upgrade refused (${res.statusCode})`), res.headers['retry-after'] as string | undefined);
        });
      });
      socket.on('message', (data: WebSocket.RawData) => {
        let message: Record<string, unknown>;
        let audio: Buffer | undefined;
        try {
          ({ fields: message, audio } = parseStreamMessage(data));
        } catch {
          return fail(new RxVoiceError({ code: 'protocol', stage: 'tts', message: 'ElevenLabs sent a message that is not JSON' }));
        }
        if (audio) {
          const samples = decoder.pushOwned(audio);
          const alignment = toAlignment((message.alignment ?? message.normalizedAlignment) as WsAlignmentReceived | null);
          if (samples.length > 0) gotAudio = true;
          subscriber.next({ samples, sampleRate: decoder.sampleRate, ...(alignment ? { alignment } : {}) });
        }
        if (message.isFinal === true || message.is_final === true) return finish();
        if (typeof message.error === 'string' || (typeof message.message === 'string' && message.audio === undefined)) {
          lastError = { ...(typeof message.message === 'string' ? { message: message.message } : {}), ...(typeof message.error === 'string' ? { error: message.error } : {}) };
        }
      });
      socket.on('error', (err: Error) => {
        if (socket !== ws) return;
        // 'unexpected-response' handles refused upgrades; this is a reset or an unreachable host.
        if (/Unexpected server response/.test(err.message)) return;
        fail(new RxVoiceError({ code: 'connection', stage: 'tts', retryable: true, message: `ElevenLabs socket error: ${err.message}`, cause: err }));
      });
      socket.on('close', (code: number, reason: Buffer) => {
        if (socket !== ws) return;
        if (code === 1000 && inputDone && !lastError) return finish(); // normal end without an explicit isFinal
        fail(closeError(code, reason.toString('utf8'), lastError));
      });
    };

    connect();
    textSub = text$.subscribe({
      next: (piece) => {
        if (piece.trim() === '' ) return; // " " is a keep-alive and "" ends the input on this protocol
        pieces.push(piece);
        sendPiece(piece, pieces.length === 1);
      },
      error: (err: unknown) => {
        finished = true;
        dispose(ws);
        subscriber.error(err);
      },
      complete: () => {
        inputDone = true;
        if (pieces.length === 0) return finish(); // nothing to say
        send({ text: '' });
      },
    });
    const keepalive = setInterval(() => {
      if (!inputDone && Date.now() - lastSend >= options.keepaliveMs) send({ text: ' ' });
    }, Math.max(250, Math.floor(options.keepaliveMs / 2)));

    return () => {
      torn = true;
      clearInterval(keepalive);
      if (retryTimer) clearTimeout(retryTimer);
      textSub?.unsubscribe();
      dispose(ws);
      ws = undefined;
    };
  });
}

/**
 * `apply_text_normalization` on the stream-input URL and in the REST body: 'auto' (the default), 'on' or
 * 'off' (elevenlabs.io/docs/api-reference/websocket, /text-to-speech/stream).
 */
export function textNormalization(on: boolean): 'on' | 'off' {
  return on ? 'on' : 'off';
}
