import { ElevenLabsClient, ElevenLabsError } from '@elevenlabs/elevenlabs-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { muLawDecode } from '../../src/audio/g711.js';
import { hasFfmpeg } from '../../src/sandbox/elevenlabs/formats.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { FAULT_HEADER } from '../../src/sandbox/types.js';
import { KEY, VOICE, pcmFromBytes, readAll, rms, speechWindows } from './elevenlabs-helpers.js';

let sandbox: Sandbox;
let client: ElevenLabsClient;

beforeAll(async () => {
  sandbox = await startSandbox({ profile: 'instant', apiKey: KEY });
  client = new ElevenLabsClient({ apiKey: KEY, baseUrl: sandbox.elevenlabsBaseURL, maxRetries: 0 });
});
afterAll(async () => {
  await sandbox.close();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'xi-api-key': KEY, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('ElevenLabs REST through the official SDK', () => {
  it('streams PCM speech that Silero hears, longer for longer text', async () => {
    const short = await readAll(
      await client.textToSpeech.stream(VOICE, { text: 'Good morning.', modelId: 'eleven_flash_v2_5', outputFormat: 'pcm_16000' }),
    );
    const long = await readAll(
      await client.textToSpeech.stream(VOICE, {
        text: 'Good morning. Your table for four is booked for Friday at eight, and we will call you if anything changes.',
        modelId: 'eleven_flash_v2_5',
        outputFormat: 'pcm_16000',
      }),
    );
    expect(short.length % 2).toBe(0);
    expect(long.length).toBeGreaterThan(3 * short.length);
    const samples = pcmFromBytes(long);
    expect(rms(samples)).toBeGreaterThan(800);
    // At least a second of the reply is speech to a real VAD.
    expect(await speechWindows(samples, 16000)).toBeGreaterThan(30);
  });

  it('converts to every PCM rate and to mu-law with the same duration', async () => {
    const text = 'The same sentence at every rate.';
    const durations: number[] = [];
    for (const [format, rate] of [['pcm_16000', 16000], ['pcm_22050', 22050], ['pcm_24000', 24000], ['pcm_44100', 44100]] as const) {
      const bytes = await readAll(await client.textToSpeech.convert(VOICE, { text, outputFormat: format }));
      durations.push(bytes.length / 2 / rate);
    }
    const ulaw = await readAll(await client.textToSpeech.convert(VOICE, { text, outputFormat: 'ulaw_8000' }));
    durations.push(ulaw.length / 8000);
    expect(rms(muLawDecode(ulaw))).toBeGreaterThan(800);
    for (const d of durations) expect(Math.abs(d - (durations[0] ?? 0))).toBeLessThan(0.01);
  });

  it('streams with timestamps: NDJSON chunks whose characters spell the text, in seconds', async () => {
    const text = 'Hello there, how are you?';
    const chunks = [];
    for await (const chunk of await client.textToSpeech.streamWithTimestamps(VOICE, { text, outputFormat: 'pcm_22050' })) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    const characters = chunks.flatMap((c) => c.alignment?.characters ?? []);
    expect(characters.join('')).toBe(text);
    const starts = chunks.flatMap((c) => c.alignment?.characterStartTimesSeconds ?? []);
    const ends = chunks.flatMap((c) => c.alignment?.characterEndTimesSeconds ?? []);
    for (let i = 1; i < starts.length; i++) expect(starts[i]).toBeGreaterThanOrEqual(starts[i - 1] ?? 0);
    const audio = Buffer.concat(chunks.map((c) => Buffer.from(c.audioBase64, 'base64')));
    expect(ends.at(-1)).toBeLessThanOrEqual(audio.length / 2 / 22050 + 0.001);
    expect(chunks[0]?.normalizedAlignment).toBeDefined();
  });

  it('speaks in the voice of language_code', async () => {
    const english = await readAll(await client.textToSpeech.convert(VOICE, { text: 'Bonjour Paris', outputFormat: 'pcm_16000' }));
    const french = await readAll(await client.textToSpeech.convert(VOICE, { text: 'Bonjour Paris', outputFormat: 'pcm_16000', languageCode: 'fr' }));
    expect(french.equals(english)).toBe(false);
    expect(rms(pcmFromBytes(french))).toBeGreaterThan(800);
  });

  it('converts with timestamps in one JSON answer', async () => {
    const text = 'One answer.';
    const reply = await client.textToSpeech.convertWithTimestamps(VOICE, { text, outputFormat: 'pcm_16000' });
    expect(reply.alignment?.characters.join('')).toBe(text);
    expect(rms(pcmFromBytes(Buffer.from(reply.audioBase64, 'base64')))).toBeGreaterThan(800);
  });

  it('answers the default mp3 format with mp3 frames when ffmpeg is there, else with a 400 that says so', async () => {
    if (hasFfmpeg()) {
      const mp3 = await readAll(await client.textToSpeech.convert(VOICE, { text: 'Default format.' }));
      expect(mp3.length).toBeGreaterThan(1000);
      // An MPEG audio frame header: 11 sync bits.
      expect(mp3[0]).toBe(0xff);
      expect((mp3[1] ?? 0) & 0xe0).toBe(0xe0);
    } else {
      const error = await client.textToSpeech.convert(VOICE, { text: 'Default format.' }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ElevenLabsError);
      expect((error as ElevenLabsError).statusCode).toBe(400);
    }
  });

  it('rejects a wrong key with 401 and the ElevenLabs body', async () => {
    const wrong = new ElevenLabsClient({ apiKey: 'not-the-key', baseUrl: sandbox.elevenlabsBaseURL, maxRetries: 0 });
    const error = await wrong.textToSpeech.convert(VOICE, { text: 'Hi.', outputFormat: 'pcm_16000' }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ElevenLabsError);
    expect((error as ElevenLabsError).statusCode).toBe(401);
    expect((error as ElevenLabsError).body).toEqual({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } });

    const missing = await fetch(`${sandbox.url}/v1/text-to-speech/${VOICE}/stream?output_format=pcm_16000`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Hi.' }),
    });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { detail: { status: string } }).detail.status).toBe('needs_authorization');
  });
});

