import { ElevenLabsClient, ElevenLabsError, ElevenLabsTimeoutError } from '@elevenlabs/elevenlabs-js';
import { Observable } from 'rxjs';
import { RxVoiceError } from '../../errors.js';
import type { SynthesisChunk, SynthesisRequest } from '../types.js';
import { AudioDecoder } from './audio.js';
import { httpError, retryDelayMs } from './errors.js';

export interface RetryOptions {
  /** Retries of a 429/5xx/connection failure, only before the first audio byte. */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
}

/** The SDK's error as an RxVoiceError, with the retry-after header when the server sent one. */
function fromSdkError(err: unknown): { error: RxVoiceError; retryAfter?: string | null } {
  if (err instanceof RxVoiceError) return { error: err };
  if (err instanceof ElevenLabsTimeoutError) {
    return { error: new RxVoiceError({ code: 'timeout', stage: 'tts', retryable: true, message: 'ElevenLabs request timed out', cause: err }) };
  }
  if (err instanceof ElevenLabsError) {
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

/**
 * One whole-text request to `POST /v1/text-to-speech/{voice}/stream` with the official SDK. Bytes are decoded
 * as they arrive (odd PCM chunk lengths carried). Unsubscribing aborts the HTTP request.
 */
export function restSynthesis(
  client: ElevenLabsClient,
  request: SynthesisRequest,
  text: string,
  retry: RetryOptions,
  extra: { previousText?: string; headers?: Record<string, string> } = {},
): Observable<SynthesisChunk> {
  return new Observable<SynthesisChunk>((subscriber) => {
    const controller = new AbortController();
    const decoder = new AudioDecoder(request.outputFormat);
    let gotAudio = false;
    const run = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          const stream = await client.textToSpeech.stream(
            request.voiceId,
            {
              text,
              outputFormat: request.outputFormat,
              ...(request.modelId ? { modelId: request.modelId } : {}),
              ...(request.language ? { languageCode: request.language } : {}),
              ...(request.voiceSettings ? { voiceSettings: { ...request.voiceSettings } } : {}),
              ...(extra.previousText ? { previousText: extra.previousText } : {}),
            },
            { abortSignal: controller.signal, maxRetries: 0, ...(extra.headers ? { headers: extra.headers } : {}) },
          );
          const reader = stream.getReader();
          try {
            for (;;) {
              const { done, value } = await reader.read();
              if (done) break;
              if (controller.signal.aborted) return;
              const samples = decoder.push(value);
              if (samples.length === 0) continue;
              gotAudio = true;
              subscriber.next({ samples, sampleRate: decoder.sampleRate });
            }
          } finally {
            reader.releaseLock();
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
