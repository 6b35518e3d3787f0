import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { KEY, VOICE, type WsAlignmentWire, alignedText, audioOf, openWs, pcmFromBytes, rms, speechWindows } from './elevenlabs-helpers.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant', apiKey: KEY });
});
afterAll(async () => {
  await sandbox.close();
});

function url(query = 'model_id=eleven_flash_v2_5&output_format=pcm_16000', path = 'stream-input', voice = VOICE): string {
  return `${sandbox.wsURL}/v1/text-to-speech/${voice}/${path}?${query}`;
}

const INIT = { text: ' ', voice_settings: { stability: 0.5, similarity_boost: 0.8, speed: 1 }, generation_config: { chunk_length_schedule: [120, 160, 250, 290] } };

function send(ws: WebSocket, message: unknown): void {
  ws.send(JSON.stringify(message));
}

/** Resolves with the first message matching `test` (or rejects when the socket closes first). */
function waitFor(ws: WebSocket, test: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      if (test(message)) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', () => reject(new Error('closed before the message came')));
  });
}

describe('ElevenLabs stream-input WebSocket', () => {
  it('turns text chunks into audio with alignment, then isFinal and a normal close', async () => {
    const { ws, transcript } = await openWs(url());
    send(ws, INIT);
    const pieces = ['Hello there. ', 'Your order ', 'is on its way ', 'and should arrive tomorrow morning. '];
    for (const text of pieces) send(ws, { text, try_trigger_generation: false });
    send(ws, { text: '' });
    const { messages, close } = await transcript;
    expect(close.code).toBe(1000);
    const audio = messages.filter((m) => typeof m.audio === 'string');
    expect(audio.length).toBeGreaterThan(2);
    for (const m of audio) expect(m.isFinal).toBeNull();
    expect(messages.at(-1)).toEqual({ isFinal: true });
    expect(alignedText(messages)).toBe(pieces.join(''));
    const samples = pcmFromBytes(audioOf(messages));
    expect(samples.length / 16000).toBeGreaterThan(2);
    expect(await speechWindows(samples, 16000)).toBeGreaterThan(30);
  });

  it('gives each audio message alignment relative to its own audio', async () => {
    const { ws, transcript } = await openWs(url('output_format=pcm_24000'));
    send(ws, INIT);
    send(ws, { text: 'Alignment is measured from the start of every chunk of audio. ', flush: true });
    send(ws, { text: '' });
    const { messages } = await transcript;
    const audio = messages.filter((m) => typeof m.audio === 'string');
    for (const m of audio) {
      const alignment = m.alignment as WsAlignmentWire | null;
      expect(m.normalizedAlignment).toEqual(alignment);
      if (!alignment) continue;
      const chunkMs = (Buffer.from(m.audio as string, 'base64').length / 2 / 24000) * 1000;
      expect(alignment.chars).toHaveLength(alignment.charStartTimesMs.length);
      expect(alignment.chars).toHaveLength(alignment.charDurationsMs.length);
      for (const start of alignment.charStartTimesMs) {
        expect(start).toBeGreaterThanOrEqual(0);
        expect(start).toBeLessThanOrEqual(chunkMs + 1);
      }
    }
  });

  it('buffers text until the chunk length schedule is reached, or a flush', async () => {
    const { ws, transcript } = await openWs(url());
    send(ws, { ...INIT, generation_config: { chunk_length_schedule: [50] } });
    let spoken = '';
    ws.on('message', (data: Buffer) => {
      const alignment = (JSON.parse(data.toString('utf8')) as { alignment?: WsAlignmentWire | null }).alignment;
      spoken += alignment?.chars.join('') ?? '';
    });
    const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    send(ws, { text: 'Short text. ' });
    await pause(400);
    expect(spoken).toBe('');
    // Crossing 50 characters triggers a generation without a flush.
    send(ws, { text: 'Now the buffer holds more than fifty characters in all. ' });
    while (!spoken.endsWith('all. ')) await pause(20);
    // Below the (repeated) last size of the schedule: nothing until the flush.
    send(ws, { text: 'Tail. ' });
    await pause(400);
    expect(spoken).toBe('Short text. Now the buffer holds more than fifty characters in all. ');
    send(ws, { text: '', flush: true });
    send(ws, { text: 'Bye. ', flush: true });
    send(ws, { text: '' });
    const { messages, close } = await transcript;
    expect(close.code).toBe(1000);
    expect(alignedText(messages)).toBe('Short text. Now the buffer holds more than fifty characters in all. Tail. Bye. ');
  });

  it('generates at every sentence end with auto_mode, without a flush', async () => {
    const { ws, transcript } = await openWs(url('output_format=pcm_16000&auto_mode=true'));
    send(ws, INIT);
    send(ws, { text: 'One short sentence. ' });
    const first = await waitFor(ws, (m) => typeof m.audio === 'string' && m.alignment !== null);
    expect((first.alignment as WsAlignmentWire).chars.join('')).toMatch(/^One/);
    send(ws, { text: '' });
    const { messages, close } = await transcript;
    expect(close.code).toBe(1000);
    expect(alignedText([first, ...messages])).toContain('One short sentence.');
  });

  it('accepts the key in the first message (xi_api_key and xi-api-key)', async () => {
    for (const field of ['xi_api_key', 'xi-api-key']) {
      const { ws, transcript } = await openWs(url(), {});
      send(ws, { ...INIT, [field]: KEY });
      send(ws, { text: 'Key in the message. ', flush: true });
      send(ws, { text: '' });
      const { messages, close } = await transcript;
      expect(close.code).toBe(1000);
      expect(audioOf(messages).length).toBeGreaterThan(0);
    }
  });

  it('refuses a wrong or missing key with an error message and close 1008', async () => {
    const rejected = await (await openWs(url(), { 'xi-api-key': 'wrong-key' })).transcript;
    expect(rejected.close.code).toBe(1008);
    expect(rejected.close.reason).toBe('Invalid API key');
    expect(rejected.messages[0]).toMatchObject({ error: 'invalid_api_key', code: 1008 });

    const { ws: noKey, transcript } = await openWs(url(), {});
    send(noKey, INIT);
    const missing = await transcript;
    expect(missing.close.code).toBe(1008);
    expect(missing.messages[0]).toMatchObject({ error: 'needs_authorization' });
    expect(missing.messages.some((m) => typeof m.audio === 'string')).toBe(false);
  });

  it('closes with 1008 after the inactivity timeout, with the reason cut to 123 bytes', async () => {
    const { ws, transcript } = await openWs(url('output_format=pcm_16000&inactivity_timeout=0.3'));
    send(ws, INIT);
    const { messages, close } = await transcript;
    expect(close.code).toBe(1008);
    expect(close.reason.startsWith('Have not received a new text input within the timeout of 0.3 seconds')).toBe(true);
    expect(Buffer.byteLength(close.reason)).toBeLessThanOrEqual(123);
    expect(messages[0]).toMatchObject({ error: 'input_timeout_exceeded', code: 1008 });
    expect(String(messages[0]?.message)).toContain('send the end of input text (empty string "") when done.');
  });

  it('closes with 1008 on a message that is not JSON, and on changed voice settings', async () => {
    const { ws, transcript } = await openWs(url());
    send(ws, INIT);
    ws.send('{"text": "no closing brace"');
    const bad = await transcript;
    expect(bad.close.code).toBe(1008);
    expect(bad.messages[0]).toMatchObject({ error: 'invalid_input_message' });

    const { ws: other, transcript: second } = await openWs(url());
    send(other, INIT);
    send(other, { text: 'Hello. ', voice_settings: { stability: 0.9, similarity_boost: 0.8, speed: 1 } });
    const changed = await second;
    expect(changed.close.code).toBe(1008);
    expect(changed.close.reason).toContain('voice_settings field must be provided in the first message');
  });

  it('refuses an unknown output format and an unknown voice over the socket', async () => {
    const format = await (await openWs(url('output_format=flac_16000'))).transcript;
    expect(format.close.code).toBe(1008);
    const voice = await (await openWs(url('output_format=pcm_16000', 'stream-input', 'no%20such%20voice'))).transcript;
    expect(voice.close.code).toBe(1008);
    expect(voice.close.reason).toContain('was not found');
  });
});

