import { readWavFile } from '../../../src/audio/wav.js';
import { fixturesDir } from '../../../src/testing/fixtures.js';
import type { PipelineName, RunningServer } from '../../../src/server/types.js';
import { pcmBytes, sendAudio, TestClient } from './client.js';
import { toneBursts } from './fake-pipeline.js';

/**
 * The steps of a test call on `/v1/stream`, one helper each, so every test that places a call composes
 * the same ones: open and start, speak a fixture, wait for the reply, hang up.
 */

export const ONE_SENTENCE = 'one-sentence.wav';

/** The `/v1/stream` URL of a running server. */
export function streamUrl(server: RunningServer): string {
  return `${server.url.replace('http', 'ws')}/v1/stream`;
}

/** Opens a call and starts it (16 kHz PCM16); resolves once the server said `started`. */
export async function startCall(
  url: string,
  { pipeline, headers = {} }: { pipeline?: PipelineName; headers?: Record<string, string> } = {},
): Promise<{ client: TestClient; started: Record<string, unknown> }> {
  const client = await TestClient.open(url, { headers });
  client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, ...(pipeline ? { pipeline } : {}) });
  const started = await client.waitFor((m) => m.type === 'started');
  return { client, started };
}

/** Sends a 16 kHz fixture WAV (a name under fixtures/, or a path) in 20 ms messages, `paceMs` apart. */
export async function speakFixture(client: TestClient, wav = ONE_SENTENCE, paceMs = 10): Promise<void> {
  const path = wav.includes('/') ? wav : `${fixturesDir()}/${wav}`;
  const audio = await readWavFile(path);
  if (audio.sampleRate !== 16000) throw new Error(`${path}: the test call sends 16 kHz, the file is ${audio.sampleRate} Hz`);
  await sendAudio(client, pcmBytes(audio.samples), 640, paceMs);
}

/** Waits for the reply (or an error), lets its audio stream for `lingerMs`, then stops; resolves once closed. */
export async function hangUpAfterReply(client: TestClient, { lingerMs = 0, orError = true }: { lingerMs?: number; orError?: boolean } = {}): Promise<{ code: number; reason: string }> {
  await client.waitFor((m) => m.type === 'assistant.done' || (orError && m.type === 'error'));
  if (lingerMs > 0) await new Promise((r) => setTimeout(r, lingerMs));
  client.send({ type: 'stop' });
  return client.closed;
}

export function replyCount(client: TestClient): number {
  return client.received.json.filter((m) => m.type === 'assistant.done').length;
}

/** One caller sentence (fixtures/one-sentence.wav) through `server`, the reply heard out, then a hang-up. */
export async function fixtureCall(server: RunningServer, pipeline: PipelineName, headers: Record<string, string> = {}): Promise<TestClient> {
  const { client } = await startCall(streamUrl(server), { pipeline, headers });
  await speakFixture(client);
  await hangUpAfterReply(client, { lingerMs: 1500 });
  return client;
}

/**
 * One call against the real cascaded pipeline (Silero VAD, sandbox providers): a spoken sentence from a
 * fixture, as fast as the socket takes it, one reply, stop. Resolves with how it closed and how many
 * replies came.
 */
export async function speechCall(url: string, wav = ONE_SENTENCE): Promise<{ code: number; replies: number }> {
  const { client } = await startCall(url, { pipeline: 'cascaded' });
  await speakFixture(client, wav, 0);
  const closed = await hangUpAfterReply(client, { orError: false });
  return { code: closed.code, replies: replyCount(client) };
}

/**
 * One good call against an echo pipeline: a tone, then silence, one reply, stop. Resolves with how it
 * closed and how many replies came: proof the server (and the next caller) is unharmed. (A tone is not
 * speech to a real VAD: use speechCall for the real pipelines.)
 */
export async function echoCall(url: string): Promise<{ code: number; replies: number }> {
  const { client } = await startCall(url);
  await sendAudio(client, pcmBytes(toneBursts(16000, [{ toneMs: 400, silenceMs: 600 }])), 640);
  const closed = await hangUpAfterReply(client, { orError: false });
  return { code: closed.code, replies: replyCount(client) };
}
