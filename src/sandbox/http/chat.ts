import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxMessage, SandboxReply } from '../context.js';
import { type ErrorFlavor, openaiErrorBody, sendJson, sendProviderError } from '../errors.js';
import { applyHttpFault } from '../faults.js';
import { SseStream } from '../sse.js';
import type { SandboxState } from '../state.js';
import { paceMs, pacer, sleep } from '../time.js';
import { estimateTokens, splitTokens } from '../tokens.js';
import type { ChatCompletionChunkWire, ChatDeltaWire, ChatUsageWire, ContentFilterResults } from '../../providers/openai/wire.js';
import { readBody } from './body.js';
import { sendWithFault } from './respond.js';

export interface ChatRoute {
  readonly flavor: ErrorFlavor;
  /** Azure deployment from the URL path; it stands for the model. */
  readonly deployment?: string;
}

interface WireMessage {
  role?: unknown;
  content?: unknown;
  tool_call_id?: unknown;
  tool_calls?: unknown;
  name?: unknown;
}

interface WireTool {
  type?: unknown;
  function?: { name?: unknown };
}

/** Chat models the sandbox pretends to have on OpenAI's surface (Azure deployments are free names). */
const CHAT_MODEL = /^(gpt-|o\d|chatgpt-|ft:|rxvoice)/i;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => (part && typeof part === 'object' && 'text' in part && typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  return '';
}

/** Maps wire messages to the sandbox's view, naming the tool each tool result answers. */
export function toSandboxMessages(messages: readonly WireMessage[]): SandboxMessage[] {
  const toolNames = new Map<string, string>();
  const out: SandboxMessage[] = [];
  for (const m of messages) {
    if (Array.isArray(m.tool_calls)) {
      for (const call of m.tool_calls as Array<{ id?: unknown; function?: { name?: unknown } }>) {
        if (typeof call.id === 'string' && typeof call.function?.name === 'string') toolNames.set(call.id, call.function.name);
      }
    }
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant' && role !== 'tool') continue;
    const toolName = role === 'tool' && typeof m.tool_call_id === 'string' ? toolNames.get(m.tool_call_id) : undefined;
    out.push({ role, content: textOf(m.content), ...(toolName ? { toolName } : {}) });
  }
  return out;
}

function newId(prefix: string, length = 24): string {
  return `${prefix}${randomBytes(length).toString('base64url').slice(0, length)}`;
}

const SAFE = { filtered: false, severity: 'safe' } as const;
const CONTENT_FILTER_RESULTS: ContentFilterResults = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };

