import type { JsonSchema, ToolSpec } from './providers/types.js';

/** What a tool handler gets besides its arguments. */
export interface ToolContext {
  /** The caller turn the reply belongs to. */
  readonly turnId: string;
  /** Aborted when the reply is cancelled (barge-in, a newer turn, unsubscribe). */
  readonly signal: AbortSignal;
}

/**
 * A function the model may call: JSON-schema parameters and an async handler. The handler's result is sent
 * back to the model as JSON; a thrown error becomes a result `{"error": "..."}` the model sees.
 */
export interface ToolDefinition<Args = Record<string, unknown>> {
  readonly name: string;
  readonly description?: string;
  readonly parameters: JsonSchema;
  handler(args: Args, context: ToolContext): Promise<unknown>;
}

/** Declares a tool with typed arguments (the schema is not checked against `Args`: keep them in step). */
export function defineTool<Args = Record<string, unknown>>(tool: ToolDefinition<Args>): ToolDefinition<Args> {
  return tool;
}

/** The part of a tool the model is told about. */
export function toToolSpec(tool: Pick<ToolDefinition<never>, 'name' | 'description' | 'parameters'>): ToolSpec {
  return { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.parameters };
}
