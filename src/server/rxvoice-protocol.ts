import WebSocket, { type RawData } from 'ws';
import { errorEvent, type PipelineEvent } from '../events.js';
import { redactSecrets, RxVoiceError } from '../errors.js';
import { bytesToSamples, CLIENT_SAMPLE_RATES, muLawDecode } from './codec.js';
import { OutboundAudioPolicy, type SessionHost } from './session-host.js';
import { isClientEvent, PipelineRun } from './session.js';
import type { AllowOptions, PipelineName, WireFormat } from './types.js';

export const PROTOCOL_VERSION = 1;

export interface StartMessage {
  readonly type: 'start';
  readonly version: 1;
  readonly format: WireFormat;
  readonly pipeline: PipelineName;
  readonly voice?: string;
  readonly language?: string;
  readonly systemPrompt?: string;
}

export type ClientMessage =
  | StartMessage
  | { readonly type: 'playback'; readonly turnId: string; readonly playedMs: number; readonly done?: boolean }
  | { readonly type: 'stop' };

/**
 * A client's value, quoted in an error message. Never `String(value)`: JSON like `{"toString": []}` makes
 * that throw, and a throw in a socket's message handler takes the whole server down.
 */
function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? typeof value);
  } catch {
    text = typeof value;
  }
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/** Checks a `start` message against the protocol and what the server allows; returns the reason on refusal. */
export function parseStart(message: Record<string, unknown>, allow: AllowOptions | undefined): StartMessage | string {
  if (message.version !== PROTOCOL_VERSION) return `unsupported protocol version ${show(message.version)} (this server speaks ${PROTOCOL_VERSION})`;
  const format = message.format as Record<string, unknown> | undefined;
  if (!format || typeof format !== 'object') return 'start.format is required';
  const { encoding, sampleRate } = format;
  if (encoding !== 'pcm16' && encoding !== 'mulaw') return `unsupported encoding ${show(encoding)} (pcm16 or mulaw)`;
  if (!(CLIENT_SAMPLE_RATES as readonly unknown[]).includes(sampleRate)) return `unsupported sample rate ${show(sampleRate)} (8000, 16000, 24000 or 48000)`;
  if (encoding === 'mulaw' && sampleRate !== 8000) return 'mulaw is 8000 Hz only';
  const pipelines = allow?.pipelines ?? ['cascaded', 'realtime'];
  const pipeline = message.pipeline ?? pipelines[0];
  if (pipeline !== 'cascaded' && pipeline !== 'realtime') return `unknown pipeline ${show(pipeline)}`;
  if (!pipelines.includes(pipeline)) return `pipeline ${pipeline} is not allowed here (${pipelines.join(', ')})`;
  for (const key of ['voice', 'language', 'systemPrompt'] as const) {
    if (message[key] !== undefined && typeof message[key] !== 'string') return `start.${key} must be a string`;
  }
  const voice = message.voice as string | undefined;
  const language = message.language as string | undefined;
  const systemPrompt = message.systemPrompt as string | undefined;
  if (voice !== undefined && allow?.voices && !allow.voices.includes(voice)) return `voice ${voice} is not allowed here`;
  if (language !== undefined && allow?.languages && !allow.languages.includes(language)) return `language ${language} is not allowed here`;
  if (systemPrompt !== undefined && !allow?.systemPrompt) return 'this server does not accept a client system prompt';
  return {
    type: 'start',
    version: PROTOCOL_VERSION,
    format: { encoding, sampleRate: sampleRate as WireFormat['sampleRate'] },
    pipeline,
    ...(voice === undefined ? {} : { voice }),
    ...(language === undefined ? {} : { language }),
    ...(systemPrompt === undefined ? {} : { systemPrompt }),
  };
}

const protocolError = (message: string) =>
  errorEvent(new RxVoiceError({ code: 'bad_message', stage: 'transport', message }));

const MAX_TURN_ID_LENGTH = 64;

/**
 * The rxvoice protocol v1 (spec in docs/server.md): JSON `start`, binary caller audio, JSON `playback`
 * reports and `stop` in; binary reply audio (announced per turn by `audio.start`) and JSON events out.
 */
