import { Observable, type Subscriber } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { RxVoiceError } from '../../src/errors.js';
import type { RealtimeConnection, RealtimeEvent, RealtimeSession, RealtimeSessionConfig } from '../../src/providers/realtime-types.js';
import { resilientSession, type ResilienceHooks } from '../../src/realtime/resilient.js';

/** A vendor-less session: the decorator must work over any `RealtimeSession`, not only the OpenAI one. */
class PlainConnection implements RealtimeConnection {
  subscriber: Subscriber<RealtimeEvent> | undefined;
  readonly calls: string[] = [];
  closed = false;
  readonly events = new Observable<RealtimeEvent>((s) => {
    this.subscriber = s;
    return () => (this.closed = true);
  });
  private record = (name: string) => {
    this.calls.push(name);
    return !this.closed;
  };
  appendAudio = () => this.record('appendAudio');
  commit = () => this.record('commit');
  clearInput = () => this.record('clearInput');
  createResponse = () => this.record('createResponse');
  cancelResponse = () => this.record('cancelResponse');
  truncate = () => this.record('truncate');
  deleteItem = () => this.record('deleteItem');
  addItem = () => this.record('addItem');
  sendToolResult = () => this.record('sendToolResult');
  updateSession = () => this.record('updateSession');
  close = () => {
    this.closed = true;
    this.subscriber?.complete();
  };
  drop(code: 'connection' | 'auth' = 'connection') {
    this.subscriber?.error(new RxVoiceError({ code, stage: 'realtime', retryable: code === 'connection', message: `dropped (${code})` }));
  }
}

class PlainSession implements RealtimeSession {
  readonly name = 'plain';
  readonly connections: PlainConnection[] = [];
  connect(_config: RealtimeSessionConfig): RealtimeConnection {
    const c = new PlainConnection();
    this.connections.push(c);
    return c;
  }
}

const CONFIG: RealtimeSessionConfig = { output: 'text', inputFormat: 'pcm16', turnDetection: { type: 'none' } };

function setup(state: { due: boolean; quiet: boolean }, options: Partial<{ maxReconnects: number; stallTimeoutMs: number; renewAfterMs: number }> = {}) {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.maxFrames = Number.POSITIVE_INFINITY;
  const inner = new PlainSession();
  const log: string[] = [];
  const hooks: ResilienceHooks = {
    opened: (_c, restore) => log.push(`opened ${restore ? 'restore' : 'first'} @${ts.now()}`),
    dropped: (e) => log.push(`dropped ${e.code} @${ts.now()}`),
    replyDue: () => state.due,
    quiet: () => state.quiet,
  };
  const session = resilientSession(inner, { scheduler: ts, maxReconnects: 2, reconnectDelayMs: 100, stallTimeoutMs: 0, renewAfterMs: 0, ...options }, hooks);
  const connection = session.connect(CONFIG);
  const events: RealtimeEvent[] = [];
  let failure: RxVoiceError | undefined;
  connection.events.subscribe({ next: (e) => events.push(e), error: (e: RxVoiceError) => (failure = e) });
  return { ts, inner, log, connection, events, failure: () => failure };
}

describe('resilientSession: reconnect, stall and renew over any RealtimeSession', () => {
  it('reconnects with doubling back-off, restores each new connection, and gives up with one typed error', () => {
    const h = setup({ due: false, quiet: true });
    h.ts.schedule(() => h.inner.connections[0]!.drop(), 10);
    h.ts.schedule(() => h.inner.connections[1]!.drop(), 200);
    h.ts.schedule(() => h.inner.connections[2]!.drop(), 600);
    h.ts.flush();
    expect(h.log).toEqual(['opened first @0', 'dropped connection @10', 'opened restore @110', 'dropped connection @200', 'opened restore @400', 'dropped connection @600']);
    expect(h.failure()).toMatchObject({ code: 'connection', retryable: false });
    expect(h.failure()!.message).toMatch(/gave up after 2 reconnect attempts/);
    // Verbs with no connection open go nowhere.
    expect(h.connection.createResponse()).toBe(false);
  });

  it('progress on a connection refills the budget; a refusal is not retried', () => {
    const h = setup({ due: false, quiet: true }, { maxReconnects: 1 });
    h.ts.schedule(() => h.inner.connections[0]!.drop(), 10);
    h.ts.schedule(() => h.inner.connections[1]!.subscriber!.next({ type: 'response.started', responseId: 'r1' }), 150);
    h.ts.schedule(() => h.inner.connections[1]!.drop(), 200);
    h.ts.schedule(() => h.inner.connections[2]!.drop('auth'), 400);
    h.ts.flush();
    expect(h.inner.connections).toHaveLength(3);
    expect(h.events).toEqual([{ type: 'response.started', responseId: 'r1' }]);
    expect(h.failure()).toMatchObject({ code: 'auth' });
  });

  it('a due reply with no event for stallTimeoutMs is a drop; no stall while nothing is due', () => {
    const state = { due: false, quiet: true };
    const h = setup(state, { stallTimeoutMs: 1000, maxReconnects: 1 });
    h.ts.schedule(() => {
      state.due = true;
      h.connection.createResponse();
    }, 3000);
    h.ts.flush();
    expect(h.log).toEqual(['opened first @0', 'dropped timeout @4000', 'opened restore @4100', 'dropped timeout @5100']);
    expect(h.failure()).toMatchObject({ code: 'timeout' });
  });

  it('renews when due only at a quiet moment, and stops renewing once closed', () => {
    const state = { due: false, quiet: false };
    const h = setup(state, { renewAfterMs: 1000 });
    h.ts.schedule(() => {
      state.quiet = true;
      h.connection.checkRenewal();
    }, 1500);
    h.ts.schedule(() => h.connection.close(), 2200);
    h.ts.flush();
    expect(h.log).toEqual(['opened first @0', 'opened restore @1500']);
    expect(h.inner.connections[0]!.closed).toBe(true);
    expect(h.inner.connections[1]!.closed).toBe(true);
  });
});