describe('ElevenLabs stream-input faults', () => {
  const LONG = 'This reply is long enough to be cut into several audio messages before anything goes wrong with it. ';

  it('closes with 1011 mid-response (ws_close)', async () => {
    const { ws, transcript } = await openWs(url('output_format=pcm_16000&fault=ws_close;afterChunks=2'));
    send(ws, INIT);
    send(ws, { text: LONG, flush: true });
    const { messages, close } = await transcript;
    expect(close.code).toBe(1011);
    expect(messages.filter((m) => typeof m.audio === 'string')).toHaveLength(2);
    expect(messages.some((m) => m.isFinal === true)).toBe(false);
  });

  it('drops the connection mid-response (reset)', async () => {
    const { ws, transcript } = await openWs(url('output_format=pcm_16000&fault=reset;afterChunks=1'));
    send(ws, INIT);
    send(ws, { text: LONG, flush: true });
    const { messages, close } = await transcript;
    expect(close.code).toBe(1006);
    expect(messages.filter((m) => typeof m.audio === 'string')).toHaveLength(1);
  });

  it('sends a message that is not JSON (malformed), then carries on', async () => {
    const { ws, transcript } = await openWs(url('output_format=pcm_16000&fault=malformed;afterChunks=1'));
    send(ws, INIT);
    send(ws, { text: LONG, flush: true });
    send(ws, { text: '' });
    const { raw, messages, close } = await transcript;
    expect(raw.length - messages.length).toBe(1);
    expect(close.code).toBe(1000);
    expect(messages.at(-1)).toEqual({ isFinal: true });
  });

  it('refuses the handshake with the HTTP status of a status fault', async () => {
    const error = await openWs(url('output_format=pcm_16000&fault=http_429;retryAfterS=2')).then(
      () => undefined,
      (e: unknown) => e as { status?: number },
    );
    expect(error?.status).toBe(429);
  });
});

