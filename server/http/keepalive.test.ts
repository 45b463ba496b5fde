import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { startKeepalive, type Pingable } from './keepalive';

function fakeSocket(): Pingable & { pings: number; terminated: boolean } {
  const socket = {
    pings: 0,
    terminated: false,
    isAlive: true,
    ws: {
      ping: () => void socket.pings++,
      terminate: () => void (socket.terminated = true)
    } as unknown as WebSocket
  };
  return socket;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('startKeepalive', () => {
  it('pings every socket each round and cuts one that did not answer the last ping; stops when asked', () => {
    vi.useFakeTimers();
    const answering = fakeSocket();
    const silent = fakeSocket();
    const sockets = new Set([answering, silent]);
    const stop = startKeepalive(sockets, 1_000);

    vi.advanceTimersByTime(1_000);
    expect([answering.pings, silent.pings]).toEqual([1, 1]);
    answering.isAlive = true; // its pong arrived; the silent one's did not

    vi.advanceTimersByTime(1_000);
    expect(silent.terminated).toBe(true);
    expect(answering.terminated).toBe(false);
    expect(answering.pings).toBe(2);

    // A socket added later is read afresh in the next round; after stop() nobody is pinged any more.
    const late = fakeSocket();
    sockets.add(late);
    answering.isAlive = true;
    vi.advanceTimersByTime(1_000);
    expect([answering.pings, late.pings]).toEqual([3, 1]);
    stop();
    vi.advanceTimersByTime(5_000);
    expect([answering.pings, late.pings]).toEqual([3, 1]);
  });
});
