import { performance } from 'node:perf_hooks';
import { isSampleRate } from '../audio/frame.js';
import { resample } from '../audio/resample.js';
import { fromPcm } from '../audio/sources.js';
import { redactSecrets } from '../errors.js';
import { describeEndpoints, resolveEndpoints } from '../providers/env.js';
import { runCall, type CallResult } from '../runner/call.js';
import type { TurnReport } from '../runner/report.js';
import { parseScenario } from '../sandbox/scenario.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { agentLabel, buildAgent } from './agent.js';
import { argumentsMatch, containsWords, formatToolCall, type CheckResult, type ToolCallSeen, type TurnResult } from './expect.js';
import { audioOnsetMs, type RecordedTurn, type Recording } from './recording.js';
import { realEndpoints, type ScenarioResult } from './run.js';
import type { AgentSpec, SandboxScript } from './scenario.js';

export interface ReplayOptions {
  /** The agent the recording is played into (default: the cascaded pipeline with its defaults). */
  readonly agent?: AgentSpec;
  /** The sandbox's replies and faults; its transcripts are the recorded ones (it cannot hear). */
  readonly sandbox?: SandboxScript;
  /** A timing may be this much slower than recorded before it counts as a difference (default 500 ms). */
  readonly toleranceMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly profile?: 'instant' | 'typical';
}

/**
 * Plays a recorded call's caller channel into the current agent at real time and reports each way the
 * run differs from the recording: a turn missing or new, its transcript, its tool calls, its barge-in,
 * errors, and timings (transcript, first audio) slower than recorded by more than the tolerance.
 * Recorded first audio is read off the assistant channel (where the reply first sounds after the end of
 * speech); the end of speech is where the replay's VAD puts it, on the same audio.
 */
export async function replayRecording(recording: Recording, options: ReplayOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const agent = options.agent ?? { pipeline: 'cascaded' };
  const tolerance = options.toleranceMs ?? 500;
  const name = `replay ${recording.id}`;
  let sandbox: Sandbox | undefined;
  let providers = 'not started';
  const base = { name, source: recording.wavPath, agent: agentLabel(agent) };
  try {
    const env = options.env ?? process.env;
    const real = realEndpoints(env);
    if (!real) {
      // Warmed up: the first reply's latency is the profile's, not the speech synthesizer's start-up.
      sandbox = await startSandbox({
        profile: options.sandbox?.profile ?? options.profile ?? 'instant',
        scenario: replayScript(recording, options.sandbox),
        warmUp: true,
      });
    }
    const endpoints = real ?? resolveEndpoints(env, sandbox!.url);
    providers = `${describeEndpoints(endpoints)}${sandbox ? ` (sandbox, profile ${sandbox.profile.name})` : ''}`;
    const rate = isSampleRate(recording.sampleRate) ? recording.sampleRate : 16000;
    const caller = rate === recording.sampleRate ? recording.caller : resample(recording.caller, recording.sampleRate, rate);
    let call: CallResult;
    try {
      call = await runCall({ frames: fromPcm(caller, rate, { realtime: true }), pipeline: await buildAgent(agent, endpoints), idleAfterInputMs: 3000 });
    } catch (err) {
      return { ...base, providers, turns: [], error: redactSecrets(`the call failed: ${err instanceof Error ? err.message : String(err)}`), extraTurns: [], durationMs: performance.now() - started, pass: false, events: [] };
    }
    const turns = recording.turns.map((rec, i) => compareTurn(rec, i, call, recording, tolerance));
    const recordedIds = new Set(recording.turns.map((t) => t.turnId));
    const extraTurns = call.turns.filter((t) => !recordedIds.has(t.turnId) && (t.transcript !== '' || t.reply !== '')).map((t) => t.turnId);
    const error = extraTurns.length > 0 ? `the replay has turns the recording does not: ${extraTurns.map((id) => `${id} ("${call.turns.find((t) => t.turnId === id)?.transcript ?? ''}")`).join(', ')}` : undefined;
    return {
      ...base,
      providers,
      turns,
      ...(error ? { error } : {}),
      extraTurns,
      durationMs: performance.now() - started,
      pass: error === undefined && turns.every((t) => t.pass),
      events: call.events,
    };
  } catch (err) {
    return { ...base, providers, turns: [], error: redactSecrets(err instanceof Error ? err.message : String(err)), extraTurns: [], durationMs: performance.now() - started, pass: false, events: [] };
  } finally {
    await sandbox?.close();
  }
}

/** The sandbox hears the recorded transcripts, in order; replies and faults come from the agent file. */
function replayScript(recording: Recording, script: SandboxScript | undefined) {
  return parseScenario(
    {
      utterances: recording.turns.map((t) => ({ transcript: t.transcript, ...(t.language ? { language: t.language } : {}) })),
      ...(script?.replies ? { replies: script.replies } : {}),
      ...(script?.defaultReply ? { defaultReply: script.defaultReply } : {}),
      ...(script?.faults ? { faults: script.faults } : {}),
    },
    `${recording.logPath} (sandbox)`,
  );
}

