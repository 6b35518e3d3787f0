import { parseScenario } from '../sandbox/scenario.js';
import type { FaultRule, ReplyRule } from '../sandbox/types.js';
import type { JsonSchema } from '../providers/types.js';

/**
 * An eval scenario: who calls and what they say, the agent under test, the sandbox's script for the
 * providers (used only when the sandbox stands in for them), and what each turn must show.
 * Written as YAML or JSON; `parseEvalScenario` checks it and names what is wrong.
 */
export interface EvalScenario {
  readonly name: string;
  readonly description?: string;
  /** Where the file came from (for messages); set by the loader. */
  readonly source?: string;
  readonly agent: AgentSpec;
  readonly sandbox?: SandboxScript;
  readonly turns: readonly CallerTurn[];
}

export interface AgentSpec {
  readonly pipeline: 'cascaded' | 'realtime';
  /** Cascaded: stream every stage (default) or the original whole-text TTS. */
  readonly mode?: 'streaming' | 'seed';
  /** Realtime: who speaks the reply (default streamed). */
  readonly tts?: 'final' | 'streamed' | 'model';
  /** Cascaded: preemptive transcription (the pipeline's default when absent). */
  readonly preemptive?: boolean;
  readonly systemPrompt?: string;
  readonly language?: string;
  readonly voice?: string;
  /** `false`: the caller never cuts a reply; otherwise the minimum speech / words that do. */
  readonly bargeIn?: false | { readonly minSpeechMs?: number; readonly minWords?: number };
  /** End-of-turn silence and the other VAD options the pipelines take. */
  readonly vad?: { readonly silenceMs?: number; readonly minSpeechMs?: number; readonly threshold?: number };
  readonly tools?: readonly ToolSpecWithResult[];
}

/** A tool declared in the file: what the model is told, and the canned answer its handler gives. */
export interface ToolSpecWithResult {
  readonly name: string;
  readonly description?: string;
  readonly parameters?: JsonSchema;
  /** What the handler returns (any JSON value); default `"ok"`. */
  readonly result?: unknown;
  /** The handler throws this message instead (the model sees `{"error": ...}`). */
  readonly error?: string;
  /** The handler answers after this long (a slow tool). */
  readonly delayMs?: number;
}

/** What the sandbox's providers do: the transcripts come from the turns; replies, faults and latency here. */
export interface SandboxScript {
  /** Latency profile (default instant). */
  readonly profile?: 'instant' | 'typical';
  readonly replies?: readonly ReplyRule[];
  readonly defaultReply?: string;
  readonly faults?: readonly FaultRule[];
}

/** When a caller turn starts speaking. */
export type TurnStart =
  /** After the previous reply has played out (or, for the first turn, after the call opened), plus a pause. */
  | { readonly kind: 'after_reply'; readonly pauseMs: number }
  /** While the previous reply plays, this long after its first audio: a barge-in. */
  | { readonly kind: 'during_reply'; readonly afterAudioMs: number };

export interface CallerTurn {
  /** Text espeak-ng speaks as the caller's audio. */
  readonly say?: string;
  /** Or a recorded WAV (any supported rate; path relative to the scenario file). */
  readonly wav?: string;
  /** What the sandbox transcribes for this turn (default: `say`). */
  readonly transcript?: string;
  readonly language?: string;
  readonly start: TurnStart;
  readonly expect: TurnExpectations;
}

export type BargeInOutcome = 'interrupted' | 'resumed' | 'none';

export interface ExpectedToolCall {
  readonly name: string;
  /** Each key given must be in the call's arguments with an equal value (others may be present). */
  readonly arguments?: Readonly<Record<string, unknown>>;
}

export interface TurnExpectations {
  /** Words (case-insensitive) the final transcript contains. */
  readonly transcript?: { readonly contains?: readonly string[] };
  /** Words the assistant's reply contains / does not contain. */
  readonly reply?: { readonly contains?: readonly string[]; readonly notContains?: readonly string[] };
  /** Tool calls the reply makes (each must occur); `[]`: none at all. */
  readonly tools?: readonly ExpectedToolCall[];
  /** What this turn's speech did to the reply it spoke over. */
  readonly bargeIn?: BargeInOutcome;
  /** No `error` event for the turn (default true). */
  readonly noError?: boolean;
  /** Budgets in ms from the true end of the caller's speech. */
  readonly latency?: { readonly transcriptMs?: number; readonly firstTokenMs?: number; readonly firstAudioMs?: number };
}

