import { fromGaAudioFormat, gaAudioFormat, isRealtimeWireFormat } from '../../providers/openai-realtime/audio-format.js';
import type { WireAudioFormat } from './audio.js';

/**
 * One session configuration, two wire shapes: the GA object (nested `audio.input/output`, `type`) and the
 * beta object (flat). The engine reads only this neutral form; `parseSessionUpdate` and `sessionObject`
 * translate at the edge (OpenAI Realtime API reference).
 */
export type Protocol = 'ga' | 'beta';

export interface TurnDetection {
  readonly type: 'server_vad' | 'semantic_vad';
  readonly threshold: number;
  readonly prefixPaddingMs: number;
  /** Undefined: the latency profile's default. */
  readonly silenceDurationMs: number | undefined;
  readonly eagerness: 'low' | 'medium' | 'high' | 'auto';
  readonly createResponse: boolean;
  readonly interruptResponse: boolean;
  readonly idleTimeoutMs: number | null;
}

export interface ToolDefinition {
  readonly type: 'function';
  readonly name: string;
  readonly description?: string;
  readonly parameters?: unknown;
}

export interface Transcription {
  readonly model: string;
  readonly language?: string;
  readonly prompt?: string;
}

export interface SessionConfig {
  readonly kind: 'realtime' | 'transcription';
  readonly model: string;
  readonly instructions: string;
  /** `audio` means audio with its transcript; `text` means text only. */
  readonly output: 'audio' | 'text';
  readonly inputFormat: WireAudioFormat;
  readonly outputFormat: WireAudioFormat;
  readonly transcription: Transcription | null;
  readonly noiseReduction: { readonly type: string } | null;
  readonly turnDetection: TurnDetection | null;
  readonly voice: string;
  readonly speed: number;
  readonly tools: readonly ToolDefinition[];
  readonly toolChoice: unknown;
  readonly maxOutputTokens: number | 'inf';
  readonly temperature: number;
  readonly tracing: unknown;
  readonly include: readonly string[] | null;
  /** GA only: how the conversation is cut when it outgrows the context window. */
  readonly truncation: Truncation;
}

/**
 * GA `session.truncation` (openai-node resources/realtime/realtime.ts RealtimeTruncation:
 * `'auto' | 'disabled' | {type: 'retention_ratio', retention_ratio}`); GA session objects always carry it.
 */
export type Truncation = 'auto' | 'disabled' | { readonly type: 'retention_ratio'; readonly retention_ratio: number };

export const DEFAULT_TURN_DETECTION: TurnDetection = {
  type: 'server_vad',
  threshold: 0.5,
  prefixPaddingMs: 300,
  silenceDurationMs: undefined,
  eagerness: 'auto',
  createResponse: true,
  interruptResponse: true,
  idleTimeoutMs: null,
};

export function defaultConfig(model: string, kind: 'realtime' | 'transcription', protocol: Protocol): SessionConfig {
  return {
    kind,
    model,
    instructions: kind === 'transcription' ? '' : 'You are a helpful assistant. (rxvoice sandbox: a local test double.)',
    output: 'audio',
    inputFormat: 'pcm16',
    outputFormat: 'pcm16',
    transcription: null,
    noiseReduction: null,
    turnDetection: DEFAULT_TURN_DETECTION,
    voice: protocol === 'ga' ? 'marin' : 'alloy',
    speed: 1,
    tools: [],
    toolChoice: 'auto',
    maxOutputTokens: 'inf',
    temperature: 0.8,
    tracing: null,
    include: null,
    truncation: 'auto',
  };
}

/** Silence before the end of a turn for semantic_vad, by eagerness (the model waits longer when eagerness is low). */
const EAGERNESS_SILENCE_MS = { low: 1200, medium: 600, auto: 600, high: 300 } as const;

export function effectiveSilenceMs(td: TurnDetection, profileDefaultMs: number): number {
  if (td.type === 'semantic_vad') return EAGERNESS_SILENCE_MS[td.eagerness];
  return td.silenceDurationMs ?? profileDefaultMs;
}

