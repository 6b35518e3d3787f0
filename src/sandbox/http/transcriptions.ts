import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type SniffedAudio, audioDurationS, sniffAudio } from '../audio-sniff.js';
import { type ErrorFlavor, openaiErrorBody, sendJson, sendProviderError } from '../errors.js';
import { DEFAULT_AFTER_CHUNKS, applyHttpFault, resetSocket, statusFaultResponse } from '../faults.js';
import { MultipartParser, multipartBoundary } from '../multipart.js';
import { SseStream } from '../sse.js';
import { type SandboxState, type TranscriptionUploadStat, transcriptForAudio } from '../state.js';
import { sleep } from '../time.js';
import { splitTokens } from '../tokens.js';
import { CALL_HEADER, TURN_HEADER, FAULT_HEADER } from '../types.js';
import type { TranscriptLogprobWire, TranscriptionStreamEventWire } from '../../providers/openai/wire.js';
import { headerValue } from './body.js';
import { sendWithFault } from './respond.js';

export interface TranscriptionRoute {
  readonly flavor: ErrorFlavor;
  /** Azure classic form: the deployment in the path selects the model. */
  readonly deployment?: string;
}

const TRANSCRIBE_MODEL = /^(whisper-1|gpt-[\w.-]*transcribe[\w.-]*|gpt-realtime-whisper|gpt-live-transcribe)$/i;
const FORMATS = new Set(['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json']);
const MAX_FIELD_BYTES = 64 * 1024;
const MIN_AUDIO_S = 0.1;
/** OpenAI's upload limit (25 MB). */
const MAX_UPLOAD_BYTES = 26_214_400;

/** whisper's verbose_json names the language in English words, not ISO codes. */
const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  en: 'english', fr: 'french', de: 'german', es: 'spanish', it: 'italian', pt: 'portuguese', nl: 'dutch',
  ja: 'japanese', zh: 'chinese', ko: 'korean', ru: 'russian', pl: 'polish', sv: 'swedish', tr: 'turkish', ar: 'arabic', hi: 'hindi',
};

interface UploadedFile {
  readonly filename: string | undefined;
  head: Buffer;
  sniffed: SniffedAudio | undefined;
  bytes: number;
}

/** What the streaming body reader collected. */
interface Upload {
  readonly fields: Map<string, string[]>;
  file: UploadedFile | undefined;
  parseError: string | undefined;
  /** The client went away, or a reset fault dropped the connection. */
  gone: boolean;
}

/**
 * Reads the multipart body AS IT ARRIVES (chunked uploads included), recording when the first byte and
 * the end came, so tests can prove the client streamed its upload. Never throws: errors land in `parseError`.
 */
async function readUpload(req: IncomingMessage, boundary: string, stat: TranscriptionUploadStat, resetAfterChunks: number | undefined): Promise<Upload> {
  const upload: Upload = { fields: new Map(), file: undefined, parseError: undefined, gone: false };
  let current: { name: string; text: Buffer[]; size: number } | UploadedFile | undefined;
  const parser = new MultipartParser(boundary, {
    onPartStart: (part) => {
      if (part.filename !== undefined || part.name === 'file') {
        const file: UploadedFile = { filename: part.filename, head: Buffer.alloc(0), sniffed: undefined, bytes: 0 };
        if (part.name === 'file') upload.file = file;
        current = file;
      } else {
        current = { name: part.name, text: [], size: 0 };
      }
    },
    onPartData: (data) => {
      if (!current) return;
      if ('text' in current) {
        current.size += data.length;
        if (current.size <= MAX_FIELD_BYTES) current.text.push(Buffer.from(data));
        return;
      }
      current.bytes += data.length;
      if (!current.sniffed) {
        current.head = Buffer.concat([current.head, data]);
        current.sniffed = sniffAudio(current.head, false);
      }
    },
    onPartEnd: () => {
      if (current && 'text' in current) {
        const values = upload.fields.get(current.name) ?? [];
        values.push(Buffer.concat(current.text).toString('utf8'));
        upload.fields.set(current.name, values);
      } else if (current && !current.sniffed) {
        current.sniffed = sniffAudio(current.head, true);
      }
      current = undefined;
    },
  });

  let chunks = 0;
  try {
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      stat.firstByteAt ??= performance.now();
      stat.bytesReceived += buf.length;
      chunks += 1;
      if (resetAfterChunks !== undefined && chunks >= resetAfterChunks) {
        resetSocket(req.socket); // the connection drops mid-upload
        upload.gone = true;
        return upload;
      }
      if (upload.parseError) continue; // keep draining so the 400 can still be delivered
      try {
        parser.push(buf);
      } catch (err) {
        upload.parseError = err instanceof Error ? err.message : String(err);
      }
    }
  } catch {
    upload.gone = true; // client aborted
    return upload;
  }
  stat.endAt = performance.now();
  if (resetAfterChunks !== undefined) {
    resetSocket(req.socket); // fewer chunks than asked: drop at the end of the upload, before any answer
    upload.gone = true;
    return upload;
  }
  if (!upload.parseError) {
    try {
      parser.end();
    } catch (err) {
      upload.parseError = err instanceof Error ? err.message : String(err);
    }
  }
  return upload;
}

