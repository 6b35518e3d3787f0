import { Observable, Subscriber } from 'rxjs';
import { RxVoiceError } from '../../errors.js';
import { openaiConnection } from '../../providers/openai-realtime/connection.js';
import { DEFAULT_TRANSCRIPTION_MODEL } from '../../providers/openai-realtime/wire.js';
import type { OpenAIClientEvent, OpenAIServerEvent, OpenAIWireConnection } from '../../providers/openai-realtime/events.js';
import type { RealtimeConnection, RealtimeSession, RealtimeSessionConfig } from '../../providers/realtime-types.js';

/**
 * One connection of a `FakeRealtimeSession`: an in-process OpenAI-GA-dialect server. What the client sent
 * (wire events), and levers to play the server (wire events).
 */
export class FakeRealtimeConnection implements OpenAIWireConnection {
  readonly sent: OpenAIClientEvent[] = [];
  private subscriber: Subscriber<OpenAIServerEvent> | undefined;
  private ended = false;
  private ids = 0;
  readonly events: Observable<OpenAIServerEvent>;

  constructor(
    readonly index: number,
    readonly config: RealtimeSessionConfig,
    private readonly onSend: (event: OpenAIClientEvent, connection: FakeRealtimeConnection) => void,
    greet = true,
  ) {
    this.events = new Observable<OpenAIServerEvent>((subscriber) => {
      this.subscriber = subscriber;
      if (greet) subscriber.next({ type: 'session.created', session: { id: `sess_fake_${index}` } });
      return () => {
        this.ended = true;
        this.subscriber = undefined;
      };
    });
  }

  /** True while the client holds the socket open. */
  get open(): boolean {
    return this.subscriber !== undefined && !this.ended;
  }

  send(event: OpenAIClientEvent): boolean {
    if (this.ended) return false;
    this.sent.push(event);
    this.onSend(event, this);
    return true;
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    const s = this.subscriber;
    this.subscriber = undefined;
    s?.complete();
  }

  /** The sent events of one type. */
  sentOf<T extends OpenAIClientEvent['type']>(type: T): Extract<OpenAIClientEvent, { type: T }>[] {
    return this.sent.filter((e): e is Extract<OpenAIClientEvent, { type: T }> => e.type === type);
  }

  /** Plays one server event. */
  emit(event: OpenAIServerEvent): void {
    this.subscriber?.next(event);
  }

  /** The socket drops (1011 / reset): a retryable `connection` error. */
  drop(message = 'Realtime socket closed unexpectedly (1011)'): void {
    this.fail(new RxVoiceError({ code: 'connection', stage: 'realtime', retryable: true, message }));
  }

  /** The server's maximum session length: `session_expired` + close 1001. */
  expire(): void {
    this.fail(new RxVoiceError({ code: 'session_expired', stage: 'realtime', retryable: true, message: 'Realtime session ended by the server (1001)' }));
  }

  fail(error: RxVoiceError): void {
    const s = this.subscriber;
    this.subscriber = undefined;
    this.ended = true;
    s?.error(error);
  }

  nextId(prefix: string): string {
    return `${prefix}_fake${this.index}_${++this.ids}`;
  }

  /** A whole text (or audio transcript) response, GA event names, split into word deltas. */
  replyText(text: string, options: { audio?: boolean; responseId?: string; itemId?: string; status?: string } = {}): void {
    const responseId = options.responseId ?? this.nextId('resp');
    const itemId = options.itemId ?? this.nextId('item');
    const part = options.audio ? 'response.output_audio_transcript.delta' : 'response.output_text.delta';
    this.emit({ type: 'response.created', response: { id: responseId, status: 'in_progress', output: [] } });
    this.emit({ type: 'response.output_item.added', response_id: responseId, output_index: 0, item: { id: itemId, type: 'message', role: 'assistant', content: [] } });
    for (const delta of text.match(/\S+\s*/g) ?? []) this.emit({ type: part, response_id: responseId, item_id: itemId, delta });
    this.emit({
      type: 'response.done',
      response: {
        id: responseId,
        status: options.status ?? 'completed',
        output: [{ id: itemId, type: 'message', role: 'assistant' }],
        usage: { input_tokens: 12, output_tokens: 7, total_tokens: 19 },
      },
    });
  }

  /** A response that calls one function. */
  replyFunctionCall(name: string, args: string, options: { callId?: string; responseId?: string } = {}): void {
    const responseId = options.responseId ?? this.nextId('resp');
    const callId = options.callId ?? this.nextId('call');
    const itemId = this.nextId('item');
    this.emit({ type: 'response.created', response: { id: responseId, status: 'in_progress', output: [] } });
    this.emit({ type: 'response.output_item.added', response_id: responseId, output_index: 0, item: { id: itemId, type: 'function_call', call_id: callId, name } });
    this.emit({ type: 'response.function_call_arguments.delta', response_id: responseId, item_id: itemId, call_id: callId, delta: args });
    this.emit({ type: 'response.function_call_arguments.done', response_id: responseId, item_id: itemId, call_id: callId, name, arguments: args });
    this.emit({ type: 'response.done', response: { id: responseId, status: 'completed', output: [{ id: itemId, type: 'function_call', call_id: callId }] } });
  }
}

/**
 * A scriptable `RealtimeSession` for marble tests: every `connect()` makes a `FakeRealtimeConnection`
 * (it sends `session.created` when subscribed) behind the OpenAI provider's neutral adapter, so a test
 * plays a real wire dialect through the real translation. Play the server with `current.emit(...)`,
 * `replyText`, `drop()`; react to what the client sends with `onSend`.
 */
export class FakeRealtimeSession implements RealtimeSession {
  readonly name = 'fake-realtime';
  readonly connections: FakeRealtimeConnection[] = [];
  /** Called for every client event, after it is recorded: script the server's answers here. */
  onSend: ((event: OpenAIClientEvent, connection: FakeRealtimeConnection) => void) | undefined;
  /** Called for every new connection (before the client subscribes to it). */
  onConnect: ((connection: FakeRealtimeConnection) => void) | undefined;
  /** Send `session.created` when a connection is subscribed (a healthy server). Default true. */
  greet = true;

  /** Set to make the session report a provider cap (the operator renews before it). */
  maxSessionMs: number | undefined;
  /** As the OpenAI provider's. */
  readonly defaultTranscriptionModel = DEFAULT_TRANSCRIPTION_MODEL;

  connect(config: RealtimeSessionConfig): RealtimeConnection {
    const connection = new FakeRealtimeConnection(this.connections.length, config, (event, conn) => this.onSend?.(event, conn), this.greet);
    this.connections.push(connection);
    this.onConnect?.(connection);
    return openaiConnection(connection, config);
  }

  /** The newest connection. */
  get current(): FakeRealtimeConnection {
    const c = this.connections[this.connections.length - 1];
    if (!c) throw new Error('FakeRealtimeSession: nothing connected yet');
    return c;
  }

  /** Every event sent over every connection, in order. */
  sent(): OpenAIClientEvent[] {
    return this.connections.flatMap((c) => c.sent);
  }
}
