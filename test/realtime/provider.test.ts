import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RxVoiceError } from '../../src/errors.js';
import type { OpenAIEndpoint } from '../../src/providers/env.js';
import { AudioDeltaDecoder, encodeAudio } from '../../src/providers/openai-realtime/audio.js';
import { openaiRealtimeSocket } from '../../src/providers/openai-realtime/session.js';
import { clientEventWire, normalizeServerEvent, realtimeTarget, sessionUpdate } from '../../src/providers/openai-realtime/wire.js';
import type { OpenAIServerEvent as RealtimeServerEvent } from '../../src/providers/openai-realtime/events.js';
import type { RealtimeSessionConfig } from '../../src/providers/realtime-types.js';

const openai: OpenAIEndpoint = { kind: 'openai', baseURL: 'https://api.openai.com/v1', apiKey: 'sk-test-abcdef123456', sandbox: false };
const azure: OpenAIEndpoint = {
  kind: 'azure',
  endpoint: 'https://my-res.openai.azure.com/',
  apiKey: 'azure-key-abcdef',
  deployments: { chat: 'c', transcribe: 'my-transcribe', realtime: 'my-realtime' },
  apiVersion: '2025-04-01-preview',
  sandbox: false,
};

const config: RealtimeSessionConfig = {
  instructions: 'Be brief.',
  output: 'audio',
  inputFormat: 'g711_ulaw',
  voice: 'marin',
  transcription: { model: 'gpt-4o-mini-transcribe', language: 'fr' },
  turnDetection: { type: 'server_vad', silenceDurationMs: 400, interruptResponse: false },
  tools: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object' } }],
};

describe('realtime wire: URL forms, auth headers, session.update dialects', () => {
  it('OpenAI GA: wss /v1/realtime?model= with a bearer key and no beta header', () => {
    const t = realtimeTarget(openai);
    expect(t.url).toBe('wss://api.openai.com/v1/realtime?model=gpt-realtime');
    expect(t.headers).toEqual({ Authorization: 'Bearer sk-test-abcdef123456' });
    expect(t.dialect).toBe('ga');
    expect(realtimeTarget(openai, { protocol: 'beta', model: 'gpt-4o-realtime-preview' }).headers['OpenAI-Beta']).toBe('realtime=v1');
    expect(realtimeTarget({ ...openai, baseURL: 'http://127.0.0.1:9/v1/' }).url).toBe('ws://127.0.0.1:9/v1/realtime?model=gpt-realtime');
  });

  it('Azure GA: /openai/v1/realtime?model=<deployment> with api-key, and never api-version', () => {
    const t = realtimeTarget(azure);
    expect(t.url).toBe('wss://my-res.openai.azure.com/openai/v1/realtime?model=my-realtime');
    expect(t.headers).toEqual({ 'api-key': 'azure-key-abcdef' });
  });

  it('Azure preview only when asked: /openai/realtime?api-version=&deployment=, beta dialect', () => {
    const t = realtimeTarget(azure, { protocol: 'beta', azureApiVersion: '2024-10-01-preview' });
    expect(t.url).toBe('wss://my-res.openai.azure.com/openai/realtime?api-version=2024-10-01-preview&deployment=my-realtime');
    expect(t.dialect).toBe('beta');
  });

  it('writes the GA session (type, output_modalities, audio.input/output, turn detection, tools)', () => {
    expect(sessionUpdate(config, 'ga')).toEqual({
      type: 'session.update',
      session: {
        type: 'realtime',
        output_modalities: ['audio'],
        audio: {
          input: {
            format: { type: 'audio/pcmu' },
            transcription: { model: 'gpt-4o-mini-transcribe', language: 'fr' },
            turn_detection: { type: 'server_vad', silence_duration_ms: 400, create_response: true, interrupt_response: false },
          },
          output: { format: { type: 'audio/pcmu' }, voice: 'marin' },
        },
        instructions: 'Be brief.',
        tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object' } }],
        tool_choice: 'auto',
      },
    });
    const local = sessionUpdate({ ...config, output: 'text', inputFormat: 'pcm16', turnDetection: { type: 'none' } }, 'ga') as { session: { audio: { input: Record<string, unknown> }; output_modalities: string[] } };
    expect(local.session.audio.input.turn_detection).toBeNull();
    expect(local.session.audio.input.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(local.session.output_modalities).toEqual(['text']);
  });

  it('writes the beta session flat, and semantic VAD with eagerness', () => {
    const beta = sessionUpdate({ ...config, turnDetection: { type: 'semantic_vad', eagerness: 'low' } }, 'beta') as { session: Record<string, unknown> };
    expect(beta.session).toMatchObject({
      modalities: ['text', 'audio'],
      input_audio_format: 'g711_ulaw',
      output_audio_format: 'g711_ulaw',
      input_audio_transcription: { model: 'gpt-4o-mini-transcribe', language: 'fr' },
      turn_detection: { type: 'semantic_vad', eagerness: 'low', create_response: true, interrupt_response: true },
      voice: 'marin',
      instructions: 'Be brief.',
    });
    expect(beta.session.type).toBeUndefined();
  });

  it('renames beta events to GA names and writes assistant history in the beta spelling', () => {
    expect(normalizeServerEvent({ type: 'response.audio_transcript.delta', delta: 'x' })).toEqual({ type: 'response.output_audio_transcript.delta', delta: 'x' });
    expect(normalizeServerEvent({ type: 'response.text.done', text: 'x' }).type).toBe('response.output_text.done');
    expect(normalizeServerEvent({ type: 'conversation.item.created' }).type).toBe('conversation.item.added');
    expect(normalizeServerEvent({ type: 'response.output_text.delta' }).type).toBe('response.output_text.delta');
    const item = { type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] } } as const;
    expect(clientEventWire(item, 'beta')).toEqual({ type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'hi' }] } });
    expect(clientEventWire(item, 'ga')).toBe(item);
  });

  it('encodes input audio and decodes output deltas, carrying an odd byte across deltas', () => {
    const samples = Int16Array.from([0, 1000, -1000, 32767]);
    expect(Buffer.from(encodeAudio(samples, 'pcm16'), 'base64')).toEqual(Buffer.from(samples.buffer));
    expect(Buffer.from(encodeAudio(samples, 'g711_ulaw'), 'base64')).toHaveLength(4);
    const bytes = Buffer.from(Int16Array.from([1, -2, 300]).buffer);
    const decoder = new AudioDeltaDecoder('pcm16');
    const a = decoder.decode(bytes.subarray(0, 3).toString('base64'));
    const b = decoder.decode(bytes.subarray(3).toString('base64'));
    expect([...a, ...b]).toEqual([1, -2, 300]);
  });
});