export class ScenarioError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a parsed YAML/JSON value and returns the scenario with its defaults filled in. */
export function parseEvalScenario(value: unknown, source = 'scenario'): EvalScenario {
  const fail = (message: string): never => {
    throw new ScenarioError(`${source}: ${message}`);
  };
  if (!isObject(value)) fail('expected an object with "name", "agent" and "turns"');
  const v = value as Record<string, unknown>;
  const name = typeof v.name === 'string' && v.name.trim() !== '' ? v.name : fail('"name" must be a non-empty string');
  const agent = parseAgent(v.agent ?? { pipeline: 'cascaded' }, fail);
  const sandbox = v.sandbox === undefined ? undefined : parseSandbox(v.sandbox, fail);
  if (!Array.isArray(v.turns) || v.turns.length === 0) fail('"turns" must be a non-empty list');
  const turns = (v.turns as unknown[]).map((t, i) => parseTurn(t, i, fail));
  return {
    name,
    ...(typeof v.description === 'string' ? { description: v.description } : {}),
    source,
    agent,
    ...(sandbox ? { sandbox } : {}),
    turns,
  };
}

export type Fail = (message: string) => never;

export function parseAgent(value: unknown, fail: Fail): AgentSpec {
  if (!isObject(value)) return fail('"agent" must be an object');
  const pipeline = value.pipeline ?? 'cascaded';
  if (pipeline !== 'cascaded' && pipeline !== 'realtime') fail('agent.pipeline must be cascaded or realtime');
  oneOf(value.mode, ['streaming', 'seed'], 'agent.mode', fail);
  oneOf(value.tts, ['final', 'streamed', 'model'], 'agent.tts', fail);
  for (const key of ['systemPrompt', 'language', 'voice'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') fail(`agent.${key} must be a string`);
  }
  if (value.preemptive !== undefined && typeof value.preemptive !== 'boolean') fail('agent.preemptive must be true or false');
  if (value.bargeIn !== undefined && value.bargeIn !== false) {
    if (!isObject(value.bargeIn)) fail('agent.bargeIn must be false or { minSpeechMs, minWords }');
    numbers(value.bargeIn as Record<string, unknown>, ['minSpeechMs', 'minWords'], 'agent.bargeIn', fail);
  }
  if (value.vad !== undefined) {
    if (!isObject(value.vad)) fail('agent.vad must be an object');
    numbers(value.vad as Record<string, unknown>, ['silenceMs', 'minSpeechMs', 'threshold'], 'agent.vad', fail);
  }
  const tools = value.tools === undefined ? undefined : parseTools(value.tools, fail);
  return { ...(value as object), pipeline, ...(tools ? { tools } : {}) } as AgentSpec;
}

function parseTools(value: unknown, fail: Fail): ToolSpecWithResult[] {
  if (!Array.isArray(value)) return fail('agent.tools must be a list');
  return value.map((t, i) => {
    if (!isObject(t) || typeof t.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(t.name)) {
      return fail(`agent.tools[${i}] needs a "name" of letters, digits, _ or - (at most 64)`);
    }
    if (t.parameters !== undefined && !isObject(t.parameters)) fail(`agent.tools[${i}].parameters must be a JSON schema object`);
    if (t.error !== undefined && typeof t.error !== 'string') fail(`agent.tools[${i}].error must be a string`);
    numbers(t, ['delayMs'], `agent.tools[${i}]`, fail);
    return t as unknown as ToolSpecWithResult;
  });
}

export function parseSandbox(value: unknown, fail: Fail): SandboxScript {
  if (!isObject(value)) return fail('"sandbox" must be an object');
  oneOf(value.profile, ['instant', 'typical'], 'sandbox.profile', fail);
  if (value.replies !== undefined && !Array.isArray(value.replies)) fail('sandbox.replies must be a list');
  if (value.faults !== undefined && !Array.isArray(value.faults)) fail('sandbox.faults must be a list');
  // The rules themselves are checked by the sandbox's own parser, now rather than when the call starts.
  try {
    parseScenario({ replies: value.replies, defaultReply: value.defaultReply, faults: value.faults }, 'sandbox');
  } catch (err) {
    fail((err instanceof Error ? err.message : String(err)).replace(/^Invalid sandbox scenario \(sandbox\): /, 'sandbox.'));
  }
  return value as SandboxScript;
}

function parseTurn(value: unknown, i: number, fail: Fail): CallerTurn {
  const at = `turns[${i}]`;
  if (!isObject(value)) return fail(`${at} must be an object`);
  const hasSay = typeof value.say === 'string' && value.say.trim() !== '';
  const hasWav = typeof value.wav === 'string' && value.wav !== '';
  if (hasSay === hasWav) fail(`${at} needs exactly one of "say" (text) or "wav" (a file)`);
  if (value.transcript !== undefined && typeof value.transcript !== 'string') fail(`${at}.transcript must be a string`);
  if (value.language !== undefined && typeof value.language !== 'string') fail(`${at}.language must be a string`);
  const start = parseStart(value, at, fail);
  const expect = parseExpect(value.expect ?? {}, at, fail);
  return {
    ...(hasSay ? { say: value.say as string } : { wav: value.wav as string }),
    ...(typeof value.transcript === 'string' ? { transcript: value.transcript } : {}),
    ...(typeof value.language === 'string' ? { language: value.language } : {}),
    start,
    expect,
  };
}

/** `pauseMs: 800` (after the previous reply) or `bargeInAfterMs: 1200` (into the previous reply's audio). */
function parseStart(value: Record<string, unknown>, at: string, fail: Fail): TurnStart {
  numbers(value, ['pauseMs', 'bargeInAfterMs'], at, fail);
  if (value.pauseMs !== undefined && value.bargeInAfterMs !== undefined) fail(`${at}: give "pauseMs" or "bargeInAfterMs", not both`);
  if (typeof value.bargeInAfterMs === 'number') return { kind: 'during_reply', afterAudioMs: value.bargeInAfterMs };
  return { kind: 'after_reply', pauseMs: typeof value.pauseMs === 'number' ? value.pauseMs : 700 };
}

function parseExpect(value: unknown, turn: string, fail: Fail): TurnExpectations {
  const at = `${turn}.expect`;
  if (!isObject(value)) return fail(`${at} must be an object`);
  const known = ['transcript', 'reply', 'tools', 'tool', 'bargeIn', 'noError', 'latency'];
  for (const key of Object.keys(value)) if (!known.includes(key)) fail(`${at}: unknown expectation "${key}" (known: ${known.join(', ')})`);
  const words = (v: unknown, where: string): readonly string[] | undefined => {
    if (v === undefined) return undefined;
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((w) => typeof w === 'string')) return fail(`${where} must be a string or a list of strings`);
    return list as string[];
  };
  const out: Record<string, unknown> = {};
  if (value.transcript !== undefined) {
    if (!isObject(value.transcript)) fail(`${at}.transcript must be { contains: [...] }`);
    out.transcript = { contains: words((value.transcript as Record<string, unknown>).contains, `${at}.transcript.contains`) ?? [] };
  }
  if (value.reply !== undefined) {
    if (!isObject(value.reply)) fail(`${at}.reply must be { contains, notContains }`);
    const r = value.reply as Record<string, unknown>;
    out.reply = { contains: words(r.contains, `${at}.reply.contains`) ?? [], notContains: words(r.notContains, `${at}.reply.notContains`) ?? [] };
  }
  if (value.tool !== undefined && value.tools !== undefined) fail(`${at}: give "tool" or "tools", not both`);
  const tools = value.tool !== undefined ? [value.tool] : value.tools;
  if (tools !== undefined) {
    if (!Array.isArray(tools)) fail(`${at}.tools must be a list`);
    out.tools = (tools as unknown[]).map((t, i) => {
      const item = typeof t === 'string' ? { name: t } : t;
      if (!isObject(item) || typeof item.name !== 'string') return fail(`${at}.tools[${i}] needs a "name"`);
      if (item.arguments !== undefined && !isObject(item.arguments)) fail(`${at}.tools[${i}].arguments must be an object`);
      return item;
    });
  }
  if (value.bargeIn !== undefined) {
    const b = value.bargeIn === true ? 'interrupted' : value.bargeIn === false ? 'none' : value.bargeIn;
    oneOf(b, ['interrupted', 'resumed', 'none'], `${at}.bargeIn`, fail);
    out.bargeIn = b;
  }
  if (value.noError !== undefined && typeof value.noError !== 'boolean') fail(`${at}.noError must be true or false`);
  if (value.noError !== undefined) out.noError = value.noError;
  if (value.latency !== undefined) {
    if (!isObject(value.latency)) fail(`${at}.latency must be { firstAudioMs, firstTokenMs, transcriptMs }`);
    const l = value.latency as Record<string, unknown>;
    for (const key of Object.keys(l)) if (!['firstAudioMs', 'firstTokenMs', 'transcriptMs'].includes(key)) fail(`${at}.latency: unknown budget "${key}"`);
    numbers(l, ['firstAudioMs', 'firstTokenMs', 'transcriptMs'], `${at}.latency`, fail);
    out.latency = l;
  }
  return out as TurnExpectations;
}

function oneOf(value: unknown, choices: readonly string[], where: string, fail: Fail): void {
  if (value !== undefined && !choices.includes(value as string)) fail(`${where} must be one of ${choices.join(', ')}`);
}

function numbers(obj: Record<string, unknown>, keys: readonly string[], where: string, fail: Fail): void {
  for (const key of keys) {
    const v = obj[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) fail(`${where}.${key} must be a number >= 0`);
  }
}

/** An agent file for a replay: the `agent` and `sandbox` sections of a scenario (its turns, if any, are ignored). */
export function parseAgentFile(value: unknown, source = 'agent file'): { agent: AgentSpec; sandbox?: SandboxScript } {
  const fail = (message: string): never => {
    throw new ScenarioError(`${source}: ${message}`);
  };
  if (!isObject(value)) fail('expected an object with "agent" (and optionally "sandbox")');
  const v = value as Record<string, unknown>;
  const agent = parseAgent(v.agent ?? { pipeline: 'cascaded' }, fail);
  return { agent, ...(v.sandbox === undefined ? {} : { sandbox: parseSandbox(v.sandbox, fail) }) };
}
