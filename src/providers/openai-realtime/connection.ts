import { mergeMap, type Observable } from 'rxjs';
import { realtimeUsage } from '../openai/usage.js';
import type {
  RealtimeConnection,
  RealtimeEvent,
  RealtimeItem,
  RealtimeRateLimit,
  RealtimeResponseStatus,
  RealtimeSessionConfig,
} from '../realtime-types.js';
import { AudioDeltaDecoder, encodeAudio } from './audio.js';
import type { OpenAIClientEvent, OpenAIItem, OpenAIServerEvent, OpenAIWireConnection } from './events.js';
import { sessionUpdate, type RealtimeDialect } from './wire.js';

/** Server errors that only say the client raced the server (cancel after done, create while active): not errors. */
const IGNORED_ERRORS = new Set(['response_cancel_not_active', 'conversation_already_has_active_response']);

/**
 * The neutral `RealtimeConnection` over one OpenAI / Azure wire connection: verbs become client events
 * (OpenAI Realtime API reference, client events), server events in GA names become neutral events, and
 * reply audio is decoded here (a PCM16 delta may split a sample; the decoder carries it per response).
 */
export function openaiConnection(wire: OpenAIWireConnection, config: RealtimeSessionConfig, dialect: RealtimeDialect = 'ga'): RealtimeConnection {
  const inputFormat = config.inputFormat;
  const outputFormat = config.outputFormat ?? config.inputFormat;
  const decoders = new Map<string, AudioDeltaDecoder>();
  const send = (event: OpenAIClientEvent): boolean => wire.send(event);

  const translate = (event: OpenAIServerEvent): RealtimeEvent[] => {
    switch (event.type) {
      case 'session.created':
        return [{ type: 'session.ready' }];
      case 'input_audio_buffer.speech_started':
        return [{ type: 'speech.started', ...itemIdOf(event), audioMs: num(event.audio_start_ms) }];
      case 'input_audio_buffer.speech_stopped':
        return [{ type: 'speech.stopped', ...itemIdOf(event), audioMs: num(event.audio_end_ms) }];
      case 'input_audio_buffer.committed':
        return [{ type: 'input.committed', ...itemIdOf(event) }];
      case 'conversation.item.added': {
        const id = str((event.item as { id?: unknown } | undefined)?.id);
        const previous = event.previous_item_id;
        return id ? [{ type: 'item.added', itemId: id, previousItemId: typeof previous === 'string' ? previous : null }] : [];
      }
      case 'conversation.item.input_audio_transcription.delta': {
        const itemId = str(event.item_id);
        return itemId ? [{ type: 'input.transcript.delta', itemId, delta: str(event.delta) }] : [];
      }
      case 'conversation.item.input_audio_transcription.completed': {
        const itemId = str(event.item_id);
        const language = str(event.language);
        return itemId ? [{ type: 'input.transcript.done', itemId, text: str(event.transcript), ...(language ? { language } : {}) }] : [];
      }
      case 'conversation.item.input_audio_transcription.failed':
        return [{ type: 'input.transcript.failed', ...itemIdOf(event), message: errorText(event) }];
      case 'response.created':
        return [{ type: 'response.started', ...responseIdOf(str((event.response as { id?: unknown } | undefined)?.id)) }];
      case 'response.output_item.added': {
        const item = event.item as { id?: unknown; type?: unknown } | undefined;
        const itemId = str(item?.id);
        const kind = item?.type === 'message' ? 'message' : item?.type === 'function_call' ? 'tool_call' : undefined;
        return itemId && kind ? [{ type: 'response.item', ...responseIdOf(str(event.response_id)), itemId, kind }] : [];
      }
      case 'response.output_text.delta':
      case 'response.output_audio_transcript.delta':
        return [{ type: 'response.text', ...responseIdOf(str(event.response_id)), ...itemIdOf(event), delta: str(event.delta) }];
      case 'response.output_audio.delta': {
        const key = str(event.response_id);
        let decoder = decoders.get(key);
        if (!decoder) {
          decoder = new AudioDeltaDecoder(outputFormat);
          decoders.set(key, decoder);
        }
        return [{ type: 'response.audio', ...responseIdOf(key), ...itemIdOf(event), samples: decoder.decode(str(event.delta)) }];
      }
      case 'response.function_call_arguments.done': {
        const callId = str(event.call_id);
        if (!callId) return [];
        return [{ type: 'tool.call', ...responseIdOf(str(event.response_id)), callId, name: str(event.name), arguments: str(event.arguments) || '{}' }];
      }
      case 'response.done': {
        const response = (event.response ?? {}) as { id?: unknown; status?: unknown; usage?: unknown; status_details?: unknown; output?: unknown };
        const id = str(response.id);
        decoders.delete(id);
        const status = statusOf(str(response.status));
        const usage = realtimeUsage(response.usage);
        const details = response.status_details as { error?: { message?: unknown; code?: unknown } } | undefined;
        const error = str(details?.error?.message) || str(details?.error?.code);
        const output = Array.isArray(response.output) ? (response.output as { id?: unknown; type?: unknown }[]) : [];
        const messageItemId = str(output.find((o) => o?.type === 'message')?.id);
        return [
          {
            type: 'response.done',
            ...responseIdOf(id),
            status,
            ...(messageItemId ? { messageItemId } : {}),
            ...(usage ? { usage } : {}),
            ...(status === 'failed' && error ? { error } : {}),
          },
        ];
      }
      case 'rate_limits.updated': {
        const limits = Array.isArray(event.rate_limits) ? (event.rate_limits as { name?: unknown; remaining?: unknown; limit?: unknown; reset_seconds?: unknown }[]) : [];
        const neutral: RealtimeRateLimit[] = limits
          .filter((l) => str(l?.name) !== '')
          .map((l) => ({ name: str(l.name), remaining: num(l.remaining), limit: num(l.limit), resetSeconds: num(l.reset_seconds) }));
        return [{ type: 'rate_limits', limits: neutral }];
      }
      case 'error': {
        const code = str((event.error as { code?: unknown } | undefined)?.code);
        if (IGNORED_ERRORS.has(code)) return [];
        return [{ type: 'error', code: code === 'input_audio_buffer_commit_empty' ? 'commit_empty' : 'server', message: errorText(event) }];
      }
      case 'client.protocol_error':
        return [{ type: 'error', code: 'protocol', message: str(event.message) || 'Unparseable realtime message' }];
      default:
        return [];
    }
  };

  const events: Observable<RealtimeEvent> = wire.events.pipe(mergeMap(translate));

  return {
    events,
    appendAudio: (samples) => send({ type: 'input_audio_buffer.append', audio: encodeAudio(samples, inputFormat) }),
    commit: () => send({ type: 'input_audio_buffer.commit' }),
    clearInput: () => send({ type: 'input_audio_buffer.clear' }),
    createResponse: () => send({ type: 'response.create' }),
    cancelResponse: (responseId) => send(responseId ? { type: 'response.cancel', response_id: responseId } : { type: 'response.cancel' }),
    truncate: (itemId, atMs) => send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: Math.max(0, Math.floor(atMs)) }),
    deleteItem: (itemId) => send({ type: 'conversation.item.delete', item_id: itemId }),
    addItem: (item, previousItemId) =>
      send({ type: 'conversation.item.create', ...(previousItemId ? { previous_item_id: previousItemId } : {}), item: wireItem(item, inputFormat) }),
    sendToolResult: (callId, output) => send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } }),
    // sessionUpdate builds the `session.update` event itself, in the dialect's shape.
    updateSession: (next) => send(sessionUpdate(next, dialect) as OpenAIClientEvent),
    close: () => wire.close(),
  };
}

