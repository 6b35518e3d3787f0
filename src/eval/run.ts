import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readAudioFile } from '../audio/decode.js';
import { redactSecrets } from '../errors.js';
import { resample } from '../audio/resample.js';
import { describeEndpoints, resolveEndpoints, type ProviderEndpoints } from '../providers/env.js';
import { runCall, type CallResult } from '../runner/call.js';
import type { TimedEvent } from '../runner/report.js';
import { parseScenario } from '../sandbox/scenario.js';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { synthesizeSpeech } from '../sandbox/speech.js';
import type { Scenario } from '../sandbox/types.js';
import { agentLabel, buildAgent } from './agent.js';
import { ScriptedCaller, type CallerTurnAudio } from './caller.js';
import { evaluateTurn, type TurnResult } from './expect.js';
import type { EvalScenario } from './scenario.js';

const CALLER_RATE = 16000;

export interface EvalOptions {
  /** Scenarios run at once (default 2): each is a real-time call with its own sandbox. */
  readonly concurrency?: number;
  /** Where provider keys are looked up; with every key set, real providers answer instead of the sandbox. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The sandbox's latency profile when the scenario names none (default instant). */
  readonly profile?: 'instant' | 'typical';
  /** Called as each scenario finishes (for live output). */
  readonly onResult?: (result: ScenarioResult) => void;
  /** The caller waits at most this long for a reply before speaking the next turn (default 15 s). */
  readonly maxWaitMs?: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly source?: string;
  readonly agent: string;
  /** Which providers answered (the sandbox, or real ones). */
  readonly providers: string;
  readonly turns: readonly TurnResult[];
  /** A failure of the scenario as a whole (it could not run, the chain failed). */
  readonly error?: string;
  /** Pipeline turns no caller turn accounts for (speech the VAD found elsewhere, e.g. in the reply's echo). */
  readonly extraTurns: readonly string[];
  readonly durationMs: number;
  readonly pass: boolean;
  /** The call's events with their wall times (for reports and replays). */
  readonly events: readonly TimedEvent[];
}

export interface EvalRun {
  readonly scenarios: readonly ScenarioResult[];
  readonly pass: boolean;
  readonly durationMs: number;
}

/** Runs each scenario as a real-time call through its agent, `concurrency` at a time, in the given order. */
export async function runEvals(scenarios: readonly EvalScenario[], options: EvalOptions = {}): Promise<EvalRun> {
  const started = performance.now();
  const results: ScenarioResult[] = new Array<ScenarioResult>(scenarios.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < scenarios.length) {
      const i = next++;
      results[i] = await runScenario(scenarios[i]!, options);
      options.onResult?.(results[i]!);
    }
  };
  const n = Math.max(1, Math.min(options.concurrency ?? 2, scenarios.length));
  await Promise.all(Array.from({ length: n }, worker));
  return { scenarios: results, pass: results.every((r) => r.pass), durationMs: performance.now() - started };
}