describe('ElevenLabs REST bad requests', () => {
  it('answers FastAPI 422s for bad JSON, a missing text and an unknown output format', async () => {
    const badJson = await post(`/v1/text-to-speech/${VOICE}?output_format=pcm_16000`, '{"text": "hi"');
    expect(badJson.status).toBe(422);
    expect(((await badJson.json()) as { detail: Array<{ type: string }> }).detail[0]?.type).toBe('json_invalid');

    const noText = await post(`/v1/text-to-speech/${VOICE}?output_format=pcm_16000`, { model_id: 'eleven_flash_v2_5' });
    expect(noText.status).toBe(422);
    expect(await noText.json()).toMatchObject({ detail: [{ type: 'missing', loc: ['body', 'text'], msg: 'Field required' }] });

    const badFormat = await post(`/v1/text-to-speech/${VOICE}/stream?output_format=wav_16000`, { text: 'hi' });
    expect(badFormat.status).toBe(422);
    expect(await badFormat.json()).toMatchObject({ detail: [{ type: 'enum', loc: ['query', 'output_format'], input: 'wav_16000' }] });
  });

  it('answers {"detail": {status, message}} for empty text, unsupported formats and unknown voices', async () => {
    const empty = await post(`/v1/text-to-speech/${VOICE}?output_format=pcm_16000`, { text: '   ' });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ detail: { status: 'empty_text' } });

    const opus = await post(`/v1/text-to-speech/${VOICE}?output_format=opus_48000_64`, { text: 'hi' });
    expect(opus.status).toBe(400);
    const opusBody = (await opus.json()) as { detail: { status: string; message: string } };
    expect(opusBody.detail.status).toBe('unsupported_output_format');
    expect(opusBody.detail.message).toContain('sandbox');

    const voice = await post(`/v1/text-to-speech/${encodeURIComponent('no such voice!')}?output_format=pcm_16000`, { text: 'hi' });
    expect(voice.status).toBe(404);
    expect(await voice.json()).toMatchObject({ detail: { status: 'voice_not_found' } });

    const get = await fetch(`${sandbox.url}/v1/text-to-speech/${VOICE}/stream`, { headers: { 'xi-api-key': KEY } });
    expect(get.status).toBe(405);
  });
});