describe('ElevenLabs multi-stream-input WebSocket', () => {
  it('keeps contexts apart, closes one on barge-in with isFinal, and ends on close_socket', async () => {
    const { ws, transcript } = await openWs(url('output_format=pcm_16000', 'multi-stream-input'));
    send(ws, { ...INIT, context_id: 'turn_1' });
    send(ws, { text: 'The first turn talks for quite a long while about nothing in particular at all. ', context_id: 'turn_1', flush: true });
    await waitFor(ws, (m) => m.contextId === 'turn_1' && typeof m.audio === 'string');
    send(ws, { context_id: 'turn_1', close_context: true });
    await waitFor(ws, (m) => m.contextId === 'turn_1' && m.isFinal === true);
    send(ws, { text: 'Second turn. ', context_id: 'turn_2' });
    send(ws, { context_id: 'turn_2', flush: true });
    send(ws, { close_socket: true });
    const { messages, close } = await transcript;
    expect(close.code).toBe(1000);
    const finalOne = messages.findIndex((m) => m.contextId === 'turn_1' && m.isFinal === true);
    expect(messages.slice(finalOne + 1).some((m) => m.contextId === 'turn_1' && typeof m.audio === 'string')).toBe(false);
    const second = messages.filter((m) => m.contextId === 'turn_2');
    expect(alignedText(second)).toBe('Second turn. ');
    expect(second.at(-1)).toEqual({ isFinal: true, contextId: 'turn_2' });
    expect(rms(pcmFromBytes(audioOf(second)))).toBeGreaterThan(800);
  });

  it('times out an idle context with an error naming it, and the socket once no context is left', async () => {
    const { ws, transcript } = await openWs(url('output_format=pcm_16000&inactivity_timeout=0.3', 'multi-stream-input'));
    send(ws, { ...INIT, context_id: 'idle' });
    const { messages, close } = await transcript;
    expect(messages[0]).toMatchObject({ error: 'input_timeout_exceeded', contextId: 'idle' });
    expect(close.code).toBe(1008);
  });
});
