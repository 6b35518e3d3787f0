/**
 * Transport baseline: the three provider requests of a cascaded turn made by a bare client (undici and
 * ws, no rxvoice, no RxJS), against the same sandbox process and profile the latency benchmark uses.
 * What each takes beyond the latency the profile injects is the loopback + sandbox cost that every client
 * pays; rxvoice's own overhead is the latency benchmark's overhead minus this.
 *
 *   npx tsx bench/transport.ts [--runs 20] [--profile typical] [--out bench/results/transport.json]
 *
 * 1. transcription: multipart upload of a 2 s WAV, time from the end of the upload to the JSON answer.
 * 2. chat: streaming completion, time from the request to the first content chunk.
 * 3. tts: stream-input WebSocket, time from opening the socket to the first audio (connect included), and
 *    from sending the text on an already open socket to the first audio.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import WebSocket from 'ws';
import { encodeWav } from '../src/audio/wav.js';
import { SANDBOX_API_KEY } from '../src/providers/env.js';
import { formatTable, ms, summarize } from '../src/runner/report.js';
import { PROFILES } from '../src/sandbox/profiles.js';
import { startSandboxProcess } from './sandbox-process.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, profile: { type: 'string', default: 'typical' }, out: { type: 'string' } },
});
const runs = Number(values.runs);
const profile = PROFILES[values.profile as keyof typeof PROFILES];
const sandbox = await startSandboxProcess(['--profile', profile.name, '--scenario', 'examples/scenarios/demo.json']);
const base = sandbox.url.replace(/\/$/, '');
const auth = { authorization: `Bearer ${SANDBOX_API_KEY}` };

const wav = encodeWav(new Int16Array(32000).map((_, i) => Math.round(3000 * Math.sin(i / 8))), 16000);

async function transcription(): Promise<number> {
  const boundary = `----rxvoice${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-4o-transcribe\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const body = Buffer.concat([head, Buffer.from(wav), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const t0 = performance.now();
  const res = await request(`${base}/v1/audio/transcriptions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-rxvoice-call': randomUUID() },
    body,
  });
  await res.body.json();
  return performance.now() - t0 - profile.transcribe.afterUploadMs;
}

async function chat(): Promise<number> {
  const t0 = performance.now();
  const res = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Can you book a table?' }] }),
  });
  let first = -1;
  for await (const chunk of res.body) {
    if (first < 0 && /"content":"[^"]/.test(String(chunk))) first = performance.now() - t0;
  }
  return first - profile.chat.firstTokenMs;
}

/** Opens a stream-input socket; resolves once open. */
function openTts(): Promise<WebSocket> {
  const url = `${base.replace(/^http/, 'ws')}/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/stream-input?model_id=eleven_flash_v2_5&output_format=pcm_16000`;
  const ws = new WebSocket(url, { headers: { 'xi-api-key': SANDBOX_API_KEY } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function firstAudio(ws: WebSocket, text: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    ws.on('message', (data) => {
      if (/"audio":"[^"]/.test(String(data))) {
        resolve(performance.now() - t0);
        ws.close();
      }
    });
    ws.send(JSON.stringify({ text: ' ' }));
    ws.send(JSON.stringify({ text, flush: true }));
  });
}

async function ttsCold(text: string): Promise<number> {
  const t0 = performance.now();
  const ws = await openTts();
  await firstAudio(ws, text);
  return performance.now() - t0 - profile.tts.firstByteMs;
}

async function ttsWarm(text: string): Promise<number> {
  const ws = await openTts();
  return (await firstAudio(ws, text)) - profile.tts.firstByteMs;
}

const samples: Record<string, number[]> = { transcription: [], chat: [], 'tts (socket opened for the text)': [], 'tts (socket already open)': [] };
try {
  for (let i = 0; i < runs + 1; i++) {
    const text = `Done, I've booked table number ${i} for two. `; // a new text each time: the sandbox caches speech
    const row = [await transcription(), await chat(), await ttsCold(text), await ttsWarm(`Really, ${text}`)];
    if (i === 0) continue; // warm-up
    Object.values(samples).forEach((list, k) => list.push(row[k]!));
  }
} finally {
  await sandbox.close();
}
const rows = Object.entries(samples).map(([name, xs]) => {
  const s = summarize(xs);
  return [name, ms(s.median), ms(s.p95)];
});
const table = formatTable(['request (bare undici / ws client)', 'beyond injected p50', 'p95'], rows);
process.stdout.write(`\nprofile ${profile.name}, ${runs} runs: time each request took beyond the latency the profile injected\n${table}\n`);
if (values.out) {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify({ profile: profile.name, runs, samples, table }, null, 2)}\n`);
}