describe('ElevenLabs REST faults', () => {
  it('answers status faults with ElevenLabs bodies and retry-after', async () => {
    const limited = await post(`/v1/text-to-speech/${VOICE}/stream?output_format=pcm_16000`, { text: 'hi' }, { [FAULT_HEADER]: 'http_429;retryAfterS=3' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.json()).toMatchObject({ detail: { status: 'too_many_concurrent_requests' } });

    const busy = await post(`/v1/text-to-speech/${VOICE}/stream?output_format=pcm_16000&fault=http_503`, { text: 'hi' });
    expect(busy.status).toBe(503);
    expect(await busy.json()).toMatchObject({ detail: { status: 'service_unavailable' } });

    const broken = await post(`/v1/text-to-speech/${VOICE}?output_format=pcm_16000`, { text: 'hi' }, { [FAULT_HEADER]: 'http_500' });
    expect(broken.status).toBe(500);
  });

  it('resets the connection mid-stream after the given number of chunks', async () => {
    const text = 'This reply is long enough to need several chunks before the connection drops.';
    const whole = await readAll(await client.textToSpeech.stream(VOICE, { text, outputFormat: 'pcm_16000' }));
    const res = await post(`/v1/text-to-speech/${VOICE}/stream?output_format=pcm_16000`, { text }, { [FAULT_HEADER]: 'reset;afterChunks=2' });
    expect(res.status).toBe(200);
    let received = 0;
    const error = await (async () => {
      for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) received += part.length;
    })().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(whole.length);
  });

  it('stalls mid-stream for the given time', async () => {
    const res = await post(`/v1/text-to-speech/${VOICE}/stream?output_format=pcm_16000`, { text: 'A stall in the middle of this reply.' }, { [FAULT_HEADER]: 'stall;stallMs=400;afterChunks=1' });
    const arrivals: number[] = [];
    for await (const _part of res.body as unknown as AsyncIterable<Uint8Array>) arrivals.push(performance.now());
    const gaps = arrivals.slice(1).map((t, i) => t - (arrivals[i] ?? 0));
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(350);
  });

  it('sends a line that is not JSON in a with-timestamps stream', async () => {
    const res = await post(`/v1/text-to-speech/${VOICE}/stream/with-timestamps?output_format=pcm_16000`, { text: 'Malformed line ahead, then the rest.' }, { [FAULT_HEADER]: 'malformed;afterChunks=1' });
    const lines = (await res.text()).split('\n').filter((l) => l !== '');
    const broken = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(broken).toHaveLength(1);
    expect(lines.indexOf(broken[0] ?? '')).toBe(1);
  });

  it('applies scenario fault rules, which the SDK retries as ElevenLabs clients do', async () => {
    sandbox.setScenario({ faults: [{ surface: 'tts', request: 1, fault: { kind: 'http_429', retryAfterS: 0 } }] });
    try {
      const first = await post(`/v1/text-to-speech/${VOICE}?output_format=pcm_16000`, { text: 'Rule one.' });
      expect(first.status).toBe(429);
      const second = await post(`/v1/text-to-speech/${VOICE}?output_format=pcm_16000`, { text: 'Rule one.' });
      expect(second.status).toBe(200);

      sandbox.setScenario({ faults: [{ surface: 'tts', request: 1, fault: { kind: 'http_503' } }] });
      const retrying = new ElevenLabsClient({ apiKey: KEY, baseUrl: sandbox.elevenlabsBaseURL, maxRetries: 1 });
      const audio = await readAll(await retrying.textToSpeech.convert(VOICE, { text: 'After a retry.', outputFormat: 'pcm_16000' }));
      expect(rms(pcmFromBytes(audio))).toBeGreaterThan(800);
    } finally {
      sandbox.setScenario({});
    }
  });
});

describe('ElevenLabs REST pacing', () => {
  it('sends the first byte after firstByteMs and paces audio at speedFactor x real time', async () => {
    const paced = await startSandbox({
      profile: {
        name: 'paced',
        transcribe: { afterUploadMs: 0 },
        chat: { firstTokenMs: 0, tokensPerSecond: 0 },
        tts: { firstByteMs: 300, speedFactor: 4 },
        realtime: { responseStartMs: 0, tokensPerSecond: 0, silenceDurationMs: 200 },
      },
    });
    try {
      const started = performance.now();
      const res = await fetch(`${paced.url}/v1/text-to-speech/${VOICE}/stream?output_format=pcm_16000`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'xi-api-key': KEY },
        body: JSON.stringify({ text: 'Paced audio arrives a little faster than real time.' }),
      });
      const firstByte = performance.now() - started;
      const bytes = await res.arrayBuffer();
      const total = performance.now() - started;
      const audioMs = (bytes.byteLength / 2 / 16000) * 1000;
      expect(firstByte).toBeGreaterThanOrEqual(290);
      // The last chunk starts at most one chunk (250 ms of audio) before the end.
      expect(total).toBeGreaterThanOrEqual(300 + (audioMs - 250) / 4 - 10);
    } finally {
      await paced.close();
    }
  });
});