/** A client mistake in a session update, reported as an `error` event. */
export class ConfigError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param: string | null,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function gaFormat(value: unknown, param: string): WireAudioFormat {
  if (!isObject(value)) throw new ConfigError('invalid_type', `Invalid type for '${param}': expected an object.`, param);
  const format = fromGaAudioFormat(value);
  if (format === undefined) {
    throw new ConfigError('invalid_value', `Invalid value for '${param}.type': expected audio/pcm, audio/pcmu or audio/pcma.`, `${param}.type`);
  }
  if (format === 'pcm16' && value.rate !== undefined && value.rate !== 24000) {
    throw new ConfigError('invalid_value', `Invalid value for '${param}.rate': only 24000 is supported.`, `${param}.rate`);
  }
  return format;
}

function betaFormat(value: unknown, param: string): WireAudioFormat {
  if (isRealtimeWireFormat(value)) return value;
  throw new ConfigError('invalid_value', `Invalid value for '${param}': expected pcm16, g711_ulaw or g711_alaw.`, param);
}

function turnDetection(value: unknown, current: TurnDetection | null, param: string): TurnDetection | null {
  if (value === null) return null;
  if (!isObject(value)) throw new ConfigError('invalid_type', `Invalid type for '${param}'.`, param);
  const type = value.type ?? current?.type ?? 'server_vad';
  if (type !== 'server_vad' && type !== 'semantic_vad') {
    throw new ConfigError('invalid_value', `Invalid value for '${param}.type': expected server_vad or semantic_vad.`, `${param}.type`);
  }
  const base = current ?? DEFAULT_TURN_DETECTION;
  const num = (key: string, fallback: number): number => {
    const v = value[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ConfigError('invalid_value', `Invalid value for '${param}.${key}'.`, `${param}.${key}`);
    }
    return v;
  };
  const eagerness = value.eagerness ?? base.eagerness;
  if (eagerness !== 'low' && eagerness !== 'medium' && eagerness !== 'high' && eagerness !== 'auto') {
    throw new ConfigError('invalid_value', `Invalid value for '${param}.eagerness'.`, `${param}.eagerness`);
  }
  const silence = value.silence_duration_ms;
  return {
    type,
    threshold: num('threshold', base.threshold),
    prefixPaddingMs: num('prefix_padding_ms', base.prefixPaddingMs),
    silenceDurationMs: typeof silence === 'number' ? num('silence_duration_ms', 0) : base.silenceDurationMs,
    eagerness,
    createResponse: typeof value.create_response === 'boolean' ? value.create_response : base.createResponse,
    interruptResponse: typeof value.interrupt_response === 'boolean' ? value.interrupt_response : base.interruptResponse,
    idleTimeoutMs: typeof value.idle_timeout_ms === 'number' ? value.idle_timeout_ms : base.idleTimeoutMs,
  };
}

function transcription(value: unknown, param: string): Transcription | null {
  if (value === null) return null;
  if (!isObject(value)) throw new ConfigError('invalid_type', `Invalid type for '${param}'.`, param);
  return {
    model: typeof value.model === 'string' ? value.model : 'gpt-4o-mini-transcribe',
    ...(typeof value.language === 'string' && value.language !== '' ? { language: value.language } : {}),
    ...(typeof value.prompt === 'string' ? { prompt: value.prompt } : {}),
  };
}

function tools(value: unknown, param: string): ToolDefinition[] {
  if (!Array.isArray(value)) throw new ConfigError('invalid_type', `Invalid type for '${param}': expected an array.`, param);
  return value.map((tool, i) => {
    if (!isObject(tool) || typeof tool.name !== 'string' || (tool.type !== undefined && tool.type !== 'function')) {
      throw new ConfigError('invalid_value', `Invalid value for '${param}[${i}]': expected a function tool with a name.`, `${param}[${i}]`);
    }
    return {
      type: 'function',
      name: tool.name,
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      ...(tool.parameters === undefined ? {} : { parameters: tool.parameters }),
    };
  });
}

function modalities(value: unknown, param: string, protocol: Protocol): 'audio' | 'text' {
  if (!Array.isArray(value) || value.length === 0 || !value.every((m) => m === 'audio' || m === 'text')) {
    throw new ConfigError('invalid_value', `Invalid value for '${param}'.`, param);
  }
  if (protocol === 'ga' && value.length !== 1) {
    throw new ConfigError('invalid_value', `Invalid value for '${param}': expected exactly one of ["audio"] or ["text"].`, param);
  }
  return value.includes('audio') ? 'audio' : 'text';
}

function maxTokens(value: unknown, param: string): number | 'inf' {
  if (value === 'inf') return 'inf';
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 4096) return value;
  throw new ConfigError('invalid_value', `Invalid value for '${param}': expected 1-4096 or "inf".`, param);
}

