import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { OutboundGate } from '../../src/server/outbound.js';

/** Just enough of a `ws` socket to drive the gate: a settable bufferedAmount and recorded calls. */
function fakeSocket() {
  const calls = { sent: [] as unknown[], closed: [] as [number, string][], terminated: 0 };
  const socket = {
    readyState: WebSocket.OPEN as number,
    bufferedAmount: 0,
    send: (data: unknown) => calls.sent.push(data),
    close: (code: number, reason: string) => {
      calls.closed.push([code, reason]);
      socket.readyState = WebSocket.CLOSING;
    },
    terminate: () => calls.terminated++,
  };
  return { socket, calls };
}

describe('OutboundGate', () => {
  it('sends under the cap, drops audio above it (warning once), keeps events, closes 1008 above twice it', () => {
    const { socket, calls } = fakeSocket();
    let warnings = 0;
    const gate = new OutboundGate(socket as unknown as WebSocket, 1000, () => warnings++);
    expect(gate.sendAudio(Buffer.alloc(100), 100)).toBe(true);
    socket.bufferedAmount = 1500;
    expect(gate.sendAudio(Buffer.alloc(100), 100)).toBe(false);
    expect(gate.sendAudio(Buffer.alloc(100), 100)).toBe(false);
    gate.sendEvent('{"type":"transcript"}'); // small events still go out
    expect(calls.sent).toHaveLength(2);
    expect(warnings).toBe(1);
    expect(gate.droppedAudioBytes).toBe(200);
    expect(gate.sentAudioBytes).toBe(100);
    expect(calls.closed).toEqual([]);
    socket.bufferedAmount = 2500;
    gate.sendEvent('{"type":"metric"}');
    expect(calls.sent).toHaveLength(2);
    expect(calls.closed).toEqual([[1008, 'outbound buffer overflow: client is not reading']]);
  });

  it('queued reply audio of one tick leaves as one message, before any later event, in order', async () => {
    const { socket, calls } = fakeSocket();
    const gate = new OutboundGate(socket as unknown as WebSocket, 1000, () => undefined);
    gate.queueAudio(Buffer.from([1, 2]));
    gate.queueAudio(Buffer.from([3, 4]));
    gate.sendEvent('{"type":"reply.cancel"}');
    gate.queueAudio(Buffer.from([5, 6]));
    expect(calls.sent).toEqual([Buffer.from([1, 2, 3, 4]), '{"type":"reply.cancel"}']);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(calls.sent).toEqual([Buffer.from([1, 2, 3, 4]), '{"type":"reply.cancel"}', Buffer.from([5, 6])]);
    expect(gate.sentAudioBytes).toBe(6);
  });

  it('with the socket, the sends of one tick are written together (corked until the next tick)', async () => {
    const { socket } = fakeSocket();
    const log: string[] = [];
    const net = { cork: () => log.push('cork'), uncork: () => log.push('uncork') };
    const gate = new OutboundGate(socket as unknown as WebSocket, 1024 * 1024, () => undefined, net);
    gate.sendEvent('{"type":"a"}');
    gate.sendAudio(Buffer.alloc(4), 4);
    gate.sendEvent('{"type":"b"}');
    expect(log).toEqual(['cork']);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(log).toEqual(['cork', 'uncork']);
    gate.sendEvent('{"type":"c"}');
    expect(log).toEqual(['cork', 'uncork', 'cork']);
    // A big burst (a whole reply at once) goes to the kernel now rather than pile up behind the cork.
    socket.bufferedAmount = 70 * 1024;
    gate.sendEvent('{"type":"d"}');
    expect(log).toEqual(['cork', 'uncork', 'cork', 'uncork']);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(log).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('a queued burst longer than one merged message is split, and the cap counts what is queued', async () => {
    const { socket, calls } = fakeSocket();
    const gate = new OutboundGate(socket as unknown as WebSocket, 40 * 1024, () => undefined);
    for (let i = 0; i < 100; i++) gate.queueAudio(Buffer.alloc(640)); // 64000 bytes in one tick
    // The fake socket's buffer never fills: 16 KB messages at once, the rest at the end of the tick.
    expect((calls.sent as Buffer[]).map((b) => b.length)).toEqual([16640, 16640, 16640]);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect((calls.sent as Buffer[]).map((b) => b.length)).toEqual([16640, 16640, 16640, 14080]);
    expect(gate.droppedAudioBytes).toBe(0);
    socket.bufferedAmount = 39 * 1024;
    gate.queueAudio(Buffer.alloc(640));
    gate.queueAudio(Buffer.alloc(640)); // 39 KB + 640 queued: still under the cap
    gate.queueAudio(Buffer.alloc(640)); // 39 KB + 1280 queued: over, dropped
    expect(gate.droppedAudioBytes).toBe(640);
    expect(gate.sentAudioBytes).toBe(64000);
  });
});
