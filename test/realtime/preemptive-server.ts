import { identity, Subject, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import { realtime } from '../../operators/realtime.js';
import type { AudioFrame } from '../../src/audio/frame.js';
import type { PipelineEvent } from '../../src/events.js';
import { FakeRealtimeSession, type FakeRealtimeConnection } from '../../src/testing/fakes/realtime.js';

/**
 * Preemptive replies with local turns, in virtual time, against a scripted server that keeps its own
 * conversation and input buffer as the real one does (commit moves the buffer into a user item; delete
 * removes an item; clear empties the buffer), so "nothing leaks into the history" is checked on the
 * server's side, not on what the client meant to send.
 */
interface Server {
  /** Item ids in the server's conversation, in order. */
  items: string[];
  /** Samples in the input buffer. */
  buffer: number;
  /** Samples of each committed user item. */
  committed: Map<string, number>;
  /** What each response.create is answered with (text), in order. */
  replies: string[];
  /** Delay from response.create to response.created. */
  startDelayMs: number;
  /** The input transcript of each commit, in order (default `said <item id>`). */
  transcripts: string[];
  /** Delay from the commit to its input transcript. */
  transcriptDelayMs: number;
}

export interface SetupOptions {
  readonly previewTranscripts?: boolean;
  readonly onReplyHeld?: (turnId: string) => void;
  /** Operators after the realtime operator (a turn detector), on the test's scheduler. */
  readonly after?: (scheduler: TestScheduler) => OperatorFunction<PipelineEvent, PipelineEvent>;
}

export function setup(options: SetupOptions = {}) {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.maxFrames = Number.POSITIVE_INFINITY;
  const fake = new FakeRealtimeSession();
  const server: Server = { items: [], buffer: 0, committed: new Map(), replies: [], startDelayMs: 50, transcripts: [], transcriptDelayMs: 20 };
  let users = 0;
  let responses = 0;
  const later = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
  // A new session starts with an empty conversation and buffer.
  fake.onConnect = () => {
    server.items = [];
    server.buffer = 0;
  };
  fake.onSend = (event, conn: FakeRealtimeConnection) => {
    switch (event.type) {
      case 'input_audio_buffer.append':
        server.buffer += Buffer.from(event.audio, 'base64').length / 2;
        return;
      case 'input_audio_buffer.clear':
        server.buffer = 0;
        return;
      case 'input_audio_buffer.commit': {
        const id = `u${++users}`;
        server.committed.set(id, server.buffer);
        server.buffer = 0;
        server.items.push(id);
        later(10, () => conn.emit({ type: 'input_audio_buffer.committed', item_id: id }));
        const transcript = server.transcripts[users - 1] ?? `said ${id}`;
        later(server.transcriptDelayMs, () => conn.emit({ type: 'conversation.item.input_audio_transcription.completed', item_id: id, transcript }));
        return;
      }
      case 'conversation.item.create':
        server.items.push(`restored-${event.item.type === 'message' ? event.item.role : event.item.type}`);
        return;
      case 'conversation.item.delete':
        server.items = server.items.filter((i) => i !== event.item_id);
        return;
      case 'response.create': {
        const n = ++responses;
        const id = `r${n}`;
        const item = `a${n}`;
        const text = server.replies[n - 1] ?? 'Okay.';
        let cancelled = false;
        const onCancel = fake.onSend;
        fake.onSend = (e, c) => {
          if (e.type === 'response.cancel' && (e.response_id === undefined || e.response_id === id)) cancelled = true;
          onCancel?.(e, c);
        };
        later(server.startDelayMs, () => {
          // A closed session's response never reaches the new session's conversation.
          if (!conn.open) return;
          server.items.push(item);
          conn.emit({ type: 'response.created', response: { id } });
          conn.emit({ type: 'response.output_item.added', response_id: id, item: { id: item, type: 'message' } });
        });
        later(server.startDelayMs + 10, () => {
          if (!cancelled) conn.emit({ type: 'response.output_text.delta', response_id: id, item_id: item, delta: text });
        });
        later(server.startDelayMs + 50, () =>
          conn.emit({ type: 'response.done', response: { id, status: cancelled ? 'cancelled' : 'completed', output: [{ id: item, type: 'message' }] } }),
        );
        return;
      }
      default:
        return;
    }
  };
  const input = new Subject<PipelineEvent>();
  const out: { at: number; event: PipelineEvent }[] = [];
  input
    .pipe(
      realtime({
        session: fake,
        scheduler: ts,
        turnDetection: { type: 'none' },
        renewAfterMs: 0,
        stallTimeoutMs: 0,
        batchMs: 20,
        ...(options.previewTranscripts ? { previewTranscripts: true } : {}),
        ...(options.onReplyHeld ? { onReplyHeld: options.onReplyHeld } : {}),
      }),
      options.after ? options.after(ts) : identity,
    )
    .subscribe((event) =>
    out.push({ at: ts.now(), event }),
  );
  const at = (ms: number, fn: () => void): void => void ts.schedule(fn, ms);
  /** 24 kHz caller frames of 20 ms from `fromMs` to `toMs`. */
  const audio = (fromMs: number, toMs: number): void => {
    for (let t = fromMs; t < toMs; t += 20) {
      const frame: AudioFrame = { samples: new Int16Array(480).fill(1000), sampleRate: 24000, startMs: t, seq: t / 20 };
      at(t, () => input.next({ type: 'audio.in', frame }));
    }
  };
  const emitted = (type: PipelineEvent['type']) => out.filter((o) => o.event.type === type);
  const speculation = () =>
    out.filter((o) => o.event.type === 'metric' && o.event.name === 'speculation').map((o) => (o.event as { detail?: { outcome?: unknown } }).detail?.outcome);
  return { ts, fake, server, input, out, at, audio, emitted, speculation };
}