function truncation(value: unknown): Truncation {
  if (value === 'auto' || value === 'disabled') return value;
  if (isObject(value) && value.type === 'retention_ratio') {
    const ratio = value.retention_ratio;
    if (typeof ratio === 'number' && ratio >= 0 && ratio <= 1) return { type: 'retention_ratio', retention_ratio: ratio };
    throw new ConfigError('invalid_value', "Invalid value for 'session.truncation.retention_ratio': expected a number from 0 to 1.", 'session.truncation.retention_ratio');
  }
  throw new ConfigError('invalid_value', "Invalid value for 'session.truncation': expected 'auto', 'disabled' or a retention_ratio object.", 'session.truncation');
}

/** Applies a `session.update` payload (only the fields present change) and returns the new config. */
export function parseSessionUpdate(raw: unknown, current: SessionConfig, protocol: Protocol): SessionConfig {
  if (!isObject(raw)) throw new ConfigError('invalid_type', "Invalid type for 'session': expected an object.", 'session');
  return protocol === 'ga' ? applyGa(raw, current) : applyBeta(raw, current);
}

function applyGa(s: Json, current: SessionConfig): SessionConfig {
  if (s.type === undefined) throw new ConfigError('missing_required_parameter', "Missing required parameter: 'session.type'.", 'session.type');
  if (s.type !== 'realtime' && s.type !== 'transcription') {
    throw new ConfigError('invalid_value', "Invalid value for 'session.type': expected realtime or transcription.", 'session.type');
  }
  if (s.type !== current.kind) {
    throw new ConfigError('invalid_value', `Cannot update a ${current.kind} session to type '${s.type}'.`, 'session.type');
  }
  let next: SessionConfig = { ...current };
  if (typeof s.model === 'string') next = { ...next, model: s.model };
  if (typeof s.instructions === 'string') next = { ...next, instructions: s.instructions };
  if (s.output_modalities !== undefined) next = { ...next, output: modalities(s.output_modalities, 'session.output_modalities', 'ga') };
  if (s.tools !== undefined) next = { ...next, tools: tools(s.tools, 'session.tools') };
  if (s.tool_choice !== undefined) next = { ...next, toolChoice: s.tool_choice };
  if (s.max_output_tokens !== undefined) next = { ...next, maxOutputTokens: maxTokens(s.max_output_tokens, 'session.max_output_tokens') };
  if (s.tracing !== undefined) next = { ...next, tracing: s.tracing };
  if (s.include !== undefined) next = { ...next, include: Array.isArray(s.include) ? s.include.map(String) : null };
  if (s.truncation !== undefined) next = { ...next, truncation: truncation(s.truncation) };
  const audio = s.audio;
  if (audio !== undefined) {
    if (!isObject(audio)) throw new ConfigError('invalid_type', "Invalid type for 'session.audio'.", 'session.audio');
    const input = audio.input;
    if (isObject(input)) {
      if (input.format !== undefined) next = { ...next, inputFormat: gaFormat(input.format, 'session.audio.input.format') };
      if (input.transcription !== undefined) next = { ...next, transcription: transcription(input.transcription, 'session.audio.input.transcription') };
      if (input.noise_reduction !== undefined) next = { ...next, noiseReduction: isObject(input.noise_reduction) ? { type: String(input.noise_reduction.type) } : null };
      if (input.turn_detection !== undefined) {
        next = { ...next, turnDetection: turnDetection(input.turn_detection, current.turnDetection, 'session.audio.input.turn_detection') };
      }
    }
    const output = audio.output;
    if (isObject(output)) {
      if (output.format !== undefined) next = { ...next, outputFormat: gaFormat(output.format, 'session.audio.output.format') };
      if (typeof output.voice === 'string') next = { ...next, voice: output.voice };
      if (isObject(output.voice) && typeof output.voice.id === 'string') next = { ...next, voice: output.voice.id };
      if (typeof output.speed === 'number') next = { ...next, speed: output.speed };
    }
  }
  return next;
}