/** Serves `POST .../chat/completions` for OpenAI and both Azure URL forms. */
export async function handleChat(state: SandboxState, req: IncomingMessage, res: ServerResponse, url: URL, route: ChatRoute): Promise<void> {
  const vendor = route.flavor;
  const denied = state.checkAuth(vendor, req.headers, url.searchParams);
  if (denied) return sendJson(res, denied.status, denied.body);
  const fault = state.takeFault('chat', (req.headers['x-rxvoice-fault'] as string | undefined) ?? url.searchParams.get('fault') ?? undefined);
  if (applyHttpFault(res, fault, vendor)) {
    req.resume();
    return;
  }

  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse((await readBody(req)).toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return sendProviderError(res, 'openai', 400, {
      message:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    });
  }

  const model = route.deployment ?? (typeof body.model === 'string' ? body.model : undefined);
  if (!model) return sendProviderError(res, 'openai', 400, { message: 'you must provide a model parameter' });
  if (vendor === 'openai' && !CHAT_MODEL.test(model)) {
    return sendJson(res, 404, openaiErrorBody({ message: `The model \`${model}\` does not exist or you do not have access to it.`, code: 'model_not_found' }));
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return sendProviderError(res, 'openai', 400, {
      message: "Missing required parameter: 'messages'.",
      param: 'messages',
      code: 'missing_required_parameter',
    });
  }

  const wireMessages = body.messages as WireMessage[];
  const messages = toSandboxMessages(wireMessages);
  const tools = Array.isArray(body.tools) ? (body.tools as WireTool[]) : [];
  const toolNames = tools.map((t) => t.function?.name).filter((n): n is string => typeof n === 'string');
  let reply: SandboxReply = state.reply(messages);
  if (reply.kind === 'tool_call' && (body.tool_choice === 'none' || !toolNames.includes(reply.name))) {
    // The scenario wants a tool the client did not offer: say so rather than call an unknown function.
    reply = { kind: 'text', text: reply.fallbackText ?? `I'd use the ${reply.name} tool for that, but it isn't available right now.` };
  }
  reply = forcedToolCall(body.tool_choice, toolNames, reply, messages[messages.length - 1]?.role === 'tool');

  const promptTokens = messages.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 0);
  const replyText = reply.kind === 'text' ? reply.text : reply.arguments;
  let pieces = splitTokens(replyText);
  const maxTokens = [body.max_completion_tokens, body.max_tokens].find((v): v is number => typeof v === 'number' && v > 0);
  // A reply cut by max tokens ends with finish_reason "length", as the real API does.
  const truncated = maxTokens !== undefined && pieces.length > maxTokens;
  if (truncated) {
    pieces = pieces.slice(0, maxTokens);
    if (reply.kind === 'text') reply = { kind: 'text', text: pieces.join('') };
    else reply = { ...reply, arguments: pieces.join('') };
  }
  const usage: ChatUsageWire = {
    prompt_tokens: promptTokens,
    completion_tokens: pieces.length,
    total_tokens: promptTokens + pieces.length,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  const common = {
    id: newId('chatcmpl-'),
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: state.label,
    service_tier: 'default',
  };
  const finishReason = truncated ? 'length' : reply.kind === 'tool_call' ? 'tool_calls' : 'stop';
  const toolCallId = newId('call_');
  const azureExtra = vendor === 'azure' ? { content_filter_results: CONTENT_FILTER_RESULTS } : {};

  if (body.stream !== true) {
    await sleep(state.latency.chatFirstTokenMs());
    return sendWithFault(res, fault, {
      ...common,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message:
            reply.kind === 'text'
              ? { role: 'assistant', content: reply.text, refusal: null, annotations: [] }
              : {
                  role: 'assistant',
                  content: null,
                  refusal: null,
                  annotations: [],
                  tool_calls: [{ id: toolCallId, type: 'function', function: { name: reply.name, arguments: reply.arguments } }],
                },
          logprobs: null,
          finish_reason: finishReason,
          ...azureExtra,
        },
      ],
      usage,
      ...(vendor === 'azure' ? { prompt_filter_results: [{ prompt_index: 0, content_filter_results: CONTENT_FILTER_RESULTS }] } : {}),
    });
  }

  const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const usageField = includeUsage ? { usage: null } : {};
  const sse = new SseStream(res, fault, { 'x-request-id': newId('req_', 16) });
  const chunk = (delta: ChatDeltaWire, finish: string | null = null): ChatCompletionChunkWire => ({
    ...common,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish, ...(finish === null ? azureExtra : {}) }],
    ...usageField,
  });

  if (vendor === 'azure') {
    const leading: ChatCompletionChunkWire = {
      choices: [],
      created: 0,
      id: '',
      model: '',
      object: '',
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: { ...CONTENT_FILTER_RESULTS, jailbreak: { filtered: false, detected: false } } }],
    };
    if (!(await sse.send(leading))) return;
  }
  await sleep(state.latency.chatFirstTokenMs(), sse.signal);
  const pace = pacer(paceMs(state.profile.chat.tokensPerSecond));

  if (reply.kind === 'text') {
    if (!(await sse.send(chunk({ role: 'assistant', content: '', refusal: null })))) return;
    for (const piece of pieces) {
      if (!(await sse.send(chunk({ content: piece })))) return;
      await pace(sse.signal);
    }
  } else {
    const first: ChatDeltaWire = { role: 'assistant', content: null, tool_calls: [{ index: 0, id: toolCallId, type: 'function', function: { name: reply.name, arguments: '' } }] };
    if (!(await sse.send(chunk(first)))) return;
    for (const piece of pieces) {
      if (!(await sse.send(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] })))) return;
      await pace(sse.signal);
    }
  }
  if (!(await sse.send(chunk({}, finishReason)))) return;
  if (vendor === 'azure' && !(await sse.send(contentFilterAnnotation(replyText.length)))) return;
  const usageChunk: ChatCompletionChunkWire = { ...common, object: 'chat.completion.chunk', choices: [], usage };
  if (includeUsage && !(await sse.send(usageChunk))) return;
  sse.end();
}

/**
 * Azure's content-filter annotation for the completion, which comes AFTER the `finish_reason` chunk:
 * a choice with no `delta`, `finish_reason: null`, the filter results and the offsets they cover, in a
 * chunk with empty `id`/`model`/`object` (learn.microsoft.com/azure/foundry/openai/concepts/content-streaming,
 * "Asynchronous Filter": annotation messages follow the completion; sample stream there). A client that
 * takes `finish_reason` as the end must keep reading to `[DONE]` and skip it.
 */
function contentFilterAnnotation(completionChars: number): ChatCompletionChunkWire {
  return {
    choices: [
      {
        index: 0,
        finish_reason: null,
        content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: completionChars },
        content_filter_results: { ...CONTENT_FILTER_RESULTS, protected_material_code: { filtered: false, detected: false }, protected_material_text: { filtered: false, detected: false } },
      },
    ],
    created: 0,
    id: '',
    model: '',
    object: '',
  };
}

/**
 * `tool_choice` can force a call: a named function must be called, `required` means some offered tool.
 * Arguments come from the scenario when it picked the same tool, else `{}`. After a tool result the model
 * is free again (clients normally drop the forcing then; a loop helps nobody).
 */
function forcedToolCall(toolChoice: unknown, offered: readonly string[], reply: SandboxReply, afterToolResult: boolean): SandboxReply {
  if (afterToolResult || offered.length === 0) return reply;
  const named =
    toolChoice && typeof toolChoice === 'object' && 'function' in toolChoice
      ? (toolChoice.function as { name?: unknown } | undefined)?.name
      : undefined;
  const forced = typeof named === 'string' ? named : toolChoice === 'required' ? (reply.kind === 'tool_call' ? reply.name : offered[0]) : undefined;
  if (forced === undefined || (reply.kind === 'tool_call' && reply.name === forced)) return reply;
  return { kind: 'tool_call', name: forced, arguments: '{}' };
}
