import WebSocket, { type RawData } from 'ws';
import { frameDurationMs } from '../audio/frame.js';
import type { PipelineEvent } from '../events.js';
import { muLawDecode } from './codec.js';
import { OutboundAudioPolicy, type SessionHost } from './session-host.js';
import { PipelineRun } from './session.js';
import type { PipelineName, WireFormat } from './types.js';

/** Twilio Media Streams messages we read (Twilio Media Streams WebSocket messages docs); numbers arrive as strings. */
interface TwilioInbound {
  readonly event: 'connected' | 'start' | 'media' | 'mark' | 'dtmf' | 'stop' | string;
  readonly streamSid?: string;
  readonly sequenceNumber?: string;
  readonly start?: {
    readonly streamSid?: string;
    readonly callSid?: string;
    readonly accountSid?: string;
    readonly tracks?: readonly string[];
    readonly customParameters?: Readonly<Record<string, string>>;
    readonly mediaFormat?: { readonly encoding?: string; readonly sampleRate?: number; readonly channels?: number };
  };
  readonly media?: { readonly track?: string; readonly chunk?: string; readonly timestamp?: string; readonly payload?: string };
  readonly mark?: { readonly name?: string };
  readonly dtmf?: { readonly track?: string; readonly digit?: string };
}

const TWILIO_FORMAT: WireFormat = { encoding: 'mulaw', sampleRate: 8000 };
/** Outbound media chunk: 20 ms of 8 kHz mu-law, Twilio's own framing. */
const CHUNK_BYTES = 160;
/** A timestamp this far beyond the audio received so far is a gap (jitter below it is ignored). */
const GAP_TOLERANCE_MS = 10;
/**
 * At most this much silence is synthesised for one gap (one message). A timestamp further ahead is a
 * discontinuity, not packet loss: the gap is filled up to this bound and later timestamps count from
 * there, so one hostile message can never make the server synthesise (or record) more than this.
 */
export const MAX_GAP_FILL_MS = 1000;

/** Bounds on `start.customParameters` (Twilio sends string name/value pairs); beyond them, dropped. */
export const MAX_CUSTOM_PARAMETERS = 32;
export const MAX_PARAMETER_NAME_CHARS = 64;
export const MAX_PARAMETER_VALUE_CHARS = 1024;

/** Keeps string values only (so a deeply nested value never reaches the recording), capped in count and size. */
function boundedParameters(raw: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  let count = 0;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (count >= MAX_CUSTOM_PARAMETERS) break;
    if (typeof value !== 'string' || name.length > MAX_PARAMETER_NAME_CHARS) continue;
    out[name] = value.slice(0, MAX_PARAMETER_VALUE_CHARS);
    count++;
  }
  return out;
}

/**
 * One Twilio call over a bidirectional Media Stream. Caller audio: base64 mu-law 8 kHz, gaps in
 * `media.timestamp` filled with silence. Reply audio: `media` chunks of 160 bytes, each followed by a
 * `mark` named `<turnId>:<ms played once it is reached>:g<generation>`; Twilio echoes a mark when the audio
 * before it has played, which feeds the PlaybackClock. On barge-in the server sends `clear` and bumps the
 * turn's generation; Twilio then echoes the pending marks too, and those (older generation) are ignored:
 * they were discarded, not heard. A `reply.resume` sends the rest of the reply under the new generation.
 */
