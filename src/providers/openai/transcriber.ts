import { CALL_HEADER, TURN_HEADER } from '../../sandbox/types.js';
import { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { request, type Dispatcher } from 'undici';
import { pcm16ToBytes } from '../../audio/pcm.js';
import { RxVoiceError } from '../../errors.js';
import type { OpenAIEndpoint } from '../env.js';
import type { Transcriber, TranscriptionRequest, TranscriptUpdate } from '../types.js';
import { connectionError, httpError, isAbortError, resolveRequest, sharedDispatcher } from './http.js';
import { readSse } from './sse.js';
import type { TranscriptionStreamEventWire } from './wire.js';

export type TranscriptionModel = 'gpt-4o-transcribe' | 'gpt-4o-mini-transcribe' | 'whisper-1' | (string & {});

export interface OpenAITranscriberOptions {
  readonly endpoint: OpenAIEndpoint;
  /** Default `gpt-4o-transcribe`. On Azure the deployment from the endpoint is used instead. */
  readonly model?: TranscriptionModel;
  /**
   * `streamed` (default): the request opens at the utterance's first audio and the multipart body is sent
   * with chunked transfer encoding as audio arrives, so only the tail is left to send when the caller stops.
   * `buffered`: the utterance is sent at the end with a Content-Length (for endpoints refusing chunked bodies).
   */
  readonly upload?: 'streamed' | 'buffered';
  /**
   * `verbose_json` returns the detected language; only whisper-1 supports it, so the default is
   * `verbose_json` for whisper-1 and `json` otherwise.
   */
  readonly responseFormat?: 'json' | 'verbose_json';
  readonly temperature?: number;
  /** Extra request headers (e.g. the sandbox's `x-rxvoice-call`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Connection pool; default one shared by the OpenAI providers, with a 30 s keep-alive. */
  readonly dispatcher?: Dispatcher;
  /** The response counts as stalled (error `timeout`) after this long without a byte once the upload is done. Default 30 000 ms. */
  readonly stallTimeoutMs?: number;
}

/**
 * Speech to text over OpenAI's (or Azure OpenAI's) `/audio/transcriptions`, with a WAV upload streamed
 * while the caller speaks. Each subscription is one request; unsubscribing aborts it.
 */
export function createOpenAITranscriber(options: OpenAITranscriberOptions): Transcriber {
  const model = options.model ?? 'gpt-4o-transcribe';
  const upload = options.upload ?? 'streamed';
  const name = `${options.endpoint.kind}:${options.endpoint.kind === 'azure' ? options.endpoint.deployments.transcribe : model}`;
  return {
    name,
    transcribe: (req) =>
      new Observable<TranscriptUpdate>((subscriber) => {
        const abort = new AbortController();
        run(options, model, upload, req, abort.signal, (u) => subscriber.next(u)).then(
          () => subscriber.complete(),
          (err: unknown) => {
            if (!abort.signal.aborted) subscriber.error(isAbortError(err) ? connectionError('transcribe', err) : toError(err));
          },
        );
        return () => abort.abort();
      }),
  };
}

function toError(err: unknown): RxVoiceError {
  return err instanceof RxVoiceError ? err : connectionError('transcribe', err);
}

async function run(
  options: OpenAITranscriberOptions,
  model: string,
  upload: 'streamed' | 'buffered',
  req: TranscriptionRequest,
  signal: AbortSignal,
  emit: (u: TranscriptUpdate) => void,
): Promise<void> {
  const target = resolveRequest(options.endpoint, 'audio/transcriptions', model);
  const isWhisper = /whisper/i.test(target.model) || /whisper/i.test(model);
  const responseFormat = options.responseFormat ?? (isWhisper ? 'verbose_json' : 'json');
  const stream = req.stream === true && !isWhisper;
  const boundary = `----rxvoice${Math.random().toString(16).slice(2)}${Math.random().toString(16).slice(2)}`;
  const fields: [string, string][] = [['model', target.model], ['response_format', responseFormat]];
  if (req.language) fields.push(['language', req.language]);
  if (req.prompt) fields.push(['prompt', req.prompt]);
  if (stream) fields.push(['stream', 'true']);
  if (options.temperature !== undefined) fields.push(['temperature', String(options.temperature)]);
  const head = Buffer.from(
    fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="audio.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = {
    ...target.headers,
    ...options.headers,
    // With the sandbox's call header, the turn too: every request for one caller turn (a preemptive one
    // and the one after resumed speech) then gets that turn's scripted transcript, as real audio would.
    ...(options.headers?.[CALL_HEADER] !== undefined && req.turnId !== undefined ? { [TURN_HEADER]: req.turnId } : {}),
    'content-type': `multipart/form-data; boundary=${boundary}`,
    accept: stream ? 'text/event-stream' : 'application/json',
  };

  let body: Buffer | Readable;
  if (upload === 'buffered') {
    const pcm = await collect(req.audio, signal);
    body = Buffer.concat([head, wavHeader(req.sampleRate, pcm.length), pcm, tail]);
    headers['content-length'] = String(body.length);
  } else {
    body = Readable.from(streamedBody(head, wavHeader(req.sampleRate, undefined), req.audio, tail, signal));
  }

  let response: Dispatcher.ResponseData;
  try {
    response = await request(target.url, {
      method: 'POST',
      headers,
      body,
      signal,
      dispatcher: options.dispatcher ?? sharedDispatcher(),
      // undici's headers timer runs from the start of the request and is not refreshed by small body
      // writes: a streamed upload must have room for the whole utterance (30 s max by default) first.
      headersTimeout: (options.stallTimeoutMs ?? 30_000) + (upload === 'streamed' ? 120_000 : 0),
      bodyTimeout: options.stallTimeoutMs ?? 30_000,
    });
  } catch (err) {
    throw connectionError('transcribe', err);
  }
  const { statusCode, headers: resHeaders } = response;
  if (statusCode < 200 || statusCode >= 300) {
    const text = await response.body.text().catch(() => '');
    throw httpError('transcribe', statusCode, resHeaders, text);
  }
  const contentType = String(resHeaders['content-type'] ?? '');
  try {
    if (contentType.includes('text/event-stream')) {
      await readTranscriptSse(response.body, req.language, emit);
      return;
    }
    const text = await response.body.text();
    emit(parseTranscriptBody(text, contentType, req.language));
  } catch (err) {
    if (err instanceof RxVoiceError) throw err;
    throw connectionError('transcribe', err);
  }
}

async function readTranscriptSse(
  body: AsyncIterable<Uint8Array>,
  hint: string | undefined,
  emit: (u: TranscriptUpdate) => void,
): Promise<void> {
  let text = '';
  let done = false;
  let failure: RxVoiceError | undefined;
  await readSse(body, (data) => {
    if (data === '[DONE]') return true;
    let event: TranscriptionStreamEventWire;
    try {
      event = JSON.parse(data) as TranscriptionStreamEventWire;
    } catch {
      failure = new RxVoiceError({ code: 'protocol', stage: 'transcribe', message: 'malformed transcription stream event', retryable: true });
      return true;
    }
    if ('error' in event && event.error) {
      failure = new RxVoiceError({ code: 'provider_error', stage: 'transcribe', message: `transcription failed: ${event.error.message ?? 'error event'}`, retryable: true });
      return true;
    }
    if (event.type === 'transcript.text.delta' && typeof event.delta === 'string') {
      text += event.delta;
      emit({ text, final: false, ...lang(hint) });
    } else if (event.type === 'transcript.text.done') {
      done = true;
      emit({ text: (event.text ?? text).trim(), final: true, ...lang(event.language ?? event.languages?.[0]?.code ?? hint) });
      return true;
    }
    return false;
  });
  if (failure) throw failure;
  if (!done) throw new RxVoiceError({ code: 'connection', stage: 'transcribe', message: 'transcription stream ended before its final transcript', retryable: true });
}

/** `json` / `verbose_json` / plain text response bodies. */
export function parseTranscriptBody(text: string, contentType: string, hint: string | undefined): TranscriptUpdate {
  if (!contentType.includes('json')) return { text: text.trim(), final: true, ...lang(hint) };
  let body: { text?: unknown; language?: unknown; languages?: { code?: unknown }[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new RxVoiceError({ code: 'protocol', stage: 'transcribe', message: 'transcription response is not valid JSON', retryable: true });
  }
  if (typeof body.text !== 'string') {
    throw new RxVoiceError({ code: 'protocol', stage: 'transcribe', message: 'transcription response has no text', retryable: false });
  }
  const reported = typeof body.language === 'string' ? body.language : typeof body.languages?.[0]?.code === 'string' ? body.languages[0].code : undefined;
  return { text: body.text.trim(), final: true, ...lang(reported ?? hint) };
}

const LANGUAGE_NAMES: Record<string, string> = {
  english: 'en', spanish: 'es', french: 'fr', german: 'de', italian: 'it', portuguese: 'pt', dutch: 'nl',
  japanese: 'ja', chinese: 'zh', korean: 'ko', russian: 'ru', arabic: 'ar', hindi: 'hi', polish: 'pl',
  turkish: 'tr', swedish: 'sv', danish: 'da', norwegian: 'no', finnish: 'fi', greek: 'el', czech: 'cs',
  ukrainian: 'uk', hebrew: 'he', catalan: 'ca', romanian: 'ro', hungarian: 'hu', vietnamese: 'vi',
  indonesian: 'id', thai: 'th', malay: 'ms', tagalog: 'tl',
};

/** ISO-639-1 from a code (`en`, `en-US`) or a name (`english`, as whisper's verbose_json says). */
export function normalizeLanguage(language: string | undefined): string | undefined {
  if (!language) return undefined;
  const l = language.trim().toLowerCase();
  if (/^[a-z]{2}([-_][a-z0-9]+)?$/.test(l)) return l.slice(0, 2);
  return LANGUAGE_NAMES[l] ?? l;
}

function lang(language: string | undefined): { language?: string } {
  const l = normalizeLanguage(language);
  return l ? { language: l } : {};
}

/** A 44-byte PCM16 mono WAV header; unknown length (streamed upload) uses 0xFFFFFFFF sizes. */
export function wavHeader(sampleRate: number, dataBytes: number | undefined): Buffer {
  const h = Buffer.alloc(44);
  const size = dataBytes === undefined ? 0xffffffff : dataBytes;
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(dataBytes === undefined ? 0xffffffff : 36 + size, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(size, 40);
  return h;
}


async function collect(audio: Observable<Int16Array>, signal: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const samples of toAsyncIterable(audio, signal)) parts.push(pcm16ToBytes(samples));
  return Buffer.concat(parts);
}

async function* streamedBody(
  head: Buffer,
  wav: Buffer,
  audio: Observable<Int16Array>,
  tail: Buffer,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  yield Buffer.concat([head, wav]);
  // What queued up between pulls (the audio so far, replayed to a request opened mid-utterance) goes out
  // as one write: one chunk header and one socket write instead of one per piece.
  for await (const batch of toAsyncBatches(audio, signal)) {
    const bytes = batch.length === 1 ? pcm16ToBytes(batch[0]!) : Buffer.concat(batch.map(pcm16ToBytes));
    if (bytes.length > 0) yield bytes;
  }
  yield tail;
}

/** An Observable as an async iterable (buffers what arrives between pulls; unsubscribes when abandoned). */
export async function* toAsyncIterable<T>(source: Observable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  for await (const batch of toAsyncBatches(source, signal)) yield* batch;
}

/** `toAsyncIterable`, but each pull takes everything that arrived since the last one. */
async function* toAsyncBatches<T>(source: Observable<T>, signal?: AbortSignal): AsyncGenerator<T[]> {
  const queue: T[] = [];
  let finished = false;
  let failure: { err: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  const sub = source.subscribe({
    next: (v) => {
      queue.push(v);
      notify();
    },
    error: (err: unknown) => {
      failure = { err };
      notify();
    },
    complete: () => {
      finished = true;
      notify();
    },
  });
  const onAbort = (): void => notify();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (queue.length > 0) {
        yield queue.splice(0);
        continue;
      }
      if (failure) throw failure.err;
      if (finished) return;
      if (signal?.aborted) throw new RxVoiceError({ code: 'connection', stage: 'transcribe', message: 'aborted' });
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    sub.unsubscribe();
  }
}
