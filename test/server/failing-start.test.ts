import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../../src/server/index.js';
import type { RunningServer } from '../../src/server/types.js';
import { echoPipeline } from './support/fake-pipeline.js';
import { TestClient } from './support/client.js';
import { echoCall } from './support/fixture-call.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close(200);
  server = undefined;
});

describe('a call whose set-up fails inside the server', () => {
  it('the client hears that the pipeline failed, the detail goes to the log only, and the next call runs', async () => {
    const logged: string[] = [];
    server = await serve({
      staticDir: false,
      log: (line) => void logged.push(line),
      pipelineFactory: (choice) => {
        if (choice.voice === 'boom') throw new Error('cannot open /srv/private/recordings/key-sk-live-123');
        return echoPipeline(choice, { replyMs: 200 });
      },
    });
    const ws = `${server.url.replace('http', 'ws')}/v1/stream`;
    const bad = await TestClient.open(ws);
    bad.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 }, voice: 'boom' });
    const closed = await bad.closed;
    expect(closed.code).not.toBe(1011);
    const errors = bad.received.json.filter((m) => m.type === 'error');
    expect(errors).toEqual([expect.objectContaining({ code: 'internal', stage: 'pipeline', message: 'the pipeline failed (the server log has the detail)' })]);
    expect(JSON.stringify(bad.received.json) + closed.reason).not.toMatch(/srv|sk-live|cannot open/);
    expect(logged.some((l) => l.includes('pipeline failed') && l.includes('cannot open'))).toBe(true);

    expect(await echoCall(ws)).toEqual({ code: 1000, replies: 1 });
  });

  it('a recording that cannot be opened refuses that call with 1008 and no path in the reason', async () => {
    const logged: string[] = [];
    server = await serve({ staticDir: false, log: (line) => void logged.push(line), recording: { dir: '/dev/null/private-recordings' }, pipelineFactory: (c) => echoPipeline(c) });
    const client = await TestClient.open(`${server.url.replace('http', 'ws')}/v1/stream`);
    client.send({ type: 'start', version: 1, format: { encoding: 'pcm16', sampleRate: 16000 } });
    const closed = await client.closed;
    expect(closed).toEqual({ code: 1008, reason: 'the call could not be started' });
    expect(JSON.stringify(client.received.json)).not.toMatch(/private-recordings|ENOTDIR/);
    expect(logged.some((l) => l.includes('start failed') && l.includes('ENOTDIR'))).toBe(true);
    await expect.poll(() => server!.sessions(), { timeout: 2000 }).toEqual([]);
  });
});
