import { GA_ONLY_EVENTS, GA_TO_BETA_EVENTS, GA_TO_BETA_PART_TYPES } from '../../providers/openai-realtime/events.js';
import type { Protocol } from './config.js';

/** A server event as it goes on the wire (always a JSON object with `type` and `event_id`). */
export type ServerEvent = { readonly type: string } & Record<string, unknown>;

/**
 * The beta protocol is the GA engine under other names (OpenAI Realtime API reference): the engine speaks GA and this
 * layer renames events, content-part types and response fields on the way out, with the client's own copy of the map.
 */
const BETA_EVENT_NAMES = GA_TO_BETA_EVENTS;
const GA_ONLY = GA_ONLY_EVENTS;
const BETA_PART_TYPES = GA_TO_BETA_PART_TYPES;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function betaPart(part: unknown): unknown {
  if (!isObject(part) || typeof part.type !== 'string') return part;
  const renamed = BETA_PART_TYPES[part.type];
  return renamed === undefined ? part : { ...part, type: renamed };
}

/** Beta items carry `object: "realtime.item"` (openai-node resources/beta/realtime/realtime.ts ConversationItem); GA items do not. */
function betaItem(item: unknown): unknown {
  if (!isObject(item)) return item;
  const withObject = { id: item.id, object: 'realtime.item', ...item };
  return Array.isArray(item.content) ? { ...withObject, content: item.content.map(betaPart) } : withObject;
}

function betaResponse(response: unknown): unknown {
  if (!isObject(response)) return response;
  const { output_modalities: modalities, audio, output, ...rest } = response;
  const audioOut = isObject(audio) && isObject(audio.output) ? audio.output : undefined;
  return {
    ...rest,
    ...(Array.isArray(modalities) ? { modalities: modalities.includes('audio') ? ['text', 'audio'] : ['text'] } : {}),
    ...(audioOut ? { voice: audioOut.voice, output_audio_format: betaFormat(audioOut.format) } : {}),
    output: Array.isArray(output) ? output.map(betaItem) : output,
  };
}

function betaFormat(format: unknown): string {
  if (!isObject(format)) return 'pcm16';
  return format.type === 'audio/pcmu' ? 'g711_ulaw' : format.type === 'audio/pcma' ? 'g711_alaw' : 'pcm16';
}

/** The event as the session's protocol names it, or undefined when that protocol has no such event. */
export function forProtocol(event: ServerEvent, protocol: Protocol): ServerEvent | undefined {
  if (protocol === 'ga') return event;
  if (GA_ONLY.has(event.type)) return undefined;
  const out: Json = { ...event, type: BETA_EVENT_NAMES[event.type] ?? event.type };
  if ('part' in out) out.part = betaPart(out.part);
  if ('item' in out) out.item = betaItem(out.item);
  if ('response' in out) out.response = betaResponse(out.response);
  return out as ServerEvent;
}