export function handleRxvoiceSession(ws: WebSocket, host: SessionHost): void {
  let run: PipelineRun | undefined;
  let format: WireFormat | undefined;
  let oddByte: number | undefined;
  let stopping = false;
  let stopWhenStarted = false;
  // Audio that arrives while `start` is still being set up (the recorder opens asynchronously).
  let early: Buffer[] = [];
  let earlyBytes = 0;

  const sendJson = (value: unknown): void => host.gate.sendEvent(JSON.stringify(value));
  const refuse = (reason: string): void => {
    sendJson(protocolError(reason));
    ws.close(1008, reason.slice(0, 120));
  };

  const startCall = async (start: StartMessage): Promise<void> => {
    format = start.format;
    const recorder = await host.openRecorder();
    if (ws.readyState !== WebSocket.OPEN) return void (await recorder?.close()); // gone while the file opened
    const audio = new OutboundAudioPolicy(format, host, recorder, (turnId) => sendJson({ type: 'audio.start', turnId, format }));
    run = new PipelineRun(
      host.factory,
      {
        pipeline: start.pipeline,
        outputFormat: start.format,
        sessionId: host.id,
        transport: 'rxvoice',
        ...(start.voice === undefined ? {} : { voice: start.voice }),
        ...(start.language === undefined ? {} : { language: start.language }),
        ...host.systemPromptFor(start.systemPrompt),
      },
      start.format.sampleRate,
      (event: PipelineEvent) => {
        if (event.type === 'assistant.audio') {
          const bytes = audio.encode(event);
          if (bytes) host.gate.queueAudio(bytes);
          return;
        }
        audio.observe(event);
        // Errors leave the process here: scrub them again, whoever built them.
        if (event.type === 'error') sendJson({ ...event, message: redactSecrets(event.message) });
        else if (isClientEvent(event)) sendJson(event);
      },
      recorder,
      (line) => host.log(line),
    );
    host.attach(run, recorder);
    sendJson({ type: 'started', version: PROTOCOL_VERSION, sessionId: host.id, pipeline: start.pipeline, format: start.format });
    const waiting = early;
    early = [];
    for (const chunk of waiting) onBinary(chunk);
    if (stopWhenStarted) {
      stopping = true;
      void host.finish('call ended');
    }
  };

  const onText = (text: string): void => {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      message = parsed as Record<string, unknown>;
    } catch {
      sendJson(protocolError('messages must be JSON objects'));
      return;
    }
    switch (message.type) {
      case 'start': {
        if (run || format) return void sendJson(protocolError('start was already received'));
        const start = parseStart(message, host.allow);
        if (typeof start === 'string') return refuse(start);
        void startCall(start).catch((err: unknown) => {
          // The detail (a recording path, a factory's own error) is for the log, not the client.
          host.log(`start failed: ${err instanceof Error ? err.message : String(err)}`, 'error');
          refuse('the call could not be started');
        });
        return;
      }
      case 'playback': {
        const { turnId, playedMs } = message;
        if (typeof turnId !== 'string' || typeof playedMs !== 'number' || !Number.isFinite(playedMs) || playedMs < 0) {
          return void sendJson(protocolError('playback needs turnId (string) and playedMs (number >= 0)'));
        }
        // Turn ids are ours (`turn-N`); a longer name is not one, and is not stored.
        if (turnId.length > MAX_TURN_ID_LENGTH) return void sendJson(protocolError(`playback.turnId is longer than ${MAX_TURN_ID_LENGTH} characters`));
        if (message.done !== undefined && typeof message.done !== 'boolean') return void sendJson(protocolError('playback.done must be a boolean'));
        // `done`: the client played all it received of the turn. Its count is in resampled audio (a few
        // samples short of the pipeline's), so the clock gets the pipeline's own total: the reply is over.
        const emitted = run?.playback.emittedMs(turnId) ?? 0;
        run?.playback.reportPlayed(turnId, message.done === true ? Math.max(playedMs, emitted) : playedMs);
        return;
      }
      case 'stop':
        // A stop that overtakes the call's set-up (start, audio and stop read in one tick) waits for it:
        // the audio sent before it is replayed into the pipeline first, never dropped.
        if (format && !run) {
          stopWhenStarted = true;
          return;
        }
        stopping = true;
        void host.finish('call ended');
        return;
      default:
        sendJson(protocolError(`unknown message type ${show(message.type)}`));
    }
  };

  function onBinary(data: Buffer): void {
    if (!format) return refuse('send start before audio');
    if (!run) {
      // Keep up to ~5 s of audio sent right behind `start`; more than that while starting is not a client.
      earlyBytes += data.length;
      if (earlyBytes > format.sampleRate * 10) return refuse('too much audio before the call started');
      early.push(data);
      return;
    }
    if (stopping) return;
    if (format.encoding === 'mulaw') return run.push(muLawDecode(data));
    let bytes: Buffer = data;
    if (oddByte !== undefined) {
      bytes = Buffer.concat([Buffer.from([oddByte]), data]);
      oddByte = undefined;
    }
    if (bytes.length % 2 === 1) {
      oddByte = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    run.push(bytesToSamples(bytes));
  }

  ws.on('message', (data: RawData, isBinary: boolean) => {
    try {
      // ws hands a Buffer (binaryType 'nodebuffer'): use it as is (Buffer.from would copy every frame).
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) onBinary(buf);
      else onText(buf.toString('utf8'));
    } catch (err) {
      // A throw here would reach ws and the process; this call ends, the others never notice.
      host.log(`message failed: ${err instanceof Error ? err.message : String(err)}`, 'warn');
      host.close(1008, 'invalid message');
    }
  });
}