export function handleTwilioSession(ws: WebSocket, host: SessionHost): void {
  let streamSid: string | undefined;
  let run: PipelineRun | undefined;
  let audio: OutboundAudioPolicy | undefined;
  // Per reply: how much audio the pipeline handed on (ms, in the PlaybackClock's own timeline), the last
  // position Twilio confirmed as played, and a generation that a `clear` bumps, so the marks Twilio echoes
  // for discarded audio are told apart from played ones.
  const replies = new Map<string, { inputMs: number; playedMs: number; generation: number; cleared: boolean }>();
  const reply = (turnId: string) => {
    let state = replies.get(turnId);
    if (!state) replies.set(turnId, (state = { inputMs: 0, playedMs: 0, generation: 0, cleared: false }));
    return state;
  };

  const send = (value: unknown): void => host.gate.sendEvent(JSON.stringify(value));

  /** One media chunk and its mark: `positionMs` is where the reply stands once Twilio has played it. */
  const sendChunk = (turnId: string, piece: Buffer, positionMs: number): void => {
    const message = JSON.stringify({ event: 'media', streamSid, media: { payload: piece.toString('base64') } });
    if (!host.gate.sendAudio(message, piece.length)) return;
    const state = reply(turnId);
    send({ event: 'mark', streamSid, mark: { name: `${turnId}:${positionMs}:g${state.generation}` } });
  };

  // Reply audio goes out in whole 20 ms chunks; a partial chunk waits briefly for the next frame. Mark
  // positions count in the pipeline's frames (not the re-encoded bytes, which a resampler may hold a few
  // samples back), so the last mark of a reply equals what the pipeline emitted: played means finished.
  let pending: { turnId: string; bytes: Buffer } | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const flushPending = (): void => {
    clearTimeout(flushTimer);
    if (pending && pending.bytes.length > 0 && !reply(pending.turnId).cleared) {
      sendChunk(pending.turnId, pending.bytes, Math.ceil(reply(pending.turnId).inputMs));
    }
    pending = undefined;
  };
  const sendReplyAudio = (turnId: string, bytes: Buffer, frameMs: number): void => {
    if (pending && pending.turnId !== turnId) flushPending();
    const state = reply(turnId);
    state.inputMs += frameMs;
    let data = pending ? Buffer.concat([pending.bytes, bytes]) : bytes;
    let offset = 0;
    for (; offset + CHUNK_BYTES <= data.length; offset += CHUNK_BYTES) {
      const remainingMs = (data.length - offset - CHUNK_BYTES) / 8; // 8 mu-law bytes per ms
      sendChunk(turnId, data.subarray(offset, offset + CHUNK_BYTES), Math.max(0, Math.floor(state.inputMs - remainingMs)));
    }
    data = data.subarray(offset);
    pending = { turnId, bytes: data };
    clearTimeout(flushTimer);
    if (data.length > 0) flushTimer = setTimeout(flushPending, 40);
  };
  ws.once('close', () => clearTimeout(flushTimer));

  const onEvent = (event: PipelineEvent): void => {
    if (event.type === 'assistant.audio') {
      const bytes = audio?.encode(event);
      if (bytes) sendReplyAudio(event.turnId, bytes, frameDurationMs(event.frame));
      return;
    }
    audio?.observe(event);
  };

  const onStart = async (message: TwilioInbound): Promise<void> => {
    const start = message.start ?? {};
    streamSid = start.streamSid ?? message.streamSid;
    const fmt = start.mediaFormat;
    if (!streamSid || (fmt && (fmt.encoding !== 'audio/x-mulaw' || fmt.sampleRate !== 8000))) {
      host.close(1008, 'expected a start with streamSid and audio/x-mulaw 8000');
      return;
    }
    const params = boundedParameters(start.customParameters);
    const allowed = host.allow?.pipelines ?? ['cascaded', 'realtime'];
    const asked = params.pipeline as PipelineName | undefined;
    const pipeline = asked && allowed.includes(asked) ? asked : allowed[0]!;
    // Twilio sends strings; anything else in customParameters is ignored.
    const voice = typeof params.voice === 'string' && params.voice && (!host.allow?.voices || host.allow.voices.includes(params.voice)) ? params.voice : undefined;
    const language =
      typeof params.language === 'string' && params.language && (!host.allow?.languages || host.allow.languages.includes(params.language)) ? params.language : undefined;
    const recorder = await host.openRecorder();
    if (ws.readyState !== WebSocket.OPEN) return void (await recorder?.close()); // gone while the file opened
    recorder?.note({ role: 'call', streamSid, callSid: start.callSid, customParameters: params }, 0);
    audio = new OutboundAudioPolicy(
      TWILIO_FORMAT,
      host,
      recorder,
      () => {},
      (turnId) => {
        // Barge-in: flush what Twilio still queues for the caller. What was sent past the last confirmed
        // mark was discarded, so the reply's position goes back to what was played.
        const state = reply(turnId);
        state.cleared = true;
        state.generation++;
        state.inputMs = state.playedMs;
        if (pending?.turnId === turnId) pending = undefined;
        send({ event: 'clear', streamSid });
      },
      (turnId) => {
        reply(turnId).cleared = false; // the reply goes on from where the caller stopped hearing it
      },
    );
    run = new PipelineRun(
      host.factory,
      {
        pipeline,
        outputFormat: TWILIO_FORMAT,
        sessionId: host.id,
        transport: 'twilio',
        customParameters: params,
        ...(voice ? { voice } : {}),
        ...(language ? { language } : {}),
        ...host.systemPromptFor(undefined),
      },
      8000,
      onEvent,
      recorder,
    );
    host.attach(run, recorder);
  };

  /** Call-clock time skipped by discontinuities (gaps beyond MAX_GAP_FILL_MS), not synthesised. */
  let timestampOffsetMs = 0;
  const onMedia = (message: TwilioInbound): void => {
    const media = message.media;
    if (!run || typeof media?.payload !== 'string' || (media.track !== undefined && media.track !== 'inbound')) return;
    const timestamp = typeof media.timestamp === 'string' || typeof media.timestamp === 'number' ? Number(media.timestamp) : NaN;
    const expectedMs = run.receivedMs + timestampOffsetMs;
    if (Number.isFinite(timestamp) && timestamp > expectedMs + GAP_TOLERANCE_MS) {
      // Twilio skipped audio (packet loss): keep audio time aligned with the call's clock, within bounds.
      const gapMs = timestamp - expectedMs;
      const fillMs = Math.min(gapMs, MAX_GAP_FILL_MS);
      timestampOffsetMs += gapMs - fillMs;
      run.push(new Int16Array(Math.round((fillMs * 8000) / 1000)));
    }
    run.push(muLawDecode(Buffer.from(media.payload, 'base64')));
  };

  const onMark = (message: TwilioInbound): void => {
    const name = message.mark?.name;
    const match = typeof name === 'string' ? /^(.*):(\d+):g(\d+)$/.exec(name) : null;
    if (!match || !run) return;
    const [, turnId, ms, generation] = match;
    const state = replies.get(turnId!);
    if (!state || state.generation !== Number(generation)) return; // echoed by a clear: discarded, not heard
    state.playedMs = Math.max(state.playedMs, Number(ms));
    run.playback.reportPlayed(turnId!, state.playedMs);
  };

  let queue: Promise<void> = Promise.resolve();
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) return;
    let message: TwilioInbound;
    try {
      message = JSON.parse(data.toString()) as TwilioInbound;
    } catch {
      return; // Twilio only sends JSON; anything else is noise
    }
    if (!message || typeof message !== 'object') return; // `null` or a bare number: noise too
    // `start` opens the recorder asynchronously: keep the messages behind it in order.
    queue = queue
      .then(async () => {
      switch (message.event) {
        case 'start':
          if (!run) await onStart(message);
          return;
        case 'media':
          return onMedia(message);
        case 'mark':
          return onMark(message);
        case 'dtmf':
          host.note({ role: 'dtmf', digit: typeof message.dtmf?.digit === 'string' ? message.dtmf.digit.slice(0, 8) : undefined });
          return;
        case 'stop':
          void host.finish('call ended');
          return;
        default:
          return; // 'connected' and future events
      }
      })
      .catch((err: unknown) => {
        // Never 1011 and never internal text to the client: the detail goes to the log only.
        host.log(`twilio message failed: ${err instanceof Error ? err.message : String(err)}`);
        host.close(1008, 'invalid message');
      });
  });
}
