/**
 * rxvoice/eval: scenario runs for testers. `runEvals(scenarios)` plays each scenario's caller through its
 * agent (real VAD, real sockets; the sandbox unless provider keys are set) and checks each turn;
 * `replayRecording` plays a recorded call into the current agent and reports what changed.
 */
export { runEvals, runScenario, sandboxScript, type EvalOptions, type EvalRun, type ScenarioResult } from './run.js';
export { replayRecording, type ReplayOptions } from './replay.js';
export { findRecordings, loadRecording, parseTurnLog, recordedTurns, splitStereo, type Recording, type RecordedTurn, type TurnLogLine } from './recording.js';
export { findScenarioFiles, loadAgentFile, loadScenarioFile, loadScenarios } from './load.js';
export {
  parseEvalScenario,
  parseAgentFile,
  ScenarioError,
  type AgentSpec,
  type BargeInOutcome,
  type CallerTurn,
  type EvalScenario,
  type ExpectedToolCall,
  type SandboxScript,
  type ToolSpecWithResult,
  type TurnExpectations,
  type TurnStart,
} from './scenario.js';
export { ScriptedCaller, type CallerTurnAudio, type PlacedTurn, type ScriptedCallerOptions } from './caller.js';
export { evaluateTurn, containsWords, argumentsMatch, type CheckResult, type ToolCallSeen, type TurnResult } from './expect.js';
export { buildAgent, cannedTool, agentLabel } from './agent.js';
export { evalTable, failureLines, evalCounts, junitXml, htmlReport, describeCheck } from './report.js';