// ---- the socket, against a scripted local server ----

let server: Server | undefined;
let wss: WebSocketServer | undefined;

afterEach(async () => {
  for (const c of wss?.clients ?? []) c.terminate();
  wss?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  wss = undefined;
});

interface Scripted {
  endpoint: OpenAIEndpoint;
  requests: IncomingMessage[];
  received: Record<string, unknown>[];
  sockets: WebSocket[];
}

/** A local server: `onUpgrade` may refuse with a status; `onMessage` scripts the session. */
async function scriptedServer(
  onMessage: (msg: Record<string, unknown>, ws: WebSocket) => void,
  refuse?: { status: number; body: string },
): Promise<Scripted> {
  const requests: IncomingMessage[] = [];
  const received: Record<string, unknown>[] = [];
  const sockets: WebSocket[] = [];
  wss = new WebSocketServer({ noServer: true });
  server = createServer();
  server.on('upgrade', (req, socket, head) => {
    requests.push(req);
    if (refuse) {
      socket.end(`HTTP/1.1 ${refuse.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(refuse.body)}\r\n\r\n${refuse.body}`);
      return;
    }
    wss!.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.send(JSON.stringify({ type: 'session.created', session: { id: 'sess_1' } }));
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as Record<string, unknown>;
        received.push(msg);
        onMessage(msg, ws);
      });
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return { endpoint: { kind: 'openai', baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-local-test-key-42', sandbox: true }, requests, received, sockets };
}

function run(endpoint: OpenAIEndpoint, extra: { callId?: string; keepAliveMs?: number } = {}) {
  const connection = openaiRealtimeSocket({ endpoint, ...extra }).connect({ output: 'text', inputFormat: 'pcm16', turnDetection: { type: 'none' } });
  const events: RealtimeServerEvent[] = [];
  const ended = new Promise<{ error?: RxVoiceError }>((resolve) => {
    connection.events.subscribe({ next: (e) => events.push(e), error: (error: RxVoiceError) => resolve({ error }), complete: () => resolve({}) });
  });
  return { connection, events, ended };
}

describe('realtime provider socket', () => {
  it('sends session.update first, then what was queued before the socket opened; closes with 1000', async () => {
    let closeCode = 0;
    const s = await scriptedServer((msg, ws) => {
      if (msg.type === 'session.update') ws.send(JSON.stringify({ type: 'session.updated', session: {} }));
      if (msg.type === 'response.create') {
        ws.on('close', (code) => (closeCode = code));
        ws.send(JSON.stringify({ type: 'response.text.delta', delta: 'beta name' }));
      }
    });
    const { connection, events, ended } = run(s.endpoint, { callId: 'call-7' });
    connection.send({ type: 'input_audio_buffer.commit' });
    connection.send({ type: 'response.create' });
    await new Promise((r) => setTimeout(r, 200));
    connection.close();
    expect(await ended).toEqual({});
    expect(s.received.map((m) => m.type)).toEqual(['session.update', 'input_audio_buffer.commit', 'response.create']);
    expect(s.requests[0]!.headers.authorization).toBe('Bearer sk-local-test-key-42');
    expect(s.requests[0]!.headers['x-rxvoice-call']).toBe('call-7');
    expect(s.requests[0]!.url).toBe('/v1/realtime?model=gpt-realtime');
    expect(events.map((e) => e.type)).toEqual(['session.created', 'session.updated', 'response.output_text.delta']);
    await new Promise((r) => setTimeout(r, 50));
    expect(closeCode).toBe(1000);
    expect(connection.send({ type: 'response.create' })).toBe(false);
  });

  it('a 401 at the upgrade is an auth error without the key in it', async () => {
    const s = await scriptedServer(() => undefined, { status: 401, body: JSON.stringify({ error: { message: 'Incorrect API key provided: sk-local-test-key-42.', code: 'invalid_api_key' } }) });
    const { ended } = run(s.endpoint);
    const { error } = await ended;
    expect(error).toMatchObject({ code: 'auth', stage: 'realtime', status: 401, retryable: false });
    expect(error!.message).toContain('Incorrect API key provided');
    expect(error!.message).not.toContain('sk-local-test-key-42');
  });

  it('a close 3000 after the upgrade with no error event (OpenAI bad key) is an auth error, not retryable', async () => {
    const s = await scriptedServer((msg, ws) => {
      if (msg.type === 'session.update') ws.close(3000, 'invalid_request_error.invalid_api_key');
    });
    const { error } = await run(s.endpoint).ended;
    expect(error).toMatchObject({ code: 'auth', stage: 'realtime', retryable: false });
  });

  it('a 503 at the upgrade is a retryable provider error', async () => {
    const s = await scriptedServer(() => undefined, { status: 503, body: '{"error":{"message":"overloaded"}}' });
    const { error } = await run(s.endpoint).ended;
    expect(error).toMatchObject({ code: 'provider_error', status: 503, retryable: true });
  });

  it('an invalid_api_key error event after the upgrade is an auth error', async () => {
    const s = await scriptedServer((msg, ws) => {
      if (msg.type === 'session.update') ws.send(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key' } }));
    });
    const { error } = await run(s.endpoint).ended;
    expect(error).toMatchObject({ code: 'auth', retryable: false });
  });

  it('session_expired then close 1001 is a retryable session_expired error; 1011 is a retryable connection error', async () => {
    const s = await scriptedServer((msg, ws) => {
      if (msg.type !== 'session.update') return;
      ws.send(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', code: 'session_expired', message: 'Your session hit the maximum duration of 60 minutes.' } }));
      ws.close(1001, 'Your session hit the maximum duration of 60 minutes.');
    });
    const first = run(s.endpoint);
    expect((await first.ended).error).toMatchObject({ code: 'session_expired', retryable: true });
    // The session_expired error event itself is not passed on (the close reports it).
    expect(first.events.map((e) => e.type)).toEqual(['session.created']);

    const t = await (async () => {
      for (const c of wss!.clients) c.terminate();
      wss!.close();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      return scriptedServer((msg, ws) => {
        if (msg.type === 'session.update') ws.close(1011, 'server error');
      });
    })();
    expect((await run(t.endpoint).ended).error).toMatchObject({ code: 'connection', retryable: true });
  });

  it('a message that is not JSON becomes a protocol notice and the session goes on', async () => {
    const s = await scriptedServer((msg, ws) => {
      if (msg.type !== 'session.update') return;
      ws.send('{not json');
      ws.send(JSON.stringify({ type: 'session.updated', session: {} }));
    });
    const { connection, events } = run(s.endpoint);
    await new Promise((r) => setTimeout(r, 200));
    expect(events.map((e) => e.type)).toEqual(['session.created', 'client.protocol_error', 'session.updated']);
    connection.close();
  });

  it('keeps the socket alive with pings, and drops a socket whose pongs stop', async () => {
    const s = await scriptedServer(() => undefined);
    let pings = 0;
    const { connection, ended } = run(s.endpoint, { keepAliveMs: 30 });
    await new Promise((r) => setTimeout(r, 50));
    s.sockets[0]!.on('ping', () => pings++);
    await new Promise((r) => setTimeout(r, 150));
    expect(pings).toBeGreaterThanOrEqual(2);
    connection.close();
    await ended;
    // A server that stops answering pings: pause its socket so no pong comes back.
    const silent = run(s.endpoint, { keepAliveMs: 30 });
    await new Promise((r) => setTimeout(r, 50));
    (s.sockets[1] as unknown as { _socket: { pause(): void } })._socket.pause();
    expect((await silent.ended).error).toMatchObject({ code: 'connection', retryable: true });
  });
});
