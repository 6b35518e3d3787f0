import { pino, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';
import type { ParsedOptions } from './main.js';
import { choiceOption } from './options.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/**
 * The server's structured log on stderr: JSON lines (what a log shipper reads) unless stderr is a
 * terminal, where pino-pretty makes them readable. Written synchronously: a few lines per turn, and none
 * may be lost when the process exits. The CLI's own human output stays on stdout.
 */
export function cliLogger(opts: ParsedOptions): Logger {
  const level = choiceOption(opts, 'log-level', LOG_LEVELS, 'info');
  const base = { pid: process.pid };
  if (process.stderr.isTTY) return pino({ level, base }, PinoPretty({ destination: 2, colorize: true, sync: true, ignore: 'pid,hostname' }));
  return pino({ level, base }, pino.destination({ fd: 2, sync: true }));
}
