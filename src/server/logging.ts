import type { OperatorFunction } from 'rxjs';
import { tap } from 'rxjs';
import type { AudioFrame } from '../audio/frame.js';
import { redactSecrets } from '../errors.js';
import type { PipelineEvent } from '../events.js';
import type { PipelineFactory } from './types.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What the server needs of a structured logger. A pino `Logger` fits as it is. */
export interface StructuredLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Fields of one log line: `callId` (the session id) on every line about a call, `turnId` on every line about a turn. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>> & {
  readonly callId?: string;
  readonly turnId?: string;
};

/** The server's one way to log: secrets are redacted here, before any sink sees the line. */
export type ServerLog = (message: string, fields?: LogFields, level?: LogLevel) => void;

export interface LogSinks {
  /** Plain lines (info and above), e.g. `session <id>: connected`. */
  readonly log?: (line: string) => void;
  readonly logger?: StructuredLogger;
}

export function serverLog(sinks: LogSinks): ServerLog {
  return (message, fields = {}, level = 'info') => {
    const text = redactSecrets(message);
    if (sinks.logger) {
      const clean: Record<string, string | number | boolean> = {};
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined) clean[key] = typeof value === 'string' ? redactSecrets(value) : value;
      }
      sinks.logger[level](clean, text);
    }
    if (sinks.log && level !== 'debug') {
      const where = fields.callId ? `session ${fields.callId}: ${fields.turnId ? `${fields.turnId}: ` : ''}` : '';
      sinks.log(`${where}${text}`);
    }
  };
}

export interface CallLogOptions {
  /** Put what the caller said and the reply's text in the log (default false: lengths only). */
  readonly includeText?: boolean;
}

/** One log line for each milestone of a turn, tagged with the call and turn ids. */
export function logCallEvents(factory: PipelineFactory, log: ServerLog, options: CallLogOptions = {}): PipelineFactory {
  return (choice) => {
    const pipeline = factory(choice);
    const callId = choice.sessionId;
    const text = (value: string): LogFields => (options.includeText ? { text: value } : { chars: value.length });
    const at = (turnId: string | undefined, message: string, fields: LogFields = {}, level: LogLevel = 'info'): void =>
      log(message, { callId, ...(turnId ? { turnId } : {}), ...fields }, level);
    const onEvent = (event: PipelineEvent): void => {
      switch (event.type) {
        case 'speech.started':
          return at(event.turnId, 'caller started speaking', {}, 'debug');
        case 'speech.ended':
          return at(event.turnId, 'caller stopped speaking', { reason: event.reason, silenceMs: event.decidedAudioMs - event.audioMs });
        case 'transcript':
          if (event.final) at(event.turnId, 'transcript', { ...text(event.text), ...(event.language ? { language: event.language } : {}) });
          return;
        case 'tool.call':
          return at(event.turnId, 'tool call', { tool: event.name });
        case 'tool.result':
          return at(event.turnId, 'tool result', { tool: event.name, isError: event.isError }, event.isError ? 'warn' : 'info');
        case 'assistant.done':
          return at(event.turnId, 'reply generated', {
            ...text(event.text),
            ...(event.finishReason ? { finishReason: event.finishReason } : {}),
            ...(event.usage ? { inputTokens: event.usage.inputTokens, outputTokens: event.usage.outputTokens } : {}),
          });
        case 'interruption':
          return at(event.turnId, event.resumed ? 'interrupted reply resumed and ended' : 'reply interrupted', { byTurnId: event.byTurnId, playedMs: event.playedMs });
        case 'metric':
          if (event.name === 'first_audio_out') at(event.turnId, 'first reply audio', { sinceSpeechEndMs: event.valueMs });
          return;
        case 'cost':
          return at(event.turnId, 'turn cost', { usd: event.usd, callUsd: event.callUsd }, 'debug');
        case 'error':
          return at(event.turnId, event.message, { code: event.code, stage: event.stage, retryable: event.retryable, utteranceLost: event.utteranceLost }, 'warn');
        default:
          return;
      }
    };
    const logged: OperatorFunction<AudioFrame, PipelineEvent> = (source) => pipeline(source).pipe(tap(onEvent));
    return logged;
  };
}
