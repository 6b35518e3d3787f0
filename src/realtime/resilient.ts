import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { RxVoiceError, toRxVoiceError } from '../errors.js';
import type { RealtimeConnection, RealtimeEvent, RealtimeSession, RealtimeSessionConfig } from '../providers/realtime-types.js';

export interface ResilienceOptions {
  readonly scheduler: SchedulerLike;
  /** Reconnect attempts after an unexpected close before giving up. */
  readonly maxReconnects: number;
  /** First reconnect delay (doubles each attempt). */
  readonly reconnectDelayMs: number;
  /** A due reply with no event for this long counts as a drop; 0: never. */
  readonly stallTimeoutMs: number;
  /** Swap in a fresh connection at the first quiet moment after this long; 0: never. */
  readonly renewAfterMs: number;
}

/** What the wrapper asks of its user (the call): it owns the conversation, the wrapper the connection. */
export interface ResilienceHooks {
  /** A connection opened: the first (`restore` false), or one after a drop or a renewal (restore into it). */
  opened(connection: RealtimeConnection, restore: boolean): void;
  /** The connection dropped (a reconnect, or giving up, follows): note what was in flight. */
  dropped(error: RxVoiceError): void;
  /** A reply is due from the server (not from a tool handler): its silence is bounded. */
  replyDue(): boolean;
  /** Nothing in flight (no speech, reply, tool or commit): a renewal may swap connections now. */
  quiet(): boolean;
}

/** The connection a resilient session gives: one for the whole call, whatever happens underneath. */
export interface ResilientConnection extends RealtimeConnection {
  /** Swaps in a fresh connection now (restored by `opened`). */
  renewNow(): void;
  /** Renews if due and quiet (call when the call's state changed without a session event). */
  checkRenewal(): void;
  readonly renewDue: boolean;
}

/**
 * Reconnect / restore / stall / renew, as a decorator over any `RealtimeSession`. Its one connection
 * lives as long as the call: an unexpected close reconnects with back-off (`reconnectDelayMs`, doubling,
 * `maxReconnects`; the budget refills once a connection shows real progress), the provider's session cap
 * (`session_expired`) reconnects at once, a server that goes silent while a reply is due is treated as a
 * drop, and once `renewAfterMs` passed a fresh connection is swapped in at the first quiet moment. Every
 * new connection is handed to `hooks.opened` to restore the conversation. After giving up, `events`
 * errors (code `connection`, `timeout`, or the refusal's own, e.g. `auth`). Verbs sent while no
 * connection is open return false (the call restores what matters when one opens).
 */
export function resilientSession(inner: RealtimeSession, options: ResilienceOptions, hooks: ResilienceHooks): { readonly name: string; connect(config: RealtimeSessionConfig): ResilientConnection } {
  return { name: inner.name, connect: (config) => resilientConnection(inner, config, options, hooks) };
}

