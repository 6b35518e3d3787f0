import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../../src/server/index.js';
import { MAX_CUSTOM_PARAMETERS, MAX_PARAMETER_VALUE_CHARS } from '../../src/server/twilio.js';
import type { RunningServer } from '../../src/server/types.js';
import { echoPipeline } from './support/fake-pipeline.js';
import { TwilioEmulator } from './support/twilio-emulator.js';

let server: RunningServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** `[[[ ... ]]]` nested `depth` deep, as text: JSON.parse takes it, a recursive serialiser overflows on it. */
const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('hostile Twilio start and dtmf messages with --record', () => {
  it('records bounded string parameters only, never closes with 1011, leaks no internal text', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rxvoice-hostile-'));
    const ids: string[] = [];
    server = await serve({
      staticDir: false,
      recording: { dir, sampleRate: 16000 },
      pipelineFactory: (c) => {
        ids.push(c.sessionId);
        return echoPipeline(c);
      },
    });
    const twilio = await TwilioEmulator.open(`${server.url.replace('http', 'ws')}/twilio`);
    const params: Record<string, string> = { long: 'x'.repeat(100_000) };
    for (let i = 0; i < 1000; i++) params[`p${i}`] = String(i);
    const start = JSON.stringify({
      event: 'start',
      start: { streamSid: 'MZ1', callSid: 'CA1', customParameters: { ...params, nested: '@NESTED@' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
      streamSid: 'MZ1',
    });
    twilio.ws.send(start.replace('"@NESTED@"', deep(20_000)));
    twilio.ws.send(`{"event":"dtmf","streamSid":"MZ1","dtmf":{"digit":${deep(20_000)}}}`);
    twilio.sendMedia(new Uint8Array(160).fill(0xff), 0);
    twilio.stop();
    const closed = await twilio.closed;
    expect(closed.code).not.toBe(1011);
    expect(closed.reason).not.toMatch(/stack|Maximum|RangeError/i);
    await server.close();
    server = undefined;
    const log = (await readFile(join(dir, `${ids[0]}.jsonl`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const call = log.find((l) => l.role === 'call')!;
    const recorded = call.customParameters as Record<string, string>;
    expect(Object.keys(recorded).length).toBeLessThanOrEqual(MAX_CUSTOM_PARAMETERS);
    expect(recorded.nested).toBeUndefined();
    expect(recorded.long).toHaveLength(MAX_PARAMETER_VALUE_CHARS);
  });
});
