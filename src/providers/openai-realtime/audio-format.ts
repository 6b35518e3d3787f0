/**
 * The realtime API's audio formats, the one copy the client and the sandbox (src/sandbox/realtime) share.
 * Beta names them by string (`input_audio_format: "pcm16" | "g711_ulaw" | "g711_alaw"`); GA by object
 * (`audio.input.format: {type: "audio/pcm", rate: 24000} | {type: "audio/pcmu"} | {type: "audio/pcma"}`).
 * Source: openai-node resources/realtime/realtime.ts (RealtimeAudioFormats: AudioPCM, AudioPCMU, AudioPCMA)
 * and resources/beta/realtime/realtime.ts (`input_audio_format`).
 */

/** A format by its beta name: PCM16 24 kHz mono little-endian, or G.711 mu-law / A-law at 8 kHz. */
export type RealtimeWireFormat = 'pcm16' | 'g711_ulaw' | 'g711_alaw';

/** A format as GA's `audio.{input,output}.format` carries it. */
export type GaAudioFormat = { readonly type: 'audio/pcm'; readonly rate: 24000 } | { readonly type: 'audio/pcmu' } | { readonly type: 'audio/pcma' };

const GA: Readonly<Record<RealtimeWireFormat, GaAudioFormat>> = {
  pcm16: { type: 'audio/pcm', rate: 24000 },
  g711_ulaw: { type: 'audio/pcmu' },
  g711_alaw: { type: 'audio/pcma' },
};

export const REALTIME_WIRE_FORMATS: readonly RealtimeWireFormat[] = ['pcm16', 'g711_ulaw', 'g711_alaw'];

export function isRealtimeWireFormat(value: unknown): value is RealtimeWireFormat {
  return typeof value === 'string' && (REALTIME_WIRE_FORMATS as readonly string[]).includes(value);
}

/** The GA object for a format (a fresh copy: callers put it in JSON they may change). */
export function gaAudioFormat(format: RealtimeWireFormat): GaAudioFormat {
  return { ...GA[format] };
}

/** The format a GA object names (`rate` unchecked), or undefined for an unknown `type`. */
export function fromGaAudioFormat(value: unknown): RealtimeWireFormat | undefined {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  return REALTIME_WIRE_FORMATS.find((format) => GA[format].type === type);
}

/** Samples per second on the wire: 24 kHz for PCM16, 8 kHz for G.711. */
export function wireFormatSampleRate(format: RealtimeWireFormat): 24000 | 8000 {
  return format === 'pcm16' ? 24000 : 8000;
}
