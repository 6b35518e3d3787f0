import { existsSync } from 'node:fs';
import { UsageError } from './errors.js';
import type { ParsedOptions } from './main.js';

export function stringOption(opts: ParsedOptions, name: string): string | undefined {
  const v = opts[name];
  return typeof v === 'string' ? v : undefined;
}

export function choiceOption<T extends string>(opts: ParsedOptions, name: string, choices: readonly T[], fallback: T): T {
  const v = stringOption(opts, name);
  if (v === undefined) return fallback;
  if (!(choices as readonly string[]).includes(v)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got '${v}')`);
  }
  return v as T;
}

export function portOption(opts: ParsedOptions, fallback: number): number {
  const v = stringOption(opts, 'port');
  if (v === undefined) return fallback;
  const port = Number(v);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535 (got '${v}')`);
  return port;
}

export function existingFile(path: string | undefined, what: string): string | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new UsageError(`${what} '${path}' does not exist`);
  return path;
}