/** One scenario: the sandbox (unless real keys are set), the agent, the caller, the checks. Never throws. */
export async function runScenario(scenario: EvalScenario, options: EvalOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  let sandbox: Sandbox | undefined;
  let providers = 'not started';
  const failed = (error: string, events: readonly TimedEvent[] = []): ScenarioResult => ({
    name: scenario.name,
    ...(scenario.source ? { source: scenario.source } : {}),
    agent: agentLabel(scenario.agent),
    providers,
    turns: [],
    // Provider keys may sit in a failing request's message: they never reach the report.
    error: redactSecrets(error),
    extraTurns: [],
    durationMs: performance.now() - started,
    pass: false,
    events,
  });
  try {
    const audio = await callerAudio(scenario);
    const real = realEndpoints(options.env ?? process.env);
    if (!real) {
      // Warmed up: the first reply's latency is the profile's, not the speech synthesizer's start-up.
      sandbox = await startSandbox({ profile: scenario.sandbox?.profile ?? options.profile ?? 'instant', scenario: sandboxScript(scenario), warmUp: true });
    }
    const endpoints = real ?? resolveEndpoints(options.env ?? process.env, sandbox!.url);
    providers = `${describeEndpoints(endpoints)}${sandbox ? ` (sandbox, profile ${sandbox.profile.name})` : ''}`;
    const caller = new ScriptedCaller({ sampleRate: CALLER_RATE, turns: audio, ...(options.maxWaitMs ? { maxWaitMs: options.maxWaitMs } : {}) });
    let call: CallResult;
    try {
      call = await runCall({
        frames: caller.frames,
        pipeline: await buildAgent(scenario.agent, endpoints),
        onEvent: (timed) => caller.observe(timed.event),
        idleAfterInputMs: 3000,
      });
    } catch (err) {
      return failed(`the call failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const placements = caller.placements;
    const turns = scenario.turns.map((turn, i) => evaluateTurn(turn, i, placements.find((p) => p.index === i), call.events, call.turns));
    const claimed = new Set(placements.flatMap((p) => p.pipelineTurnIds));
    const extraTurns = call.turns.map((t) => t.turnId).filter((id) => !claimed.has(id));
    const callErrors = call.events.flatMap(({ event }) => (event.type === 'error' && event.turnId === undefined ? [`${event.stage}/${event.code}: ${event.message}`] : []));
    return {
      name: scenario.name,
      ...(scenario.source ? { source: scenario.source } : {}),
      agent: agentLabel(scenario.agent),
      providers,
      turns,
      ...(callErrors.length > 0 ? { error: `call errors: ${callErrors.join('; ')}` } : {}),
      extraTurns,
      durationMs: performance.now() - started,
      pass: callErrors.length === 0 && turns.every((t) => t.pass),
      events: call.events,
    };
  } catch (err) {
    return failed(err instanceof Error ? err.message : String(err));
  } finally {
    await sandbox?.close();
  }
}

/** The caller's audio per turn: espeak-ng speaking `say`, or the WAV (resampled to 16 kHz). */
async function callerAudio(scenario: EvalScenario): Promise<CallerTurnAudio[]> {
  const base = scenario.source ? dirname(scenario.source) : process.cwd();
  const out: CallerTurnAudio[] = [];
  for (const turn of scenario.turns) {
    if (turn.say !== undefined) {
      const speech = await synthesizeSpeech(turn.say, CALLER_RATE, turn.language ? { language: turn.language } : {});
      out.push({ samples: speech.samples, start: turn.start });
    } else {
      const wav = await readAudioFile(resolve(base, turn.wav!));
      out.push({ samples: wav.sampleRate === CALLER_RATE ? wav.samples : resample(wav.samples, wav.sampleRate, CALLER_RATE), start: turn.start });
    }
  }
  return out;
}

/** The sandbox's script: the turns' transcripts in order, the file's replies, faults and default reply. */
export function sandboxScript(scenario: EvalScenario): Scenario {
  const utterances = scenario.turns.map((turn, i) => {
    const transcript = turn.transcript ?? turn.say;
    if (transcript === undefined) throw new Error(`turn ${i + 1}: a WAV turn needs a "transcript" for the sandbox to hear`);
    return { transcript, ...(turn.language ? { language: turn.language } : {}) };
  });
  const s = scenario.sandbox;
  return parseScenario(
    {
      utterances,
      ...(s?.replies ? { replies: s.replies } : {}),
      ...(s?.defaultReply ? { defaultReply: s.defaultReply } : {}),
      ...(s?.faults ? { faults: s.faults } : {}),
    },
    `${scenario.source ?? scenario.name} (sandbox)`,
  );
}

export function realEndpoints(env: Readonly<Record<string, string | undefined>>): ProviderEndpoints | undefined {
  try {
    return resolveEndpoints(env, undefined);
  } catch {
    return undefined;
  }
}
