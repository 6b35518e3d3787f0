import type { IncomingMessage, ServerResponse } from 'node:http';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

/** What `/readyz` weighs: a process is ready when it is not draining, under its call cap and not lagging. */
export interface ReadinessState {
  readonly draining: boolean;
  readonly liveCalls: number;
  readonly maxCalls: number;
  /** p99 event-loop delay over the last window, in ms. */
  readonly eventLoopLagMs: number;
  readonly maxEventLoopLagMs: number;
}

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready; absent when ready. */
  readonly reason?: 'draining' | 'at capacity' | 'event loop lagging';
}

export function readiness(s: ReadinessState): Readiness {
  if (s.draining) return { ready: false, reason: 'draining' };
  if (s.liveCalls >= s.maxCalls) return { ready: false, reason: 'at capacity' };
  if (s.eventLoopLagMs > s.maxEventLoopLagMs) return { ready: false, reason: 'event loop lagging' };
  return { ready: true };
}

/**
 * Measures event-loop delay with the runtime's own histogram (no timers of ours on the hot path). The
 * histogram is read and reset every `windowMs`, so the value reflects the last window, not the process's
 * whole life: a lag spike an hour ago must not keep a process out of rotation.
 */
export class EventLoopLag {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly timer: NodeJS.Timeout;
  private lastP99Ms = 0;

  constructor(windowMs = 1000) {
    this.histogram.enable();
    this.timer = setInterval(() => this.roll(), windowMs);
    this.timer.unref();
  }

  /** p99 delay of the last full window in ms (the current window's, before the first one ends). */
  p99Ms(): number {
    return this.histogram.count > 0 ? Math.max(this.lastP99Ms, this.windowP99Ms()) : this.lastP99Ms;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private windowP99Ms(): number {
    // The histogram counts the sampling resolution itself as delay; subtract it so an idle loop reads ~0.
    return Math.max(0, this.histogram.percentile(99) / 1e6 - 10);
  }

  private roll(): void {
    this.lastP99Ms = this.histogram.count > 0 ? this.windowP99Ms() : 0;
    this.histogram.reset();
  }
}

/**
 * Answers `/healthz` (the process is alive: always 200) and `/readyz` (200 when it should get new calls,
 * 503 with the reason otherwise). Both cheap and unauthenticated, for load-balancer and Kubernetes probes.
 * Returns false for any other path.
 */
export function answerHealth(req: IncomingMessage, res: ServerResponse, path: string, state: () => ReadinessState): boolean {
  if (path !== HEALTH_PATH && path !== READY_PATH) return false;
  const s = state();
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (path === HEALTH_PATH) {
    res.writeHead(200, headers).end(JSON.stringify({ ok: true, sessions: s.liveCalls, ...(s.draining ? { draining: true } : {}) }));
    return true;
  }
  const r = readiness(s);
  const body = { ready: r.ready, ...(r.reason ? { reason: r.reason } : {}), sessions: s.liveCalls, eventLoopLagMs: Math.round(s.eventLoopLagMs * 10) / 10 };
  res.writeHead(r.ready ? 200 : 503, r.ready ? headers : { ...headers, 'retry-after': '5' });
  // HEAD (HAProxy's default check method) gets the status only.
  res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
  return true;
}
