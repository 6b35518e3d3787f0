import type { PipelineEvent } from '../events.js';
import type { TimedEvent, TurnReport } from '../runner/report.js';
import type { PlacedTurn } from './caller.js';
import type { BargeInOutcome, CallerTurn, ExpectedToolCall } from './scenario.js';

/** One expectation, what it asked for and what the run measured. */
export interface CheckResult {
  /** e.g. `latency.firstAudioMs`, `reply.contains`, `tools`, `bargeIn`, `noError`, `speech`. */
  readonly expectation: string;
  readonly expected: string;
  readonly measured: string;
  readonly pass: boolean;
}

export interface ToolCallSeen {
  readonly name: string;
  /** The arguments as the model wrote them (JSON text). */
  readonly arguments: string;
}

/** What one caller turn of a scenario showed, and how its expectations fared. */
export interface TurnResult {
  /** 1-based, as in the scenario file. */
  readonly index: number;
  /** What the caller said (the text spoken, or the WAV's name). */
  readonly said: string;
  /** The pipeline turns (`turn-1`, ...) this turn's speech became: one, unless the VAD split it. */
  readonly pipelineTurnIds: readonly string[];
  readonly transcript: string;
  readonly reply: string;
  readonly tools: readonly ToolCallSeen[];
  readonly bargeIn: BargeInOutcome;
  /** The reply this turn's speech cut, and how much of it had played. */
  readonly interrupted?: { readonly turnId: string; readonly playedMs: number; readonly heardText: string };
  readonly errors: readonly string[];
  readonly transcriptMs?: number;
  readonly firstTokenMs?: number;
  readonly firstAudioMs?: number;
  /** The per-turn report of the pipeline turn that answered (for the timeline). */
  readonly report?: TurnReport;
  readonly checks: readonly CheckResult[];
  readonly pass: boolean;
}

/** Case-insensitive, punctuation-blind word match: "Paris," contains "paris"; "parish" does not. */
export function containsWords(text: string, words: string): boolean {
  const norm = (s: string): string => ` ${s.toLowerCase().replace(/[^\p{L}\p{N}']+/gu, ' ').trim()} `;
  return norm(text).includes(norm(words));
}

