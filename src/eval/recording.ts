import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { ScenarioError } from './scenario.js';

/** One line of a recorded turn log (`--record`'s `<id>.jsonl`); fields by `role`. */
export interface TurnLogLine {
  readonly atMs: number;
  readonly role?: string;
  readonly turnId?: string;
  readonly text?: string;
  readonly language?: string;
  readonly name?: string;
  readonly arguments?: string;
  readonly byTurnId?: string;
  readonly playedMs?: number;
  readonly heardText?: string;
  readonly code?: string;
  readonly stage?: string;
  readonly message?: string;
}

/** What the recorded call showed for one caller turn. */
export interface RecordedTurn {
  readonly turnId: string;
  readonly transcript: string;
  readonly language?: string;
  /** Ms since the call started at which the final transcript was logged. */
  readonly transcriptAtMs?: number;
  readonly reply: string;
  readonly tools: readonly { readonly name: string; readonly arguments: string }[];
  /** The reply this turn's speech cut. */
  readonly interrupted?: { readonly turnId: string; readonly playedMs: number };
  readonly errors: readonly string[];
}

/** A call `--record` wrote: the two-channel WAV (left caller, right assistant as heard) and its turn log. */
export interface Recording {
  readonly id: string;
  readonly wavPath: string;
  readonly logPath: string;
  readonly sampleRate: number;
  readonly caller: Int16Array;
  readonly assistant: Int16Array;
  readonly turns: readonly RecordedTurn[];
}

/** The recordings named: a directory's `<id>.wav` + `<id>.jsonl` pairs, or single files of a pair. */
export async function findRecordings(paths: readonly string[]): Promise<{ wav: string; log: string }[]> {
  const pairs: { wav: string; log: string }[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new ScenarioError(`recording '${path}' does not exist`);
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((n) => n.endsWith('.jsonl')).sort();
      const found = names.map((n) => ({ wav: join(path, `${basename(n, '.jsonl')}.wav`), log: join(path, n) }));
      if (found.length === 0) throw new ScenarioError(`no recordings (<id>.wav + <id>.jsonl) in '${path}'`);
      pairs.push(...found);
    } else {
      const stem = join(dirname(path), basename(path, extname(path)));
      pairs.push({ wav: `${stem}.wav`, log: `${stem}.jsonl` });
    }
  }
  const seen = new Set<string>();
  return pairs.filter((p) => (seen.has(p.log) ? false : (seen.add(p.log), true)));
}

export async function loadRecording(pair: { wav: string; log: string }): Promise<Recording> {
  const [wavBytes, logText] = await Promise.all([
    readFile(pair.wav).catch(() => {
      throw new ScenarioError(`recording '${pair.wav}' is missing (it goes with '${pair.log}')`);
    }),
    readFile(pair.log, 'utf8').catch(() => {
      throw new ScenarioError(`turn log '${pair.log}' is missing (it goes with '${pair.wav}')`);
    }),
  ]);
  const { sampleRate, left, right } = splitStereo(wavBytes, pair.wav);
  return {
    id: basename(pair.log, '.jsonl'),
    wavPath: pair.wav,
    logPath: pair.log,
    sampleRate,
    caller: left,
    assistant: right,
    turns: recordedTurns(parseTurnLog(logText, pair.log)),
  };
}

/** The JSONL turn log; a line that is not JSON is named, not skipped (a truncated log would mislead). */
export function parseTurnLog(text: string, source: string): TurnLogLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as TurnLogLine;
      } catch {
        throw new ScenarioError(`${source}: line ${i + 1} is not JSON`);
      }
    });
}

/** Groups the log by caller turn, in the order the turns first appear. */
export function recordedTurns(lines: readonly TurnLogLine[]): RecordedTurn[] {
  interface Draft {
    turnId: string;
    transcript: string;
    language?: string;
    transcriptAtMs?: number;
    reply: string[];
    tools: { name: string; arguments: string }[];
    interrupted?: { turnId: string; playedMs: number };
    errors: string[];
  }
  const turns = new Map<string, Draft>();
  const turn = (id: string): Draft => {
    let d = turns.get(id);
    if (!d) turns.set(id, (d = { turnId: id, transcript: '', reply: [], tools: [], errors: [] }));
    return d;
  };
  for (const line of lines) {
    if (typeof line.turnId !== 'string') continue;
    switch (line.role) {
      case 'user': {
        const d = turn(line.turnId);
        d.transcript = line.text ?? '';
        if (line.language) d.language = line.language;
        d.transcriptAtMs = line.atMs;
        break;
      }
      case 'assistant':
        if (line.text) turn(line.turnId).reply.push(line.text);
        break;
      case 'tool_call':
        turn(line.turnId).tools.push({ name: line.name ?? '', arguments: line.arguments ?? '{}' });
        break;
      case 'interruption':
        if (typeof line.byTurnId === 'string') turn(line.byTurnId).interrupted ??= { turnId: line.turnId, playedMs: line.playedMs ?? 0 };
        break;
      case 'error':
        turn(line.turnId).errors.push(`${line.stage ?? '?'}/${line.code ?? '?'}: ${line.message ?? ''}`);
        break;
      default:
        break;
    }
  }
  return [...turns.values()]
    .filter((d) => d.transcript !== '' || d.reply.length > 0 || d.tools.length > 0)
    .map((d) => ({
      turnId: d.turnId,
      transcript: d.transcript,
      ...(d.language ? { language: d.language } : {}),
      ...(d.transcriptAtMs === undefined ? {} : { transcriptAtMs: d.transcriptAtMs }),
      reply: d.reply.join(' '),
      tools: d.tools,
      ...(d.interrupted ? { interrupted: d.interrupted } : {}),
      errors: d.errors,
    }));
}

/** A PCM16 stereo WAV split into its channels (the recorder writes exactly that). */
export function splitStereo(buf: Buffer, name: string): { sampleRate: number; left: Int16Array; right: Int16Array } {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new ScenarioError(`${name}: not a WAV file`);
  }
  let offset = 12;
  let format: { channels: number; sampleRate: number; bits: number; code: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= buf.length) {
      format = { code: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!format || format.code !== 1 || format.bits !== 16 || format.channels !== 2) {
        throw new ScenarioError(`${name}: a recording is a 16-bit PCM stereo WAV (caller left, assistant right)`);
      }
      // A recording cut short (the server died) has a header that still says 0 bytes: use what is there.
      const end = size === 0 || body + size > buf.length ? buf.length : body + size;
      const frames = Math.floor((end - body) / 4);
      const left = new Int16Array(frames);
      const right = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        left[i] = buf.readInt16LE(body + i * 4);
        right[i] = buf.readInt16LE(body + i * 4 + 2);
      }
      return { sampleRate: format.sampleRate, left, right };
    }
    offset = body + size + (size % 2);
  }
  throw new ScenarioError(`${name}: no audio data`);
}

/** Where reply audio first sounds on the assistant channel in [fromMs, toMs), in ms; undefined when silent there. */
export function audioOnsetMs(samples: Int16Array, sampleRate: number, fromMs: number, toMs: number, threshold = 300): number | undefined {
  const from = Math.max(0, Math.floor((fromMs * sampleRate) / 1000));
  const to = Math.min(samples.length, Math.ceil((toMs * sampleRate) / 1000));
  for (let i = from; i < to; i++) if (Math.abs(samples[i]!) >= threshold) return (i * 1000) / sampleRate;
  return undefined;
}
