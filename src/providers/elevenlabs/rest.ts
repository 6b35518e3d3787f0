import type { ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import { Observable } from 'rxjs';
import { RxVoiceError } from '../../errors.js';
import type { Alignment, SynthesisChunk } from '../types.js';
import { AudioDecoder } from './audio.js';
import { textNormalization } from './websocket.js';
import { httpError, retryDelayMs } from './errors.js';
import type { ElevenLabsRequest } from './options.js';
import { loadedElevenLabsSdk } from './sdk.js';

export interface RetryOptions {
  /** Retries of a 429/5xx/connection failure, only before the first audio byte. */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
}

/** The SDK's error as an RxVoiceError, with the retry-after header when the server sent one. */
function fromSdkError(err: unknown): { error: RxVoiceError; retryAfter?: string | null } {
  if (err instanceof RxVoiceError) return { error: err };
  const sdk = loadedElevenLabsSdk();
  if (sdk && err instanceof sdk.ElevenLabsTimeoutError) {
    return { error: new RxVoiceError({ code: 'timeout', stage: 'tts', retryable: true, message: 'ElevenLabs request timed out', cause: err }) };
  }
  if (sdk && err instanceof sdk.ElevenLabsError) {
    const retryAfter = err.rawResponse?.headers?.get?.('retry-after');
    return { error: httpError(err.statusCode, err.body, err.message), retryAfter };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { error: new RxVoiceError({ code: 'connection', stage: 'tts', retryable: true, message: `ElevenLabs stream failed: ${message}`, cause: err }) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** A piece of the response: audio bytes, and with timestamps the characters' times (ms from the response start). */
interface RestPiece {
  readonly bytes: Uint8Array;
  readonly chars?: readonly string[];
  readonly startsMs?: readonly number[];
  readonly endsMs?: readonly number[];
}

async function* rawAudio(stream: ReadableStream<Uint8Array>): AsyncGenerator<RestPiece> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield { bytes: value };
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * One whole-text request with the official SDK: `POST /v1/text-to-speech/{voice}/stream/with-timestamps`
 * (JSON lines with base64 audio and character times, absolute from the response's start, as pipecat reads
 * them) or, with `timestamps: false`, `/stream` (raw audio bytes). Bytes are decoded as they arrive (odd PCM
 * chunk lengths carried). Unsubscribing aborts the HTTP request.
 */
export function restSynthesis(
  getClient: () => Promise<ElevenLabsClient>,
  request: ElevenLabsRequest,
  text: string,
  retry: RetryOptions,
  extra: { previousText?: string; headers?: Record<string, string>; timestamps?: boolean } = {},
): Observable<SynthesisChunk> {
  return new Observable<SynthesisChunk>((subscriber) => {
    const controller = new AbortController();
    const decoder = new AudioDecoder(request.format);
    let gotAudio = false;
    const run = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          const body = {
              text,
              outputFormat: request.outputFormat,
              modelId: request.modelId,
              ...(request.language ? { languageCode: request.language } : {}),
              ...(request.normalizeText === undefined ? {} : { applyTextNormalization: textNormalization(request.normalizeText) }),
              ...(request.voiceSettings ? { voiceSettings: { ...request.voiceSettings } } : {}),
              ...(extra.previousText ? { previousText: extra.previousText } : {}),
          };
          const client = await getClient();
          const requestOptions = { abortSignal: controller.signal, maxRetries: 0, ...(extra.headers ? { headers: extra.headers } : {}) };
          const pieces: AsyncIterable<RestPiece> =
            extra.timestamps === false
              ? rawAudio(await client.textToSpeech.stream(request.voiceId, body, requestOptions))
              : withTimestamps(await client.textToSpeech.streamWithTimestamps(request.voiceId, body, requestOptions));
          let samplesSoFar = 0;
          for await (const piece of pieces) {
            if (controller.signal.aborted) return;
            const samples = decoder.push(piece.bytes);
            const offsetMs = (samplesSoFar * 1000) / decoder.sampleRate;
            samplesSoFar += samples.length;
            const alignment = toChunkAlignment(piece, offsetMs);
            if (samples.length === 0 && !alignment) continue;
            if (samples.length > 0) gotAudio = true;
            subscriber.next({ samples, sampleRate: decoder.sampleRate, ...(alignment ? { alignment } : {}) });
          }
          subscriber.complete();
          return;
        } catch (err) {
          if (controller.signal.aborted) return;
          const { error, retryAfter } = fromSdkError(err);
          if (!gotAudio && error.retryable && attempt < retry.maxRetries) {
            await sleep(retryDelayMs(attempt + 1, retry.baseDelayMs, retryAfter), controller.signal);
            if (controller.signal.aborted) return;
            continue;
          }
          subscriber.error(error);
          return;
        }
      }
    };
    void run();
    return () => controller.abort();
  });
}

async function* withTimestamps(
  stream: AsyncIterable<{ audioBase64?: string; alignment?: { characters: string[]; characterStartTimesSeconds: number[]; characterEndTimesSeconds: number[] } }>,
): AsyncGenerator<RestPiece> {
  for await (const chunk of stream) {
    const a = chunk.alignment;
    yield {
      bytes: chunk.audioBase64 ? Buffer.from(chunk.audioBase64, 'base64') : new Uint8Array(0),
      ...(a && Array.isArray(a.characters)
        ? { chars: a.characters, startsMs: a.characterStartTimesSeconds.map((t) => t * 1000), endsMs: a.characterEndTimesSeconds.map((t) => t * 1000) }
        : {}),
    };
  }
}

/** Response-absolute character times -> an `Alignment` relative to this chunk's first sample. */
function toChunkAlignment(piece: RestPiece, chunkStartMs: number): Alignment | undefined {
  if (!piece.chars || !piece.startsMs || !piece.endsMs || piece.chars.length === 0) return undefined;
  const starts = piece.startsMs.map((t) => t - chunkStartMs);
  return { chars: piece.chars, charStartMs: starts, charDurationMs: piece.endsMs.map((end, i) => Math.max(0, end - piece.startsMs![i]!)) };
}
