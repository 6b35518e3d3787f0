/**
 * undici + eventsource-parser vs the official openai SDK, as `ChatModel`s, against the local sandbox
 * (instant profile: the numbers are client overhead, not model latency). Prints time to first token and
 * to the end of the reply (median, p95) sequentially and with 20 requests in flight. Run: `npx tsx bench/llm-client.ts`. No assertions.
 */
import { performance } from 'node:perf_hooks';
import { Observable } from 'rxjs';
import { createOpenAIChatModel } from '../src/providers/openai/chat.js';
import { createOpenAISdkChatModel } from '../src/providers/openai/chat-sdk.js';
import { resolveEndpoints } from '../src/providers/env.js';
import type { ChatChunk, ChatModel } from '../src/providers/types.js';
import { startSandbox } from '../src/sandbox/index.js';

const RUNS = Number(process.env.RUNS ?? 200);
const REPLY = 'Sure. The weather in Paris is sunny today, about twenty degrees, with a light breeze from the west. Anything else?';

function once(model: ChatModel): Promise<{ firstMs: number; totalMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let firstMs = -1;
    (model.stream({ messages: [{ role: 'user', content: 'weather' }] }) as Observable<ChatChunk>).subscribe({
      next: (c) => {
        if (firstMs < 0 && c.type === 'text') firstMs = performance.now() - t0;
      },
      error: reject,
      complete: () => resolve({ firstMs, totalMs: performance.now() - t0 }),
    });
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (n: number): string => n.toFixed(2).padStart(8);

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    profile: 'instant',
    scenario: { replies: [{ match: '.', reply: REPLY }] },
  });
  const endpoints = resolveEndpoints({}, sandbox.url);
  const clients: [string, ChatModel][] = [
    ['undici + eventsource-parser', createOpenAIChatModel({ endpoint: endpoints.openai })],
    ['openai SDK v6', createOpenAISdkChatModel({ endpoint: endpoints.openai })],
  ];
  // Warm-up (JIT, connection pools).
  for (const [, m] of clients) for (let i = 0; i < 20; i++) await once(m);

  console.log(`\nChat client overhead against the sandbox, ${RUNS} requests each (ms)\n`);
  console.log(`${'client'.padEnd(30)} ${'mode'.padEnd(12)} ${'ttft p50'.padStart(8)} ${'ttft p95'.padStart(8)} ${'total p50'.padStart(9)} ${'total p95'.padStart(9)}`);
  for (const [name, m] of clients) {
    const seq: { firstMs: number; totalMs: number }[] = [];
    for (let i = 0; i < RUNS; i++) seq.push(await once(m));
    console.log(`${name.padEnd(30)} ${'sequential'.padEnd(12)} ${fmt(pct(seq.map((r) => r.firstMs), 50))} ${fmt(pct(seq.map((r) => r.firstMs), 95))} ${fmt(pct(seq.map((r) => r.totalMs), 50))} ${fmt(pct(seq.map((r) => r.totalMs), 95))} `);
    const par: { firstMs: number; totalMs: number }[] = [];
    for (let i = 0; i < RUNS / 20; i++) par.push(...(await Promise.all(Array.from({ length: 20 }, () => once(m)))));
    console.log(`${name.padEnd(30)} ${'20 parallel'.padEnd(12)} ${fmt(pct(par.map((r) => r.firstMs), 50))} ${fmt(pct(par.map((r) => r.firstMs), 95))} ${fmt(pct(par.map((r) => r.totalMs), 50))} ${fmt(pct(par.map((r) => r.totalMs), 95))} `);
  }
  await sandbox.close();
}

void main();
