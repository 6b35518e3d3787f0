import WebSocket, { type RawData } from 'ws';
import { frameDurationMs } from '../../audio/frame.js';
import type { PipelineEvent } from '../../events.js';
import { OutboundAudioPolicy, type SessionHost } from '../session-host.js';
import { PipelineRun } from '../session.js';
import type { CallControl } from '../call-control.js';
import type { PipelineName } from '../types.js';
import { bytesPerMs, CarrierDecoder, silenceByte, toCarrierBytes, wireFormatOf } from './codec.js';
import { ClockMarks } from './clock-marks.js';
import { AnsweringMachineAction, type AnsweringMachineOptions } from './amd-action.js';
import { onCarrierAmd } from './amd-results.js';
import type { CarrierFormat, CarrierMessage, CarrierSerializer } from './types.js';

/** A timestamp this far beyond the audio received so far is a gap (jitter below it is ignored). */
const GAP_TOLERANCE_MS = 10;
/**
 * At most this much silence is synthesised for one gap (one message). A timestamp further ahead is a
 * discontinuity, not packet loss: the gap is filled up to this bound and later timestamps count from
 * there, so one hostile message can never make the server synthesise (or record) more than this.
 */
export const MAX_GAP_FILL_MS = 1000;

/**
 * One phone call over a carrier's bidirectional media stream, the same for every carrier: the serializer
 * reads and writes the wire, this runs the call. Caller audio is decoded (gaps in media timestamps filled
 * with silence); reply audio goes out in whole chunks, each followed by a mark named
 * `<turnId>:<ms played once it is reached>:g<generation>`, whose echo feeds the PlaybackClock (for a
 * carrier that echoes nothing, a local clock plays the part: `ClockMarks`). On barge-in the server sends
 * the carrier's clear and bumps the turn's generation; marks echoed for discarded audio (older generation)
 * are ignored. A `reply.resume` sends the rest of the reply under the new generation. DTMF goes to the turn
 * log and to the pipeline's `dtmf` stream.
 */