function first(fields: Map<string, string[]>, name: string): string | undefined {
  return fields.get(name)?.[0];
}

function srtTime(seconds: number, separator: ',' | '.'): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
}

/** Words without punctuation, each given a share of the audio by its length (TranscriptionWord: word, start, end). */
function wordTimes(text: string, seconds: number): Array<{ word: string; start: number; end: number }> {
  const words = text.split(/\s+/).map((w) => w.replace(/^[^\p{L}\p{N}']+|[^\p{L}\p{N}']+$/gu, '')).filter((w) => w !== '');
  const total = words.reduce((n, w) => n + w.length, 0);
  const round = (t: number): number => Math.round(t * 100) / 100;
  let at = 0;
  return words.map((word) => {
    const start = at;
    at += total === 0 ? 0 : (word.length / total) * seconds;
    return { word, start: round(start), end: round(at) };
  });
}

/** Serves `POST .../audio/transcriptions` for OpenAI and both Azure URL forms. */
export async function handleTranscription(
  state: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  route: TranscriptionRoute,
): Promise<void> {
  const flavor = route.flavor;
  const stat: TranscriptionUploadStat = {
    callKey: headerValue(req, CALL_HEADER) ?? 'default',
    startedAt: performance.now(),
    bytesReceived: 0,
    audioBytes: 0,
  };
  const respond = (status: number): void => {
    stat.status = status;
    stat.respondedAt = performance.now();
  };
  const fail = (status: number, init: Parameters<typeof openaiErrorBody>[0]): void => {
    respond(status);
    sendProviderError(res, 'openai', status, init);
  };

  const denied = state.checkAuth(flavor, req.headers, url.searchParams);
  if (denied) {
    req.resume();
    respond(denied.status);
    return sendJson(res, denied.status, denied.body);
  }
  state.stats.transcriptions.push(stat);
  const fault = state.takeFault('transcribe', headerValue(req, FAULT_HEADER) ?? url.searchParams.get('fault') ?? undefined);
  if (fault) stat.fault = fault.kind;
  if (applyHttpFault(res, fault, flavor)) {
    req.resume();
    respond(statusFaultResponse(fault!, flavor)?.status ?? 500);
    return;
  }

  const boundary = multipartBoundary(headerValue(req, 'content-type'));
  if (!boundary) {
    req.resume();
    return fail(400, {
      message: `Invalid Content-Type header (${headerValue(req, 'content-type') ?? 'none'}), expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')`,
    });
  }

  const resetAfter = fault?.kind === 'reset' ? (fault.afterChunks ?? DEFAULT_AFTER_CHUNKS) : undefined;
  const upload = await readUpload(req, boundary, stat, resetAfter);
  if (upload.gone) return;
  if (upload.parseError) return fail(400, { message: `Could not parse multipart form: ${upload.parseError}` });

  if (stat.bytesReceived > MAX_UPLOAD_BYTES) {
    return fail(413, {
      message: `Maximum content size limit (${MAX_UPLOAD_BYTES}) exceeded (${stat.bytesReceived} bytes read)`,
      type: 'server_error',
    });
  }
  const model = route.deployment ?? first(upload.fields, 'model');
  if (!model) return fail(400, { message: 'you must provide a model parameter', param: 'model' });
  const file = upload.file;
  if (!file) return fail(400, { message: "Missing required parameter: 'file'.", param: 'file', code: 'missing_required_parameter' });
  if (flavor === 'openai' && !TRANSCRIBE_MODEL.test(model)) {
    respond(404);
    return sendJson(res, 404, openaiErrorBody({ message: `The model \`${model}\` does not exist or you do not have access to it.`, code: 'model_not_found' }));
  }
  const format = first(upload.fields, 'response_format') ?? 'json';
  if (!FORMATS.has(format)) {
    return fail(400, {
      message: `Invalid value: '${format}'. Supported values are: 'json', 'text', 'srt', 'verbose_json', 'vtt', and 'diarized_json'.`,
      param: 'response_format',
      code: 'invalid_value',
    });
  }
  const sniffed = file.sniffed ?? sniffAudio(file.head, true);
  if (!sniffed || sniffed.format === 'unknown') {
    return fail(400, { message: 'Audio file might be corrupted or unsupported', param: 'file', code: 'invalid_value' });
  }
  stat.audioBytes = sniffed.format === 'wav' ? Math.max(0, file.bytes - sniffed.dataOffset) : file.bytes;
  const duration = audioDurationS(sniffed, stat.audioBytes);
  if (duration !== undefined && duration < MIN_AUDIO_S) {
    return fail(400, { message: 'Audio file is too short. Minimum audio length is 0.1 seconds.', param: 'file', code: 'audio_too_short' });
  }

  // Grows with the uploaded audio, as the REST API's does (profiles.ts cites the measurements).
  if (duration !== undefined) stat.audioSeconds = duration;
  stat.scheduledDelayMs = state.latency.transcribeMs(duration ?? 0);
  await sleep(stat.scheduledDelayMs);
  if (res.destroyed) return;
  // A faulted request does not use up the scenario's utterance: the client's retry gets the same one.
  const turnKey = headerValue(req, TURN_HEADER);
  const utterance = fault ? state.peekUtterance(stat.callKey) : turnKey ? state.utteranceForTurn(stat.callKey, turnKey) : state.nextUtterance(stat.callKey);
  // Only what was uploaded: a preemptive request cut at a pause hears the words before it (scenario `partials`).
  const text = transcriptForAudio(utterance, duration === undefined ? undefined : duration * 1000);
  const seconds = duration ?? Math.max(1, text.split(/\s+/).length * 0.4);
  const isWhisper = /^whisper/i.test(model);
  const pieces = splitTokens(text);
  const audioTokens = Math.max(1, Math.round(seconds * 10));
  const usage = isWhisper
    ? { type: 'duration', seconds: Math.ceil(seconds) }
    : {
        type: 'tokens',
        input_tokens: audioTokens,
        input_token_details: { text_tokens: 0, audio_tokens: audioTokens },
        output_tokens: pieces.length,
        total_tokens: audioTokens + pieces.length,
      };
  const includes = [...(upload.fields.get('include[]') ?? []), ...(upload.fields.get('include') ?? [])];
  const withLogprobs = includes.includes('logprobs') && !isWhisper;
  const logprobsOf = (piece: string): TranscriptLogprobWire[] => [
    { token: piece, logprob: -0.01, bytes: [...Buffer.from(piece, 'utf8')] },
  ];
  respond(200);

  if (first(upload.fields, 'stream') === 'true' && !isWhisper) {
    const sse = new SseStream(res, fault);
    for (const piece of pieces) {
      const delta: TranscriptionStreamEventWire = { type: 'transcript.text.delta', delta: piece, ...(withLogprobs ? { logprobs: logprobsOf(piece) } : {}) };
      if (!(await sse.send(delta))) return;
    }
    const done: TranscriptionStreamEventWire = {
      type: 'transcript.text.done',
      text,
      ...(withLogprobs ? { logprobs: pieces.flatMap(logprobsOf) } : {}),
      usage,
    };
    if (!(await sse.send(done))) return;
    // The stream ends after `transcript.text.done`: no `[DONE]` line, unlike chat (openai-node
    // resources/audio/transcriptions.ts: TranscriptionStreamEvent = TranscriptionTextDeltaEvent |
    // TranscriptionTextDoneEvent; the done event is the last).
    return sse.close();
  }

  switch (format) {
    case 'text':
      return sendWithFault(res, fault, text, 'text');
    case 'srt':
      return sendWithFault(res, fault, `1\n${srtTime(0, ',')} --> ${srtTime(seconds, ',')}\n${text}\n\n`, 'text');
    case 'vtt':
      return sendWithFault(res, fault, `WEBVTT\n\n${srtTime(0, '.')} --> ${srtTime(seconds, '.')}\n${text}\n\n`, 'text');
    case 'verbose_json': {
      // `timestamp_granularities[]` picks `segments` (the default), `words`, or both (openai-node
      // resources/audio/transcriptions.ts: TranscriptionCreateParams.timestamp_granularities,
      // TranscriptionVerbose.words / segments; the SDK sends arrays as `name[]` form fields).
      const granularities = [...(upload.fields.get('timestamp_granularities[]') ?? []), ...(upload.fields.get('timestamp_granularities') ?? [])];
      const withWords = granularities.includes('word');
      const withSegments = granularities.length === 0 || granularities.includes('segment');
      return sendWithFault(res, fault, {
        task: 'transcribe',
        language: LANGUAGE_NAMES[utterance.language] ?? utterance.language,
        duration: seconds,
        text,
        ...(withWords ? { words: wordTimes(text, seconds) } : {}),
        ...(withSegments
          ? {
              segments: [
                { id: 0, seek: 0, start: 0, end: seconds, text: ` ${text}`, tokens: pieces.map((_, i) => 50364 + i), temperature: 0, avg_logprob: -0.1, compression_ratio: 1, no_speech_prob: 0.01 },
              ],
            }
          : {}),
        usage,
      });
    }
    case 'diarized_json':
      return sendWithFault(res, fault, {
        task: 'transcribe',
        duration: seconds,
        text,
        segments: [{ type: 'transcript.text.segment', id: 'seg_0', start: 0, end: seconds, text, speaker: 'A' }],
        usage,
      });
    default:
      return sendWithFault(res, fault, { text, ...(withLogprobs ? { logprobs: pieces.flatMap(logprobsOf) } : {}), usage });
  }
}