function wireItem(item: RealtimeItem, format: RealtimeSessionConfig['inputFormat']): OpenAIItem {
  switch (item.type) {
    case 'user_text':
      return { type: 'message', role: 'user', content: [{ type: 'input_text', text: item.text }] };
    case 'user_audio':
      return { type: 'message', role: 'user', content: [{ type: 'input_audio', audio: encodeAudio(item.samples, format) }] };
    case 'assistant_text':
      return { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: item.text }] };
    case 'tool_call':
      return { type: 'function_call', call_id: item.callId, name: item.name, arguments: item.arguments };
    case 'tool_result':
      return { type: 'function_call_output', call_id: item.callId, output: item.output };
  }
}

function statusOf(status: string): RealtimeResponseStatus {
  return status === 'cancelled' || status === 'failed' || status === 'incomplete' ? status : 'completed';
}

function itemIdOf(event: OpenAIServerEvent): { itemId?: string } {
  const id = str(event.item_id);
  return id ? { itemId: id } : {};
}

function responseIdOf(id: string): { responseId?: string } {
  return id ? { responseId: id } : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function errorText(event: OpenAIServerEvent): string {
  const error = (event.error ?? {}) as { message?: unknown; code?: unknown };
  return [str(error.code), str(error.message)].filter((s) => s !== '').join(': ') || 'unknown error';
}
