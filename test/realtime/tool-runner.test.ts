import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { realtime } from '../../operators/realtime.js';
import { registerSecret } from '../../src/errors.js';
import type { PipelineEvent } from '../../src/events.js';
import { FakeRealtimeSession } from '../../src/testing/fakes/realtime.js';
import { runTool } from '../../src/tool-runner.js';

const SECRET = 'sk-tool-runner-test-0123456789abcdef';

describe('the shared tool runner', () => {
  it('answers a plain value, bad JSON, an unknown tool and a throwing handler the way the model is told', async () => {
    const ok = { name: 'ok', handler: (args: Record<string, unknown>) => ({ got: args }) };
    const ctx = { turnId: 't1', signal: new AbortController().signal };
    expect(await runTool(ok, 'ok', '{"a":1}', ctx)).toEqual({ output: '{"got":{"a":1}}', isError: false });
    expect(await runTool(ok, 'ok', '', ctx)).toEqual({ output: '{"got":{}}', isError: false });
    expect(await runTool(ok, 'ok', '{nope', ctx)).toEqual({ output: '{"error":"the arguments were not valid JSON"}', isError: true });
    expect(await runTool(undefined, 'gone', '{}', ctx)).toEqual({ output: '{"error":"unknown tool: gone"}', isError: true });
  });

  it('redacts registered secrets from a handler error in the realtime chain too', () => {
    registerSecret(SECRET);
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    const fake = new FakeRealtimeSession();
    const input = new Subject<PipelineEvent>();
    const out: PipelineEvent[] = [];
    const leaky = {
      name: 'lookup',
      parameters: { type: 'object' },
      handler: () => {
        throw new Error(`upstream refused key ${SECRET}`);
      },
    };
    input.pipe(realtime({ session: fake, scheduler: ts, tools: [leaky], renewAfterMs: 0, stallTimeoutMs: 0 })).subscribe((e) => out.push(e));
    ts.schedule(() => fake.current.replyFunctionCall('lookup', '{}', { callId: 'call_1' }), 10);
    ts.flush();
    const result = out.find((e) => e.type === 'tool.result');
    expect(result).toMatchObject({ callId: 'call_1', isError: true });
    const sentOutput = fake.current.sentOf('conversation.item.create').map((e) => JSON.stringify(e.item)).join('');
    for (const text of [JSON.stringify(result), sentOutput]) {
      expect(text).toContain('upstream refused key');
      expect(text).not.toContain(SECRET);
    }
  });
});
