import { readWavFile } from '../../../src/audio/wav.js';
import { fixturesDir } from '../../../src/testing/fixtures.js';
import type { PipelineName, RunningServer } from '../../../src/server/types.js';
import { pcmBytes, sendAudio, TestClient } from './client.js';

/** One caller sentence (fixtures/one-sentence.wav) through `server`, the reply heard out, then a hang-up. */
export async function fixtureCall(server: RunningServer, pipeline: PipelineName, headers: Record<string, string> = {}): Promise<TestClient> {
  const wav = await readWavFile(`${fixturesDir()}/one-sentence.wav`);
  const client = await TestClient.open(`${server.url.replace('http', 'ws')}/v1/stream`, { headers });
  client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, pipeline });
  await client.waitFor((m) => m.type === 'started');
  await sendAudio(client, pcmBytes(wav.samples), 640, 10);
  await client.waitFor((m) => m.type === 'assistant.done' || m.type === 'error');
  await new Promise((r) => setTimeout(r, 1500));
  client.send({ type: 'stop' });
  await client.closed;
  return client;
}
