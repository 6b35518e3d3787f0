import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resample } from '../../src/audio/resample.js';
import { readWavFile } from '../../src/audio/wav.js';
import { resolveEndpoints, SANDBOX_API_KEY } from '../../src/providers/env.js';
import { encodeAudio } from '../../src/providers/openai-realtime/audio.js';
import { openaiRealtimeSocket } from '../../src/providers/openai-realtime/session.js';
import { sessionUpdate } from '../../src/providers/openai-realtime/wire.js';
import type { OpenAIClientEvent as RealtimeClientEvent, OpenAIServerEvent as RealtimeServerEvent } from '../../src/providers/openai-realtime/events.js';
import type { RealtimeSessionConfig } from '../../src/providers/realtime-types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { FIXTURES } from './support.js';

/**
 * Peer check: the same exchange, once through rxvoice's realtime client and once through the official
 * `openai` SDK's `OpenAIRealtimeWS`, must see the same server events, so the client and the sandbox are
 * not merely agreeing with each other.
 */
const config: RealtimeSessionConfig = {
  instructions: 'Be brief.',
  output: 'text',
  inputFormat: 'pcm16',
  transcription: { model: 'gpt-4o-mini-transcribe' },
  turnDetection: { type: 'none' },
  tools: [],
};

let sandbox: Sandbox;
let clientEvents: RealtimeClientEvent[];

beforeAll(async () => {
  sandbox = await startSandbox({
    profile: 'instant',
    scenario: { utterances: [{ transcript: 'The quick brown fox jumps over the lazy dog.' }], defaultReply: 'That sentence uses every letter of the alphabet.' },
  });
  const wav = await readWavFile(`${FIXTURES}one-sentence.wav`);
  const samples = resample(wav.samples, wav.sampleRate, 24000);
  clientEvents = [];
  for (let i = 0; i < samples.length; i += 2400) {
    clientEvents.push({ type: 'input_audio_buffer.append', audio: encodeAudio(samples.subarray(i, i + 2400), 'pcm16') });
  }
  clientEvents.push({ type: 'input_audio_buffer.commit' }, { type: 'response.create' });
});

afterAll(async () => {
  await sandbox.close();
});

/** `rate_limits.updated` has no fixed position around `response.done` (OpenAI Realtime API reference): wait for both. */
const finished = (seen: readonly RealtimeServerEvent[]): boolean =>
  seen.some((e) => e.type === 'response.done') && seen.some((e) => e.type === 'rate_limits.updated');

/** Sends the exchange after `session.updated`, collects events until `response.done`. */
function viaRxvoice(callId: string): Promise<RealtimeServerEvent[]> {
  const session = openaiRealtimeSocket({ endpoint: resolveEndpoints({}, sandbox.url).openai, callId });
  const connection = session.connect(config);
  const seen: RealtimeServerEvent[] = [];
  return new Promise((resolve, reject) => {
    const sub = connection.events.subscribe({
      next: (event) => {
        seen.push(event);
        if (event.type === 'session.updated') for (const e of clientEvents) connection.send(e);
        if (finished(seen)) {
          sub.unsubscribe();
          resolve(seen);
        }
      },
      error: (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
    });
  });
}

/** The SDK always builds a `wss://` URL; the sandbox speaks plain `ws://`: give `ws` a plain TCP connection. */
const plainTcp = {
  createConnection: ((options: { host?: string; hostname?: string; port?: number | string }) =>
    connect(Number(options.port), options.hostname ?? options.host ?? '127.0.0.1')) as never,
};

function viaOfficialSdk(callId: string): Promise<RealtimeServerEvent[]> {
  const client = new OpenAI({ apiKey: SANDBOX_API_KEY, baseURL: sandbox.openaiBaseURL });
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ...plainTcp, headers: { 'x-rxvoice-call': callId } } }, client);
  const seen: RealtimeServerEvent[] = [];
  return new Promise((resolve, reject) => {
    rt.on('error', (err) => reject(err));
    rt.socket.on('open', () => rt.send(sessionUpdate(config, 'ga') as unknown as Parameters<typeof rt.send>[0]));
    rt.on('event', (event) => {
      seen.push(event as unknown as RealtimeServerEvent);
      if (event.type === 'session.updated') for (const e of clientEvents) rt.send(e as unknown as Parameters<typeof rt.send>[0]);
      if (finished(seen)) {
        rt.close();
        resolve(seen);
      }
    });
  });
}

const types = (events: readonly RealtimeServerEvent[]): string[] => events.map((e) => e.type);
const responseTypes = (events: readonly RealtimeServerEvent[]): string[] => types(events).filter((t) => t.startsWith('response.'));
const pick = (events: readonly RealtimeServerEvent[], type: string, field: string): unknown[] =>
  events.filter((e) => e.type === type).map((e) => e[field]);

describe('peer check: rxvoice client vs the official openai SDK (OpenAIRealtimeWS)', () => {
  it('sees the same server events for the same exchange', async () => {
    const ours = await viaRxvoice('peer-ours');
    const sdk = await viaOfficialSdk('peer-sdk');
    // Same events (transcription may interleave differently with the response: compare as multisets) ...
    expect([...types(ours)].sort()).toEqual([...types(sdk)].sort());
    // ... and the response's own events in the same order.
    expect(responseTypes(ours)).toEqual(responseTypes(sdk));
    expect(types(ours)[0]).toBe('session.created');
    // The session the SDK configured with our payload is the one we asked for.
    const updated = sdk.find((e) => e.type === 'session.updated')?.session as { audio?: { input?: { turn_detection?: unknown } }; instructions?: string };
    expect(updated.instructions).toBe('Be brief.');
    expect(updated.audio?.input?.turn_detection).toBeNull();
    // Same content.
    for (const [type, field] of [
      ['conversation.item.input_audio_transcription.completed', 'transcript'],
      ['response.output_text.delta', 'delta'],
      ['response.output_text.done', 'text'],
    ] as const) {
      expect(pick(ours, type, field)).toEqual(pick(sdk, type, field));
    }
    expect(pick(ours, 'response.output_text.done', 'text')).toEqual(['That sentence uses every letter of the alphabet.']);
  });
});