/** Each key of `expected` equal (deeply) in `actual`. */
export function argumentsMatch(expected: Readonly<Record<string, unknown>>, actual: unknown): boolean {
  if (typeof actual !== 'object' || actual === null) return false;
  return Object.entries(expected).every(([key, value]) => deepEqual(value, (actual as Record<string, unknown>)[key]));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.trim().toLowerCase() === b.trim().toLowerCase();
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const quote = (s: string, max = 80): string => `"${s.length > max ? `${s.slice(0, max - 1)}…` : s}"`;
const msText = (v: number | undefined): string => (v === undefined ? 'none' : `${Math.round(v)} ms`);
export const formatToolCall = (t: ToolCallSeen): string => `${t.name}(${t.arguments})`;

/** Measures one caller turn from the call's events and checks its expectations. */
export function evaluateTurn(
  turn: CallerTurn,
  index: number,
  placement: PlacedTurn | undefined,
  events: readonly TimedEvent[],
  reports: readonly TurnReport[],
): TurnResult {
  const ids = placement?.pipelineTurnIds ?? [];
  const mine = (e: PipelineEvent): boolean => 'turnId' in e && e.turnId !== undefined && ids.includes(e.turnId);
  const turnReports = reports.filter((r) => ids.includes(r.turnId));
  // The reply answers the last piece of the caller's speech; latency is measured for that piece.
  const answering = [...turnReports].reverse().find((r) => r.reply !== '' || r.firstAudioMs !== undefined) ?? turnReports.at(-1);
  const tools: ToolCallSeen[] = [];
  let interrupted: TurnResult['interrupted'];
  let resumed = false;
  for (const { event } of events) {
    if (event.type === 'tool.call' && mine(event)) tools.push({ name: event.name, arguments: event.arguments });
    if (event.type === 'interruption' && ids.includes(event.byTurnId) && !event.resumed) {
      interrupted ??= { turnId: event.turnId, playedMs: event.playedMs, heardText: event.heardText };
    }
    if (event.type === 'reply.resume' && ids.includes(event.byTurnId)) resumed = true;
  }
  const bargeIn: BargeInOutcome = resumed ? 'resumed' : interrupted ? 'interrupted' : 'none';
  const transcript = turnReports.map((r) => r.transcript).filter((t) => t !== '').join(' ');
  const reply = turnReports.map((r) => r.reply).filter((t) => t !== '').join(' ');
  const errors = turnReports.flatMap((r) => r.errors);

  const checks: CheckResult[] = [];
  const check = (expectation: string, expected: string, measured: string, pass: boolean): void => {
    checks.push({ expectation, expected, measured, pass });
  };
  check('speech', 'the caller turn detected as speech', ids.length === 0 ? 'no speech detected' : `${ids.join(', ')}`, ids.length > 0);
  const e = turn.expect;
  for (const word of e.transcript?.contains ?? []) {
    check('transcript.contains', quote(word), quote(transcript || '(no transcript)'), containsWords(transcript, word));
  }
  if (e.tools !== undefined) checkTools(e.tools, tools, check);
  for (const word of e.reply?.contains ?? []) check('reply.contains', quote(word), quote(reply || '(no reply)'), containsWords(reply, word));
  for (const word of e.reply?.notContains ?? []) check('reply.notContains', quote(word), quote(reply || '(no reply)'), !containsWords(reply, word));
  if (e.bargeIn !== undefined) {
    const measured = interrupted
      ? `${bargeIn} (${interrupted.turnId} cut after ${Math.round(interrupted.playedMs)} ms, heard ${quote(interrupted.heardText, 50)})`
      : bargeIn;
    check('bargeIn', e.bargeIn, measured, e.bargeIn === bargeIn);
  }
  if (e.noError ?? true) check('noError', 'no error', errors.length === 0 ? 'no error' : errors.join('; '), errors.length === 0);
  const latency = { transcriptMs: answering?.transcriptMs, firstTokenMs: answering?.firstTokenMs, firstAudioMs: answering?.firstAudioMs };
  for (const key of ['transcriptMs', 'firstTokenMs', 'firstAudioMs'] as const) {
    const budget = e.latency?.[key];
    if (budget === undefined) continue;
    const value = latency[key];
    check(`latency.${key}`, `<= ${budget} ms`, msText(value), value !== undefined && value <= budget);
  }
  return {
    index: index + 1,
    said: turn.say ?? turn.wav ?? '',
    pipelineTurnIds: ids,
    transcript,
    reply,
    tools,
    bargeIn,
    ...(interrupted ? { interrupted } : {}),
    errors,
    ...defined('transcriptMs', latency.transcriptMs),
    ...defined('firstTokenMs', latency.firstTokenMs),
    ...defined('firstAudioMs', latency.firstAudioMs),
    ...(answering ? { report: answering } : {}),
    checks,
    pass: checks.every((c) => c.pass),
  };
}

function checkTools(
  expected: readonly ExpectedToolCall[],
  seen: readonly ToolCallSeen[],
  check: (expectation: string, expected: string, measured: string, pass: boolean) => void,
): void {
  const measured = seen.length === 0 ? 'no tool call' : seen.map(formatToolCall).join(', ');
  if (expected.length === 0) {
    check('tools', 'no tool call', measured, seen.length === 0);
    return;
  }
  for (const want of expected) {
    const found = seen.some((t) => t.name === want.name && (want.arguments === undefined || argumentsMatch(want.arguments, parseJson(t.arguments))));
    check('tools', want.arguments ? `${want.name}(${JSON.stringify(want.arguments)})` : `${want.name}(...)`, measured, found);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function defined<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