function compareTurn(rec: RecordedTurn, index: number, call: CallResult, recording: Recording, tolerance: number): TurnResult {
  const report = call.turns.find((t) => t.turnId === rec.turnId);
  const next = call.turns[call.turns.findIndex((t) => t.turnId === rec.turnId) + 1];
  const checks: CheckResult[] = [];
  const check = (expectation: string, expected: string, measured: string, pass: boolean): void => void checks.push({ expectation, expected, measured, pass });
  const tools: ToolCallSeen[] = call.events.flatMap(({ event }) => (event.type === 'tool.call' && event.turnId === rec.turnId ? [{ name: event.name, arguments: event.arguments }] : []));
  const interruption = call.events.map((e) => e.event).find((e) => e.type === 'interruption' && e.byTurnId === rec.turnId && !e.resumed);
  const interrupted = interruption?.type === 'interruption' ? { turnId: interruption.turnId, playedMs: interruption.playedMs, heardText: interruption.heardText } : undefined;

  check('turn', `${rec.turnId} (as recorded)`, report ? rec.turnId : 'no such turn in the replay', report !== undefined);
  const transcript = report?.transcript ?? '';
  check('transcript', `"${rec.transcript}" (as recorded)`, `"${transcript}"`, sameWords(rec.transcript, transcript));
  const recordedTools = rec.tools.map(formatToolCall).join(', ') || 'no tool call';
  check('tools', `${recordedTools} (as recorded)`, tools.map(formatToolCall).join(', ') || 'no tool call', sameTools(rec.tools, tools));
  const recordedBarge = rec.interrupted ? `interrupted (${rec.interrupted.turnId})` : 'none';
  const replayBarge = interrupted ? `interrupted (${interrupted.turnId})` : 'none';
  check('bargeIn', `${recordedBarge} (as recorded)`, replayBarge, recordedBarge === replayBarge);
  const errors = report?.errors ?? [];
  check('noError', rec.errors.length === 0 ? 'no error (as recorded)' : `${rec.errors.join('; ')} (as recorded)`, errors.join('; ') || 'no error', errors.length <= rec.errors.length);

  if (report && Number.isFinite(report.speechEndAudioMs)) {
    const recordedTranscriptMs = rec.transcriptAtMs === undefined ? undefined : rec.transcriptAtMs - report.speechEndAudioMs;
    timing('latency.transcriptMs', recordedTranscriptMs, report.transcriptMs, tolerance, check);
    const until = next && Number.isFinite(next.speechEndAudioMs) ? next.speechEndAudioMs : report.speechEndAudioMs + 30_000;
    const onset = audioOnsetMs(recording.assistant, recording.sampleRate, report.speechEndAudioMs, until);
    timing('latency.firstAudioMs', onset === undefined ? undefined : onset - report.speechEndAudioMs, report.firstAudioMs, tolerance, check);
  }
  const reply = report?.reply ?? '';
  return {
    index: index + 1,
    said: rec.transcript,
    pipelineTurnIds: report ? [report.turnId] : [],
    transcript,
    reply: reply === rec.reply ? reply : `${reply} (recorded: ${rec.reply})`,
    tools,
    bargeIn: interrupted ? 'interrupted' : 'none',
    ...(interrupted ? { interrupted } : {}),
    errors,
    ...latencies(report),
    ...(report ? { report } : {}),
    checks,
    pass: checks.every((c) => c.pass),
  };
}

/** A timing passes unless it is slower than recorded by more than the tolerance (faster is no regression). */
function timing(
  expectation: string,
  recorded: number | undefined,
  replayed: number | undefined,
  tolerance: number,
  check: (expectation: string, expected: string, measured: string, pass: boolean) => void,
): void {
  if (recorded === undefined) return;
  const measured = replayed === undefined ? 'none' : `${Math.round(replayed)} ms (${replayed >= recorded ? '+' : ''}${Math.round(replayed - recorded)} ms)`;
  check(expectation, `<= ${Math.round(recorded)} ms recorded + ${tolerance} ms`, measured, replayed !== undefined && replayed <= recorded + tolerance);
}

const sameWords = (a: string, b: string): boolean => containsWords(a, b) && containsWords(b, a);

function sameTools(recorded: readonly ToolCallSeen[], replayed: readonly ToolCallSeen[]): boolean {
  if (recorded.length !== replayed.length) return false;
  return recorded.every((r, i) => {
    const p = replayed[i]!;
    if (r.name !== p.name) return false;
    const a = json(r.arguments);
    const b = json(p.arguments);
    return a !== undefined && b !== undefined ? argumentsMatch(a, b) && argumentsMatch(b, a) : r.arguments === p.arguments;
  });
}

function json(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function latencies(report: TurnReport | undefined): Pick<TurnResult, 'transcriptMs' | 'firstTokenMs' | 'firstAudioMs'> {
  if (!report) return {};
  return {
    ...(report.transcriptMs === undefined ? {} : { transcriptMs: report.transcriptMs }),
    ...(report.firstTokenMs === undefined ? {} : { firstTokenMs: report.firstTokenMs }),
    ...(report.firstAudioMs === undefined ? {} : { firstAudioMs: report.firstAudioMs }),
  };
}
