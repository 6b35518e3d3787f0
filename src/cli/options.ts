import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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

/** A scenario file that exists and holds JSON: a bad one is named here, before any sandbox starts. */
export function scenarioFile(path: string | undefined): string | undefined {
  if (existingFile(path, 'scenario file') === undefined) return undefined;
  try {
    JSON.parse(readFileSync(path!, 'utf8'));
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
    throw new UsageError(`scenario file '${path}' is not valid JSON (${why})`);
  }
  return path;
}

/** An output file whose directory exists and is writable: checked before the call runs, not after. */
export function writableFile(path: string | undefined, what: string): string | undefined {
  if (path === undefined) return undefined;
  const dir = dirname(resolve(path));
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${what} '${path}': directory '${dir}' does not exist or is not writable`);
  }
  return path;
}
