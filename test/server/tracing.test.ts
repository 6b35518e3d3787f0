import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { serve } from '../../src/server/index.js';
import type { PipelineName } from '../../src/server/types.js';
import { startOtlpCollector } from '../support/otlp-collector.js';
import { fixtureCall } from './support/fixture-call.js';
import { sandboxPipelineFactory } from './support/real-pipelines.js';

const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
const MODELS = { transcribe: 'gpt-4o-transcribe', llm: 'gpt-4o-mini', realtime: 'gpt-realtime', tts: 'eleven_flash_v2_5' };

describe('OpenTelemetry spans per call, turn and stage', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'instant',
      scenario: { utterances: [{ transcript: SENTENCE, language: 'en' }], replies: [{ match: 'fox', reply: 'Foxes are quick. Dogs are lazy.' }] },
    });
  });
  afterAll(async () => sandbox?.close());

  const tracedCall = async (pipeline: PipelineName, includeText = false) => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const server = await serve({
      pipelineFactory: await sandboxPipelineFactory(sandbox.url, pipeline),
      staticDir: false,
      tracing: { tracerProvider, includeText },
      models: MODELS,
    });
    const client = await fixtureCall(server, pipeline);
    await server.close(1000);
    const callId = String(client.received.json.find((m) => m.type === 'started')?.sessionId);
    return { spans: exporter.getFinishedSpans(), callId };
  };

  const byName = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
  const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

  it('cascaded: call > turn > end of turn, transcription, chat (first_token), tts (first_byte), with ids and models, no text', async () => {
    const { spans, callId } = await tracedCall('cascaded');
    const [call] = byName(spans, 'rxvoice.call');
    expect(call?.attributes).toMatchObject({ 'rxvoice.call.id': callId, 'rxvoice.transport': 'rxvoice', 'rxvoice.pipeline': 'cascaded' });
    const [turn] = byName(spans, 'rxvoice.turn');
    expect(turn?.attributes).toMatchObject({ 'rxvoice.call.id': callId, 'rxvoice.turn.id': 'turn-1' });
    expect(parentOf(turn!)).toBe(call!.spanContext().spanId);
    expect(turn!.spanContext().traceId).toBe(call!.spanContext().traceId);

    const stage = (name: string): ReadableSpan => {
      const [span] = byName(spans, name);
      expect(span, name).toBeDefined();
      expect(parentOf(span!), name).toBe(turn!.spanContext().spanId);
      expect(span!.attributes['rxvoice.turn.id'], name).toBe('turn-1');
      return span!;
    };
    const endOfTurn = stage('rxvoice.vad.end_of_turn');
    expect(endOfTurn.attributes['rxvoice.end_of_turn.silence_ms']).toBeGreaterThan(0);
    const transcription = stage('rxvoice.transcription');
    expect(transcription.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o-transcribe', 'rxvoice.transcript.chars': SENTENCE.length });
    const chat = stage('rxvoice.chat');
    expect(chat.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.output_tokens': expect.any(Number) });
    expect(chat.events.map((e) => e.name)).toContain('first_token');
    const tts = stage('rxvoice.tts');
    expect(tts.attributes['gen_ai.request.model']).toBe('eleven_flash_v2_5');
    expect(tts.events.map((e) => e.name)).toContain('first_byte');

    // The stages line up in time the way the caller lived them.
    const ms = (t: readonly [number, number]): number => t[0] * 1000 + t[1] / 1e6;
    expect(ms(endOfTurn.endTime)).toBeLessThanOrEqual(ms(transcription.startTime) + 1);
    expect(ms(transcription.endTime)).toBeLessThanOrEqual(ms(chat.startTime) + 1);
    expect(ms(chat.startTime)).toBeLessThanOrEqual(ms(tts.startTime));
    expect(ms(turn!.endTime)).toBeLessThanOrEqual(ms(call!.endTime));
    // No words (and no key) on any span unless asked.
    const all = JSON.stringify(spans.map((s) => [s.attributes, s.events]));
    expect(all).not.toContain('quick brown fox');
    expect(all).not.toContain('Foxes');
    expect(all).not.toContain('rxvoice-sandbox-key');
  });

  it('realtime: the response span starts at the end of the turn and carries the realtime model', async () => {
    const { spans } = await tracedCall('realtime');
    const [response] = byName(spans, 'rxvoice.realtime.response');
    expect(response?.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-realtime', 'rxvoice.turn.id': 'turn-1' });
    expect(response!.events.map((e) => e.name)).toContain('first_token');
    expect(byName(spans, 'rxvoice.turn')).toHaveLength(1);
  });

  it('puts the words on spans only with includeText', async () => {
    const { spans } = await tracedCall('cascaded', true);
    expect(byName(spans, 'rxvoice.transcription')[0]?.attributes['rxvoice.transcript.text']).toBe(SENTENCE);
    expect(String(byName(spans, 'rxvoice.chat')[0]?.attributes['rxvoice.reply.text'])).toContain('Foxes are quick');
  });

  it('exports over OTLP/HTTP to a collector', async () => {
    const collector = await startOtlpCollector();
    // This exporter speaks OTLP as JSON over HTTP, so the test reads what a collector would receive.
    const exporter = new OTLPTraceExporter({ url: `${collector.url}/v1/traces` });
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const server = await serve({ pipelineFactory: await sandboxPipelineFactory(sandbox.url, 'cascaded'), staticDir: false, tracing: { tracerProvider }, models: MODELS });
    const client = await fixtureCall(server, 'cascaded');
    await server.close(1000);
    await tracerProvider.forceFlush();
    await tracerProvider.shutdown();
    await collector.close();
    const callId = String(client.received.json.find((m) => m.type === 'started')?.sessionId);
    type OtlpSpan = { name: string; traceId: string; attributes: { key: string; value: { stringValue?: string } }[] };
    const received: OtlpSpan[] = collector.bodies.flatMap(
      (b) => (JSON.parse(b) as { resourceSpans: { scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    );
    const names = received.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['rxvoice.call', 'rxvoice.turn', 'rxvoice.transcription', 'rxvoice.chat', 'rxvoice.tts']));
    const call = received.find((s) => s.name === 'rxvoice.call')!;
    expect(call.attributes.find((a) => a.key === 'rxvoice.call.id')?.value.stringValue).toBe(callId);
    // One trace per call.
    expect(new Set(received.map((s) => s.traceId)).size).toBe(1);
  });
});