function applyBeta(s: Json, current: SessionConfig): SessionConfig {
  let next: SessionConfig = { ...current };
  if (typeof s.model === 'string') next = { ...next, model: s.model };
  if (typeof s.instructions === 'string') next = { ...next, instructions: s.instructions };
  if (s.modalities !== undefined) next = { ...next, output: modalities(s.modalities, 'session.modalities', 'beta') };
  if (s.input_audio_format !== undefined) next = { ...next, inputFormat: betaFormat(s.input_audio_format, 'session.input_audio_format') };
  if (s.output_audio_format !== undefined) next = { ...next, outputFormat: betaFormat(s.output_audio_format, 'session.output_audio_format') };
  if (s.input_audio_transcription !== undefined) {
    next = { ...next, transcription: transcription(s.input_audio_transcription, 'session.input_audio_transcription') };
  }
  if (s.input_audio_noise_reduction !== undefined) {
    next = { ...next, noiseReduction: isObject(s.input_audio_noise_reduction) ? { type: String(s.input_audio_noise_reduction.type) } : null };
  }
  if (s.turn_detection !== undefined) next = { ...next, turnDetection: turnDetection(s.turn_detection, current.turnDetection, 'session.turn_detection') };
  if (typeof s.voice === 'string') next = { ...next, voice: s.voice };
  if (typeof s.speed === 'number') next = { ...next, speed: s.speed };
  if (s.tools !== undefined) next = { ...next, tools: tools(s.tools, 'session.tools') };
  if (s.tool_choice !== undefined) next = { ...next, toolChoice: s.tool_choice };
  if (typeof s.temperature === 'number') next = { ...next, temperature: s.temperature };
  if (s.max_response_output_tokens !== undefined) {
    next = { ...next, maxOutputTokens: maxTokens(s.max_response_output_tokens, 'session.max_response_output_tokens') };
  }
  return next;
}

function turnDetectionObject(td: TurnDetection | null, silenceDefaultMs: number, protocol: Protocol): Json | null {
  if (td === null) return null;
  if (td.type === 'semantic_vad') {
    return { type: 'semantic_vad', eagerness: td.eagerness, create_response: td.createResponse, interrupt_response: td.interruptResponse };
  }
  return {
    type: 'server_vad',
    threshold: td.threshold,
    prefix_padding_ms: td.prefixPaddingMs,
    silence_duration_ms: td.silenceDurationMs ?? silenceDefaultMs,
    ...(protocol === 'ga' ? { idle_timeout_ms: td.idleTimeoutMs } : {}),
    create_response: td.createResponse,
    interrupt_response: td.interruptResponse,
  };
}

function transcriptionObject(t: Transcription | null): Json | null {
  return t === null ? null : { model: t.model, ...(t.language ? { language: t.language } : {}), ...(t.prompt !== undefined ? { prompt: t.prompt } : {}) };
}

/** The full effective session object, as `session.created` / `session.updated` carry it. */
export function sessionObject(
  config: SessionConfig,
  ids: { id: string; expiresAt: number },
  protocol: Protocol,
  silenceDefaultMs: number,
): Json {
  const td = turnDetectionObject(config.turnDetection, silenceDefaultMs, protocol);
  if (protocol === 'beta') {
    return {
      id: ids.id,
      object: 'realtime.session',
      model: config.model,
      expires_at: ids.expiresAt,
      modalities: config.output === 'audio' ? ['text', 'audio'] : ['text'],
      instructions: config.instructions,
      voice: config.voice,
      input_audio_format: config.inputFormat,
      output_audio_format: config.outputFormat,
      input_audio_transcription: transcriptionObject(config.transcription),
      input_audio_noise_reduction: config.noiseReduction,
      turn_detection: td,
      tools: config.tools,
      tool_choice: config.toolChoice,
      temperature: config.temperature,
      max_response_output_tokens: config.maxOutputTokens,
      speed: config.speed,
      tracing: config.tracing,
    };
  }
  const input = {
    format: gaAudioFormat(config.inputFormat),
    transcription: transcriptionObject(config.transcription),
    noise_reduction: config.noiseReduction,
    turn_detection: td,
  };
  if (config.kind === 'transcription') {
    return {
      type: 'transcription',
      object: 'realtime.transcription_session',
      id: ids.id,
      expires_at: ids.expiresAt,
      audio: { input },
      include: config.include,
    };
  }
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: ids.id,
    model: config.model,
    output_modalities: [config.output],
    instructions: config.instructions,
    tools: config.tools,
    tool_choice: config.toolChoice,
    max_output_tokens: config.maxOutputTokens,
    tracing: config.tracing,
    truncation: config.truncation,
    prompt: null,
    expires_at: ids.expiresAt,
    audio: {
      input,
      output: { format: gaAudioFormat(config.outputFormat), voice: config.voice, speed: config.speed },
    },
    include: config.include,
  };
}
