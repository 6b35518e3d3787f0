import { speechKey } from '../cheap.js';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../context.js';
import type { StreamFaults } from '../faults.js';
import { type EncodedSpeech, type SpeechChunk, splitIntoChunks, toRestAlignment } from './chunks.js';
import { Pacer, chunkFaults, elevenLabsStatusFault, requestFaultText, resetSocket } from './faults.js';
import { DEFAULT_REST_FORMAT, type OutputFormat, encodeAudio, parseOutputFormat } from './formats.js';
import type { TextToSpeechBody } from '../../providers/elevenlabs/wire.js';
import { errorBody, isKnownVoiceId, validationError, voiceNotFound } from './wire.js';

export interface RestRoute {
  readonly voiceId: string;
  /** `/stream`: chunked and paced; otherwise the whole answer at once. */
  readonly stream: boolean;
  /** `/with-timestamps`: JSON with base64 audio and alignment instead of raw audio. */
  readonly timestamps: boolean;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** `POST /v1/text-to-speech/{voice_id}[/stream][/with-timestamps]`. */
export async function handleTextToSpeech(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse, url: URL, route: RestRoute): Promise<void> {
  if (req.method !== 'POST') {
    req.resume();
    return send(res, 405, { detail: 'Method Not Allowed' }, { allow: 'POST' });
  }
  const authFailure = ctx.checkAuth('elevenlabs', req.headers, url.searchParams);
  if (authFailure) {
    req.resume();
    return send(res, authFailure.status, authFailure.body);
  }
  const fault = ctx.takeFault('tts', requestFaultText(req, url));
  const statusFault = elevenLabsStatusFault(fault);
  if (statusFault) {
    req.resume();
    return send(res, statusFault.status, statusFault.body, { 'x-rxvoice-fault': fault?.kind ?? '', ...statusFault.headers });
  }
  if (!isKnownVoiceId(route.voiceId)) {
    req.resume();
    return send(res, 404, voiceNotFound(route.voiceId));
  }
  const formatName = url.searchParams.get('output_format') ?? DEFAULT_REST_FORMAT;
  const parsedFormat = parseOutputFormat(formatName);
  if (!parsedFormat.ok) {
    req.resume();
    return parsedFormat.reason === 'unknown'
      ? send(res, 422, validationError('enum', ['query', 'output_format'], parsedFormat.message, formatName))
      : send(res, 400, errorBody('unsupported_output_format', parsedFormat.message));
  }
  const body = await readJsonBody(req);
  if (!body.ok) return send(res, body.status, body.error);

  const controller = new AbortController();
  res.on('close', () => controller.abort());
  const pacer = new Pacer({ firstByteMs: ctx.latency.ttsFirstByteMs(), speedFactor: ctx.profile.tts.speedFactor }, controller.signal);
  pacer.start();
  const format = parsedFormat.format;
  let encoded: EncodedSpeech;
  try {
    encoded = await synthesizeEncoded(ctx, body.value, format);
  } catch {
    return send(res, 500, errorBody('internal_server_error', 'We are sorry, something went wrong. You are not charged for this request.'));
  }
  const headers: Record<string, string> = {
    'request-id': randomUUID().replace(/-/g, ''),
    'x-character-count': String([...body.value.text].length),
    // The sandbox says what it is, so nobody mistakes it for ElevenLabs.
    'x-rxvoice-sandbox': ctx.label,
    ...(fault ? { 'x-rxvoice-fault': fault.kind } : {}),
  };
  const chunks = splitIntoChunks(encoded);
  const faults = chunkFaults(
    fault,
    {
      reset: () => resetSocket(res.socket),
      malformed: () => {
        if (!res.headersSent) res.writeHead(200, { ...headers, 'content-type': contentType(format, route) });
        // NDJSON: a line that is not JSON; raw audio: an odd byte that breaks the sample alignment.
        res.write(route.timestamps ? '{"audio_base64": "AAAA", "alignm\n' : Buffer.from([0x7f]));
      },
    },
    controller.signal,
  );
  if (route.stream) await streamChunks(res, chunks, route, format, headers, pacer, faults);
  else await sendWhole(res, encoded, chunks, route, format, headers, pacer, faults);
}

/** Speech for a request body, encoded in the output format (shared with the WebSocket surface). */
export async function synthesizeEncoded(
  ctx: SandboxContext,
  request: { readonly text: string; readonly language_code?: string; readonly voice_settings?: { readonly speed?: number } | null },
  format: OutputFormat,
): Promise<EncodedSpeech> {
  const speed = request.voice_settings?.speed;
  const options = {
    ...(request.language_code ? { language: request.language_code } : {}),
    ...(typeof speed === 'number' ? { speed } : {}),
  };
  return ctx.memoize(speechKey(request.text, format.name, options), async () => {
    const speech = await ctx.synthesize(request.text, format.sampleRate, options);
    return {
      bytes: await encodeAudio(format, speech.samples),
      durationMs: (speech.samples.length * 1000) / speech.sampleRate,
      alignment: speech.alignment,
      frameBytes: format.frameBytes,
    };
  });
}

async function streamChunks(
  res: ServerResponse,
  chunks: readonly SpeechChunk[],
  route: RestRoute,
  format: OutputFormat,
  headers: Record<string, string>,
  pacer: Pacer,
  faults: StreamFaults,
): Promise<void> {
  for (const chunk of chunks) {
    await pacer.waitFor(chunk.startMs);
    if (!(await faults.before())) return;
    if (!res.headersSent) res.writeHead(200, { ...headers, 'content-type': contentType(format, route) });
    if (route.timestamps) {
      const alignment = toRestAlignment(chunk.alignment, chunk.startMs);
      res.write(`${JSON.stringify({ audio_base64: chunk.bytes.toString('base64'), alignment, normalized_alignment: alignment })}\n`);
    } else {
      res.write(chunk.bytes);
    }
  }
  if (!res.headersSent) {
    await pacer.waitFor(0);
    res.writeHead(200, { ...headers, 'content-type': contentType(format, route) });
  }
  res.end();
}

/** Non-streaming: everything once it is all "generated"; a mid-stream fault strikes half-way through the body. */
async function sendWhole(
  res: ServerResponse,
  encoded: EncodedSpeech,
  chunks: readonly SpeechChunk[],
  route: RestRoute,
  format: OutputFormat,
  headers: Record<string, string>,
  pacer: Pacer,
  faults: StreamFaults,
): Promise<void> {
  await pacer.waitFor(encoded.durationMs);
  const alignment = toRestAlignment(encoded.alignment, 0);
  const body = route.timestamps
    ? Buffer.from(JSON.stringify({ audio_base64: encoded.bytes.toString('base64'), alignment, normalized_alignment: alignment }))
    : encoded.bytes;
  res.writeHead(200, { ...headers, 'content-type': contentType(format, route), 'content-length': String(body.length) });
  // Faults count chunks here too, so `reset;afterChunks=1` cuts the body after the first chunk's share.
  const share = chunks.length > 0 ? Math.ceil(body.length / chunks.length) : body.length;
  for (let offset = 0; offset < body.length || offset === 0; offset += share) {
    if (!(await faults.before())) return;
    res.write(body.subarray(offset, offset + share));
    if (body.length === 0) break;
  }
  res.end();
}

function contentType(format: OutputFormat, route: RestRoute): string {
  return route.timestamps ? 'application/json' : format.contentType;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

type BodyResult = { ok: true; value: TextToSpeechBody } | { ok: false; status: number; error: unknown };

/** Reads and validates the JSON body as ElevenLabs' FastAPI would (422 with `detail[]`). */
async function readJsonBody(req: IncomingMessage): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, error: errorBody('payload_too_large', 'Request body too large.') };
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return {
      ok: false,
      status: 422,
      error: { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: err instanceof Error ? err.message : 'Invalid JSON' } }] },
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, status: 422, error: validationError('model_attributes_type', ['body'], 'Input should be a valid dictionary or object to extract fields from', parsed) };
  }
  const body = parsed as Record<string, unknown>;
  if (!('text' in body)) return { ok: false, status: 422, error: validationError('missing', ['body', 'text'], 'Field required', body) };
  if (typeof body.text !== 'string') return { ok: false, status: 422, error: validationError('string_type', ['body', 'text'], 'Input should be a valid string', body.text) };
  if (body.text.trim() === '') return { ok: false, status: 400, error: errorBody('empty_text', 'The text must contain at least one character that is not whitespace.') };
  const settings = body.voice_settings;
  if (settings !== undefined && settings !== null && (typeof settings !== 'object' || Array.isArray(settings))) {
    return { ok: false, status: 422, error: validationError('model_attributes_type', ['body', 'voice_settings'], 'Input should be a valid dictionary or object to extract fields from', settings) };
  }
  return { ok: true, value: body as unknown as TextToSpeechBody };
}
