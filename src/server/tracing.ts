import { context, SpanStatusCode, trace, type Attributes, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { defer, finalize, tap, type OperatorFunction } from 'rxjs';
import type { AudioFrame } from '../audio/frame.js';
import { toRxVoiceError } from '../errors.js';
import type { PipelineEvent } from '../events.js';
import type { PipelineChoice, PipelineFactory } from './types.js';

/** The model serving each stage, as span attributes and for pricing. */
export type StageModels = Partial<Readonly<Record<'transcribe' | 'llm' | 'realtime' | 'tts', string>>>;

export interface TracingOptions {
  /**
   * Where spans go. Default: the global provider (`trace.getTracerProvider()`), a no-op until the
   * application registers an OpenTelemetry SDK; rxvoice itself depends only on `@opentelemetry/api`.
   */
  readonly tracerProvider?: TracerProvider;
  /** Put what the caller said and the reply's text on spans (default false). */
  readonly includeText?: boolean;
}

/** Open turns a call may hold spans for; older ones are ended (a bound a caller cannot push). */
const MAX_OPEN_TURNS = 8;

interface TurnTrace {
  readonly span: Span;
  lastAt: number;
  transcription?: Span;
  reply?: Span;
  firstToken?: boolean;
  tts?: Span;
  ttsLastAt?: number;
  readonly tools: Map<string, Span>;
  finished: boolean;
}

/**
 * A call's spans, built from its pipeline events: `rxvoice.call` > `rxvoice.turn` > one span per stage
 * (`rxvoice.vad.end_of_turn`, `rxvoice.transcription`, `rxvoice.chat` or `rxvoice.realtime.response`
 * with a `first_token` event, `rxvoice.tts` with a `first_byte` event, `rxvoice.tool`,
 * `rxvoice.interruption`). Times are when the events passed, so spans show what the caller waited for.
 * Attributes carry ids, model names and sizes; never secrets, and text only with `includeText`.
 */
class CallTrace {
  private readonly call: Span;
  private readonly turns = new Map<string, TurnTrace>();

  constructor(
    private readonly tracer: Tracer,
    private readonly choice: PipelineChoice,
    private readonly models: StageModels,
    private readonly includeText: boolean,
  ) {
    this.call = tracer.startSpan('rxvoice.call', {
      attributes: { 'rxvoice.call.id': choice.sessionId, 'rxvoice.transport': choice.transport, 'rxvoice.pipeline': choice.pipeline },
    });
  }

  private child(parent: Span, name: string, attributes: Attributes, startTime = Date.now()): Span {
    return this.tracer.startSpan(name, { attributes, startTime }, trace.setSpan(context.active(), parent));
  }

  private model(stage: keyof StageModels): Attributes {
    const name = this.models[stage];
    return name ? { 'gen_ai.request.model': name } : {};
  }

  private turn(turnId: string, now: number): TurnTrace {
    let t = this.turns.get(turnId);
    if (!t) {
      const span = this.child(this.call, 'rxvoice.turn', { 'rxvoice.call.id': this.choice.sessionId, 'rxvoice.turn.id': turnId }, now);
      t = { span, lastAt: now, tools: new Map(), finished: false };
      this.turns.set(turnId, t);
      if (this.turns.size > MAX_OPEN_TURNS) this.endTurn(this.turns.keys().next().value as string);
    }
    t.lastAt = now;
    return t;
  }

  private ids(turnId: string): Attributes {
    return { 'rxvoice.call.id': this.choice.sessionId, 'rxvoice.turn.id': turnId };
  }

  observe(event: PipelineEvent): void {
    if (event.type === 'audio.in' || event.type === 'utterance.chunk' || event.type === 'dtmf') return;
    const now = Date.now();
    if (event.type === 'error' && !event.turnId) {
      this.call.addEvent('rxvoice.error', { 'rxvoice.error.code': event.code, 'rxvoice.error.stage': event.stage, 'rxvoice.error.message': event.message });
      return;
    }
    if (!('turnId' in event) || !event.turnId) return;
    const id = event.turnId;
    if (event.type === 'speech.started') this.endFinishedTurns(id);
    const t = this.turn(id, now);
    switch (event.type) {
      case 'speech.ended': {
        const silenceMs = Math.max(0, event.decidedAudioMs - event.audioMs);
        this.child(t.span, 'rxvoice.vad.end_of_turn', { ...this.ids(id), 'rxvoice.end_of_turn.reason': event.reason, 'rxvoice.end_of_turn.silence_ms': silenceMs }, now - silenceMs).end(now);
        t.transcription ??= this.child(t.span, 'rxvoice.transcription', { ...this.ids(id), ...this.model(this.choice.pipeline === 'realtime' ? 'realtime' : 'transcribe') }, now);
        // Realtime models answer from the audio itself: the response starts with the end of the turn.
        if (this.choice.pipeline === 'realtime') t.reply ??= this.child(t.span, 'rxvoice.realtime.response', { ...this.ids(id), ...this.model('realtime') }, now);
        return;
      }
      case 'transcript': {
        if (!event.final) return;
        if (t.transcription) {
          t.transcription.setAttribute('rxvoice.transcript.chars', event.text.length);
          if (this.includeText) t.transcription.setAttribute('rxvoice.transcript.text', event.text);
          t.transcription.end(now);
        }
        if (this.includeText) t.span.setAttribute('rxvoice.transcript.text', event.text);
        t.reply ??= this.child(t.span, 'rxvoice.chat', { ...this.ids(id), ...this.model('llm') }, now);
        return;
      }
      case 'assistant.text': {
        if (event.delta === '') return;
        t.reply ??= this.child(t.span, this.choice.pipeline === 'realtime' ? 'rxvoice.realtime.response' : 'rxvoice.chat', this.ids(id), now);
        if (!t.firstToken) {
          t.firstToken = true;
          t.reply.addEvent('first_token', now);
        }
        if (event.segment) t.tts ??= this.child(t.span, 'rxvoice.tts', { ...this.ids(id), ...this.model('tts') }, now);
        return;
      }
      case 'assistant.audio': {
        if (t.ttsLastAt === undefined) (t.tts ?? t.span).addEvent(t.tts ? 'first_byte' : 'first_audio', now);
        t.ttsLastAt = now;
        return;
      }
      case 'assistant.done': {
        if (t.reply) {
          t.reply.setAttribute('gen_ai.response.finish_reasons', [event.finishReason ?? 'stop']);
          if (event.usage) {
            t.reply.setAttribute('gen_ai.usage.input_tokens', event.usage.inputTokens);
            t.reply.setAttribute('gen_ai.usage.output_tokens', event.usage.outputTokens);
          }
          t.reply.setAttribute('rxvoice.reply.chars', event.text.length);
          if (this.includeText) t.reply.setAttribute('rxvoice.reply.text', event.text);
          t.reply.end(now);
        }
        t.finished = true;
        return;
      }
      case 'tool.call':
        t.tools.set(event.callId, this.child(t.reply ?? t.span, 'rxvoice.tool', { ...this.ids(id), 'rxvoice.tool.name': event.name, 'rxvoice.tool.call_id': event.callId }, now));
        return;
      case 'tool.result': {
        const span = t.tools.get(event.callId);
        if (!span) return;
        if (event.isError) span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool failed' });
        span.end(now);
        t.tools.delete(event.callId);
        return;
      }
      case 'interruption': {
        if (event.resumed) return;
        this.child(t.span, 'rxvoice.interruption', { ...this.ids(id), 'rxvoice.interruption.by_turn_id': event.byTurnId, 'rxvoice.interruption.played_ms': event.playedMs }, now).end(now);
        t.tts?.end(now);
        t.finished = true;
        return;
      }
      case 'metric':
        if (event.name === 'first_audio_out') t.span.setAttribute('rxvoice.first_audio_out_ms', event.valueMs);
        return;
      case 'error': {
        const attrs = { 'rxvoice.error.code': event.code, 'rxvoice.error.stage': event.stage, 'rxvoice.error.message': event.message };
        const stage = event.stage === 'transcribe' ? t.transcription : event.stage === 'llm' || event.stage === 'realtime' ? t.reply : event.stage === 'tts' ? t.tts : undefined;
        for (const span of new Set([t.span, stage].filter((s): s is Span => s !== undefined))) {
          span.addEvent('rxvoice.error', attrs, now);
          span.setStatus({ code: SpanStatusCode.ERROR, message: event.code });
        }
        if (event.utteranceLost) t.finished = true;
        return;
      }
      default:
        return;
    }
  }

  /** A new turn begins: turns whose replies are over get their spans closed, at their last event. */
  private endFinishedTurns(except: string): void {
    for (const [id, t] of this.turns) if (id !== except && t.finished) this.endTurn(id);
  }

  private endTurn(turnId: string): void {
    const t = this.turns.get(turnId);
    if (!t) return;
    this.turns.delete(turnId);
    const endAt = Math.max(t.lastAt, t.ttsLastAt ?? 0);
    for (const span of t.tools.values()) span.end(endAt);
    t.transcription?.end(endAt);
    t.reply?.end(endAt);
    t.tts?.end(t.ttsLastAt ?? endAt);
    t.span.end(endAt);
  }

  fail(err: unknown): void {
    const e = toRxVoiceError(err, 'pipeline');
    this.call.addEvent('rxvoice.error', { 'rxvoice.error.code': e.code, 'rxvoice.error.stage': e.stage });
    this.call.setStatus({ code: SpanStatusCode.ERROR, message: e.code });
  }

  end(): void {
    for (const id of [...this.turns.keys()]) this.endTurn(id);
    this.call.end();
  }
}

/** Wraps a pipeline factory so each call is traced (spans end when the call's pipeline ends or is torn down). */
export function traceCalls(factory: PipelineFactory, options: TracingOptions = {}, models: StageModels = {}): PipelineFactory {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer('rxvoice');
  return (choice) => {
    const pipeline = factory(choice);
    const traced: OperatorFunction<AudioFrame, PipelineEvent> = (source) =>
      defer(() => {
        const call = new CallTrace(tracer, choice, models, options.includeText === true);
        return pipeline(source).pipe(
          tap({ next: (event) => call.observe(event), error: (err: unknown) => call.fail(err) }),
          finalize(() => call.end()),
        );
      });
    return traced;
  };
}