export function handleCarrierSession(
  ws: WebSocket,
  host: SessionHost,
  wire: CarrierSerializer,
  /** Call control for the call that started (the carrier's REST API), when the server is configured for it. */
  control?: (start: Extract<CarrierMessage, { kind: 'start' }>, endStream: () => Promise<void>) => CallControl | undefined,
  /** Answering-machine detection and what to do on a machine, for the calls it applies to (needs call control). */
  answeringMachine?: AnsweringMachineOptions,
): void {
  let amd: AnsweringMachineAction | undefined;
  let run: PipelineRun | undefined;
  let audio: OutboundAudioPolicy | undefined;
  let format: CarrierFormat | undefined;
  let decoder: CarrierDecoder | undefined;
  let chunkBytes = 0;
  let perMs = 8;
  // Per reply: how much audio the pipeline handed on (ms, in the PlaybackClock's own timeline), the last
  // position the carrier confirmed as played, and a generation that a clear bumps, so the marks a carrier
  // echoes for discarded audio are told apart from played ones.
  const replies = new Map<string, { inputMs: number; playedMs: number; generation: number; cleared: boolean }>();
  const reply = (turnId: string) => {
    let state = replies.get(turnId);
    if (!state) replies.set(turnId, (state = { inputMs: 0, playedMs: 0, generation: 0, cleared: false }));
    return state;
  };

  const onMark = (name: string): void => {
    const match = /^(.*):(\d+):g(\d+)$/.exec(name);
    if (!match || !run) return;
    const [, turnId, ms, generation] = match;
    const state = replies.get(turnId!);
    if (!state || state.generation !== Number(generation)) return; // echoed by a clear: discarded, not heard
    state.playedMs = Math.max(state.playedMs, Number(ms));
    run.playback.reportPlayed(turnId!, state.playedMs);
  };
  const clock = wire.playback === 'clock' ? new ClockMarks(onMark) : undefined;
  ws.once('close', () => clock?.stop());

  /** One media chunk and its mark: `positionMs` is where the reply stands once the carrier has played it. */
  const sendChunk = (turnId: string, piece: Buffer, positionMs: number): void => {
    if (!host.gate.sendAudio(wire.media(piece), piece.length)) return;
    const name = `${turnId}:${positionMs}:g${reply(turnId).generation}`;
    if (clock) clock.queued(name, piece.length / perMs);
    else {
      const mark = wire.mark(name);
      if (mark) host.gate.sendEvent(mark);
    }
  };

  // Reply audio goes out in whole chunks; a partial chunk waits briefly for the next frame. Mark positions
  // count in the pipeline's frames (not the re-encoded bytes, which a resampler may hold a few samples
  // back), so the last mark of a reply equals what the pipeline emitted: played means finished.
  let pending: { turnId: string; bytes: Buffer } | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const flushPending = (): void => {
    clearTimeout(flushTimer);
    if (pending && pending.bytes.length > 0 && !reply(pending.turnId).cleared && format) {
      let bytes = pending.bytes;
      if (wire.padLastChunk && bytes.length < chunkBytes) {
        bytes = Buffer.concat([bytes, Buffer.alloc(chunkBytes - bytes.length, silenceByte(format))]);
      }
      sendChunk(pending.turnId, bytes, Math.ceil(reply(pending.turnId).inputMs));
    }
    pending = undefined;
  };
  const sendReplyAudio = (turnId: string, bytes: Buffer, frameMs: number): void => {
    if (pending && pending.turnId !== turnId) flushPending();
    const state = reply(turnId);
    state.inputMs += frameMs;
    let data = pending ? Buffer.concat([pending.bytes, bytes]) : bytes;
    let offset = 0;
    for (; offset + chunkBytes <= data.length; offset += chunkBytes) {
      const remainingMs = (data.length - offset - chunkBytes) / perMs;
      sendChunk(turnId, data.subarray(offset, offset + chunkBytes), Math.max(0, Math.floor(state.inputMs - remainingMs)));
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
      if (bytes && format) sendReplyAudio(event.turnId, toCarrierBytes(format, bytes), frameDurationMs(event.frame));
      return;
    }
    audio?.observe(event);
  };

  const onStart = async (message: Extract<CarrierMessage, { kind: 'start' }>): Promise<void> => {
    format = message.format;
    decoder = new CarrierDecoder(format);
    perMs = bytesPerMs(format);
    chunkBytes = Math.round(perMs * wire.chunkMs);
    const params = message.customParameters;
    const allowed = host.allow?.pipelines ?? ['cascaded', 'realtime'];
    const asked = params.pipeline as PipelineName | undefined;
    const pipeline = asked && allowed.includes(asked) ? asked : allowed[0]!;
    const voice = params.voice && (!host.allow?.voices || host.allow.voices.includes(params.voice)) ? params.voice : undefined;
    const language = params.language && (!host.allow?.languages || host.allow.languages.includes(params.language)) ? params.language : undefined;
    const recorder = await host.openRecorder();
    if (ws.readyState !== WebSocket.OPEN) return void (await recorder?.close()); // gone while the file opened
    recorder?.note(
      wire.name === 'twilio'
        ? { role: 'call', streamSid: message.streamId, callSid: message.callId, customParameters: params }
        : { role: 'call', carrier: wire.name, streamId: message.streamId, callId: message.callId, customParameters: params },
      0,
    );
    const outputFormat = wireFormatOf(format);
    const call = control?.(message, () => host.finish('call ended by the agent'));
    const outbound = params.Direction === 'outbound' || params.Direction === 'outbound-api';
    if (call && answeringMachine && (answeringMachine.calls === 'all' || outbound)) {
      // The verdict and what was done go to the recording's turn log too, then to the application.
      const withNote: AnsweringMachineOptions = {
        ...answeringMachine,
        onDecision: (decision, control) => {
          host.note({ role: 'amd', ...decision });
          answeringMachine.onDecision?.(decision, control);
        },
      };
      const action = new AnsweringMachineAction(withNote, call, (line, level) => host.log(line, level));
      amd = action;
      const unsubscribe = onCarrierAmd(call.callId, (answeredBy) => action.carrier(answeredBy));
      ws.once('close', unsubscribe);
    }
    audio = new OutboundAudioPolicy(
      outputFormat,
      host,
      recorder,
      () => {},
      (turnId) => {
        // Barge-in: flush what the carrier still queues for the caller. What was sent past the last
        // confirmed mark was discarded, so the reply's position goes back to what was played.
        const state = reply(turnId);
        state.cleared = true;
        state.generation++;
        state.inputMs = state.playedMs;
        if (pending?.turnId === turnId) pending = undefined;
        clock?.clear();
        host.gate.sendEvent(wire.clear());
      },
      (turnId) => {
        reply(turnId).cleared = false; // the reply goes on from where the caller stopped hearing it
      },
    );
    run = new PipelineRun(
      host.factory,
      {
        pipeline,
        outputFormat,
        sessionId: host.id,
        transport: wire.name,
        customParameters: params,
        ...(call ? { call } : {}),
        ...(voice ? { voice } : {}),
        ...(language ? { language } : {}),
        ...host.systemPromptFor(undefined),
      },
      format.sampleRate,
      onEvent,
      recorder,
      (line) => host.log(line),
    );
    host.attach(run, recorder);
  };

  /** Call-clock time skipped by discontinuities (gaps beyond MAX_GAP_FILL_MS), not synthesised. */
  let timestampOffsetMs = 0;
  let firstTimestampMs: number | undefined;
  const onMedia = (message: Extract<CarrierMessage, { kind: 'media' }>): void => {
    if (!run || !decoder || !format) return;
    const timestamp = message.timestampMs;
    if (timestamp !== undefined) {
      firstTimestampMs ??= wire.timestampsFromZero ? 0 : timestamp;
      const expectedMs = firstTimestampMs + run.receivedMs + timestampOffsetMs;
      if (timestamp > expectedMs + GAP_TOLERANCE_MS) {
        // The carrier skipped audio (packet loss): keep audio time aligned with the call's clock, within bounds.
        const gapMs = timestamp - expectedMs;
        const fillMs = Math.min(gapMs, MAX_GAP_FILL_MS);
        timestampOffsetMs += gapMs - fillMs;
        run.push(new Int16Array(Math.round((fillMs * format.sampleRate) / 1000)));
      }
    }
    const samples = decoder.decode(message.audio);
    amd?.push(samples, format.sampleRate);
    run.push(samples);
  };

  let queue: Promise<void> = Promise.resolve();
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const message = wire.parse(bytes, isBinary);
    if (message.kind === 'ignore') return;
    // `start` opens the recorder asynchronously: keep the messages behind it in order.
    queue = queue
      .then(async () => {
        switch (message.kind) {
          case 'start':
            if (!run) await onStart(message);
            return;
          case 'refuse':
            if (!run) host.close(1008, message.reason);
            return;
          case 'media':
            return onMedia(message);
          case 'mark':
            return onMark(message.name);
          case 'dtmf':
            host.note({ role: 'dtmf', digit: message.digit });
            if (message.digit) run?.dtmf(message.digit, message.durationMs);
            return;
          case 'stop':
            void host.finish('call ended');
            return;
        }
      })
      .catch((err: unknown) => {
        // Never 1011 and never internal text to the client: the detail goes to the log only.
        host.log(`${wire.name} message failed: ${err instanceof Error ? err.message : String(err)}`, 'warn');
        host.close(1008, 'invalid message');
      });
  });
}