function resilientConnection(inner: RealtimeSession, config: RealtimeSessionConfig, options: ResilienceOptions, hooks: ResilienceHooks): ResilientConnection {
  const { scheduler } = options;
  let current: RealtimeConnection | undefined;
  let currentSub: Subscription | undefined;
  let attempts = 0;
  let closed = false;
  let renewDue = false;
  let renewTimer: Subscription | undefined;
  let stallTimer: Subscription | undefined;
  let reconnectTimer: Subscription | undefined;
  let emit: ((event: RealtimeEvent) => void) | undefined;
  let giveUp: ((error: RxVoiceError) => void) | undefined;

  const open = (restore: boolean): void => {
    if (closed) return;
    renewTimer?.unsubscribe();
    renewDue = false;
    if (options.renewAfterMs > 0) {
      renewTimer = scheduler.schedule(() => {
        renewDue = true;
        checkRenewal();
      }, options.renewAfterMs);
    }
    const connection = inner.connect(config);
    current = connection;
    hooks.opened(connection, restore);
    currentSub = connection.events.subscribe({
      next: (event) => {
        // Only real progress proves the connection works: one that accepts but never answers must
        // still run out of attempts.
        if (event.type !== 'session.ready' && event.type !== 'item.added' && event.type !== 'rate_limits' && event.type !== 'error') attempts = 0;
        emit?.(event);
        armStall();
        checkRenewal();
      },
      error: (err: unknown) => onDrop(toRxVoiceError(err, 'realtime', 'connection')),
      complete: () => {
        if (!closed) onDrop(new RxVoiceError({ code: 'connection', stage: 'realtime', retryable: true, message: 'Realtime session ended' }));
      },
    });
    // The hook may have restored state that makes a reply due.
    armStall();
  };

  const detach = (): void => {
    const old = currentSub;
    currentSub = undefined;
    current = undefined;
    old?.unsubscribe();
  };

  const armStall = (): void => {
    stallTimer?.unsubscribe();
    stallTimer = undefined;
    const ms = options.stallTimeoutMs;
    if (ms <= 0 || closed || !current || !hooks.replyDue()) return;
    stallTimer = scheduler.schedule(() => {
      stallTimer = undefined;
      if (!currentSub || closed) return;
      detach();
      onDrop(new RxVoiceError({ code: 'timeout', stage: 'realtime', retryable: true, message: `The realtime server sent nothing for ${ms} ms while a reply was due` }));
    }, ms);
  };

  const onDrop = (err: RxVoiceError): void => {
    stallTimer?.unsubscribe();
    stallTimer = undefined;
    currentSub = undefined;
    current = undefined;
    if (closed) return;
    hooks.dropped(err);
    const expired = err.code === 'session_expired';
    if (!err.retryable || (!expired && attempts >= options.maxReconnects)) {
      closed = true;
      renewTimer?.unsubscribe();
      const message = err.retryable ? `${err.message}; gave up after ${attempts} reconnect attempts` : err.message;
      const code = err.code === 'timeout' ? 'timeout' : err.retryable ? 'connection' : err.code;
      giveUp?.(new RxVoiceError({ code, stage: 'realtime', message, retryable: false }));
      return;
    }
    const delay = expired ? 0 : options.reconnectDelayMs * 2 ** attempts;
    if (!expired) attempts++;
    reconnectTimer = scheduler.schedule(() => open(true), delay);
  };

  const renewNow = (): void => {
    if (closed || !current) return;
    detach();
    open(true);
  };

  const checkRenewal = (): void => {
    if (!renewDue || closed || !current || !hooks.quiet()) return;
    renewNow();
  };

  const verb =
    <A extends unknown[]>(fn: (connection: RealtimeConnection, ...args: A) => boolean) =>
    (...args: A): boolean =>
      current && !closed ? fn(current, ...args) : false;

  const shutdown = (): void => {
    closed = true;
    renewTimer?.unsubscribe();
    stallTimer?.unsubscribe();
    reconnectTimer?.unsubscribe();
    current?.close();
    detach();
  };

  const events = new Observable<RealtimeEvent>((subscriber) => {
    emit = (event) => subscriber.next(event);
    giveUp = (error) => subscriber.error(error);
    open(false);
    return shutdown;
  });

  return {
    events,
    appendAudio: verb((c, samples: Int16Array) => c.appendAudio(samples)),
    commit: verb((c) => c.commit()),
    clearInput: verb((c) => c.clearInput()),
    createResponse: verb((c) => {
      const sent = c.createResponse();
      armStall();
      return sent;
    }),
    cancelResponse: verb((c, id?: string) => c.cancelResponse(id)),
    truncate: verb((c, itemId: string, atMs: number) => c.truncate(itemId, atMs)),
    deleteItem: verb((c, itemId: string) => c.deleteItem(itemId)),
    addItem: verb((c, item: Parameters<RealtimeConnection['addItem']>[0], previous?: string) => c.addItem(item, previous)),
    sendToolResult: verb((c, callId: string, output: string) => c.sendToolResult(callId, output)),
    updateSession: verb((c, next: RealtimeSessionConfig) => c.updateSession(next)),
    close: shutdown,
    renewNow,
    checkRenewal,
    get renewDue() {
      return renewDue;
    },
  };
}
