/**
 * The neutral text-to-speech options (format, voice style, no model in the request) as ElevenLabs gets
 * them: the mapping functions, and what goes on the wire over REST and stream-input.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lastValueFrom, of, toArray } from 'rxjs';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MULAW_8K } from '../../src/audio/format.js';
import { RxVoiceError } from '../../src/errors.js';
import {
  createElevenLabsSynthesizer,
  DEFAULT_ELEVENLABS_MODEL,
  DEFAULT_ELEVENLABS_VOICE,
  elevenLabsOutputFormat,
  elevenLabsVoiceSettings,
} from '../../src/providers/elevenlabs/index.js';

describe('ElevenLabs mapping of the neutral options', () => {
  it('names every PCM16 rate and mu-law 8 kHz as ElevenLabs does', () => {
    for (const rate of [8000, 16000, 22050, 24000, 44100, 48000] as const) expect(elevenLabsOutputFormat({ encoding: 'pcm16', sampleRate: rate })).toBe(`pcm_${rate}`);
    expect(elevenLabsOutputFormat(MULAW_8K)).toBe('ulaw_8000');
  });

  it('refuses a format ElevenLabs cannot send, naming it', () => {
    expect(() => elevenLabsOutputFormat({ encoding: 'mulaw', sampleRate: 16000 })).toThrow(/mulaw@16000/);
  });

  it('maps the voice style to voice_settings names, adds speaker boost, and sends nothing for nothing', () => {
    expect(elevenLabsVoiceSettings({ speed: 1.1, stability: 0.4, similarity: 0.8, expressiveness: 0.2 }, true)).toEqual({
      speed: 1.1,
      stability: 0.4,
      similarityBoost: 0.8,
      style: 0.2,
      useSpeakerBoost: true,
    });
    expect(elevenLabsVoiceSettings({ speed: 0.9 }, undefined)).toEqual({ speed: 0.9 });
    expect(elevenLabsVoiceSettings(undefined, undefined)).toBeUndefined();
    expect(elevenLabsVoiceSettings({}, undefined)).toBeUndefined();
  });

  it('an unsupported format fails the subscription, not the caller', async () => {
    const synth = createElevenLabsSynthesizer({ endpoint: { baseURL: 'http://127.0.0.1:9', apiKey: 'k' } });
    const result = synth.synthesize({ text: 'Hi.', outputFormat: { encoding: 'mulaw', sampleRate: 16000 } });
    const error = await lastValueFrom(result).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RxVoiceError);
    expect((error as RxVoiceError).stage).toBe('tts');
  });

  it('names itself with its model, so the audio is priced as that model', () => {
    expect(createElevenLabsSynthesizer({ endpoint: { baseURL: 'http://x', apiKey: 'k' } }).name).toBe(`elevenlabs:${DEFAULT_ELEVENLABS_MODEL}`);
    expect(createElevenLabsSynthesizer({ endpoint: { baseURL: 'http://x', apiKey: 'k' }, model: 'eleven_turbo_v2_5' }).name).toBe('elevenlabs:eleven_turbo_v2_5');
  });
});

describe('what ElevenLabs receives', () => {
  let server: Server;
  let wss: WebSocketServer;
  const rest: { url: string; body: Record<string, unknown> }[] = [];
  const sockets: { url: string; first: Record<string, unknown> }[] = [];
  let base = '';

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        rest.push({ url: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        res.writeHead(200, { 'content-type': 'audio/pcm' });
        res.end(Buffer.alloc(320));
      });
    });
    wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.once('message', (data) => {
          sockets.push({ url: req.url ?? '', first: JSON.parse(data.toString()) as Record<string, unknown> });
          ws.send(JSON.stringify({ audio: Buffer.alloc(320).toString('base64') }));
          ws.send(JSON.stringify({ isFinal: true }));
        });
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    wss.close();
    await new Promise((r) => server.close(r));
  });

  it('REST: the default voice and model, the mapped format and voice_settings', async () => {
    const synth = createElevenLabsSynthesizer({ endpoint: { baseURL: base, apiKey: 'k' }, timestamps: false, speakerBoost: false });
    const chunks = await lastValueFrom(
      synth.synthesize({ text: 'Hello.', outputFormat: { encoding: 'pcm16', sampleRate: 24000 }, voiceStyle: { similarity: 0.7, expressiveness: 0.1 } }).pipe(toArray()),
    );
    expect(chunks[0]!.sampleRate).toBe(24000);
    const sent = rest.at(-1)!;
    expect(sent.url).toContain(`/v1/text-to-speech/${DEFAULT_ELEVENLABS_VOICE}/stream`);
    expect(new URL(sent.url, base).searchParams.get('output_format')).toBe('pcm_24000');
    expect(sent.body).toMatchObject({ model_id: DEFAULT_ELEVENLABS_MODEL, voice_settings: { similarity_boost: 0.7, style: 0.1, use_speaker_boost: false } });
  });

  it('stream-input: the request voice, the synthesizer model, mu-law, voice_settings in the first message', async () => {
    const synth = createElevenLabsSynthesizer({ endpoint: { baseURL: base, apiKey: 'k' }, model: 'eleven_turbo_v2_5' });
    const chunks = await lastValueFrom(synth.synthesize({ text: of('Hi there.'), voiceId: 'voice-9', outputFormat: MULAW_8K, voiceStyle: { speed: 1.2, stability: 0.5 } }).pipe(toArray()));
    expect(chunks[0]!.sampleRate).toBe(8000);
    const sent = sockets.at(-1)!;
    const url = new URL(sent.url, base);
    expect(url.pathname).toBe('/v1/text-to-speech/voice-9/stream-input');
    expect(url.searchParams.get('model_id')).toBe('eleven_turbo_v2_5');
    expect(url.searchParams.get('output_format')).toBe('ulaw_8000');
    expect(sent.first).toEqual({ text: ' ', voice_settings: { speed: 1.2, stability: 0.5 } });
  });
});
