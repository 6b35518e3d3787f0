import { toRxVoiceError } from './errors.js';
import type { ToolContext } from './tools.js';

/** A callable tool as both chains take it: a `ToolDefinition`, or a handler returning a plain value. */
export interface RunnableTool {
  readonly name: string;
  /** Method syntax on purpose: parameters are checked bivariantly, so typed `ToolDefinition<Args>`s fit. */
  handler(args: Record<string, unknown>, context: ToolContext): unknown;
}

/** What the model is told: the handler's JSON result, or `{"error": ...}`. */
export interface ToolOutcome {
  readonly output: string;
  readonly isError: boolean;
}

/**
 * Runs one tool call for either chain (`llmStream`, `realtime`): parses the arguments, runs the handler and
 * turns its value or failure into the text the model sees. An error's message goes through `RxVoiceError`,
 * which redacts registered secrets, so a handler that throws with a key in its message never leaks it.
 * A handler that returns synchronously is answered synchronously (marble tests rely on it).
 */
export function runToolCall(
  tool: RunnableTool | undefined,
  name: string,
  argumentsText: string,
  context: ToolContext,
  done: (outcome: ToolOutcome) => void,
): void {
  if (!tool) {
    done({ output: JSON.stringify({ error: `unknown tool: ${name}` }), isError: true });
    return;
  }
  let args: Record<string, unknown>;
  try {
    const parsed: unknown = argumentsText.trim() === '' ? {} : JSON.parse(argumentsText);
    args = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    done({ output: JSON.stringify({ error: 'the arguments were not valid JSON' }), isError: true });
    return;
  }
  const failed = (err: unknown): ToolOutcome => ({ output: JSON.stringify({ error: toRxVoiceError(err, 'tool', 'tool_failed').message }), isError: true });
  const succeeded = (value: unknown): ToolOutcome => ({ output: JSON.stringify(value) ?? 'null', isError: false });
  let result: unknown;
  try {
    result = tool.handler(args, context);
  } catch (err) {
    done(failed(err));
    return;
  }
  if (isPromiseLike(result)) result.then((value) => done(succeeded(value)), (err: unknown) => done(failed(err)));
  else done(succeeded(result));
}

/** `runToolCall` as a promise (the cascaded chain awaits it). */
export function runTool(tool: RunnableTool | undefined, name: string, argumentsText: string, context: ToolContext): Promise<ToolOutcome> {
  return new Promise((resolve) => runToolCall(tool, name, argumentsText, context, resolve));
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
