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
});
