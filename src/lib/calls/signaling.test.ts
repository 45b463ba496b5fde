import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../domain/calls';
import {
  getSignalingUrl,
  parseServerMessage,
  RECONNECT_MAX_MS,
  RECONNECT_MIN_MS,
  SignalingClient
} from './signaling';
import { FakeSocket, ManualTimers } from './testing';

function setUp() {
  const sockets: FakeSocket[] = [];
  const received: ServerMessage[] = [];
  const statuses: string[] = [];
  const timers = new ManualTimers();
  const client = new SignalingClient({
    url: 'ws://parley.test/ws-signal/conv1234',
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    onMessage: (m) => received.push(m),
    onStatus: (s) => statuses.push(s),
    setTimer: timers.set,
    clearTimer: timers.clear
  });
  return { client, sockets, received, statuses, timers };
}

describe('getSignalingUrl', () => {
  it('R111: /ws-signal/<conversationId> on the page’s host, wss under https', () => {
    expect(getSignalingUrl('abc_DEF-12', { protocol: 'http:', host: '127.0.0.1:4321' })).toBe(
      'ws://127.0.0.1:4321/ws-signal/abc_DEF-12'
    );
    expect(getSignalingUrl('abc', { protocol: 'https:', host: 'parley.example' })).toBe(
      'wss://parley.example/ws-signal/abc'
    );
  });
});

describe('parseServerMessage', () => {
  it('takes every message of the protocol', () => {
    const messages: ServerMessage[] = [
      { type: 'welcome', peerId: 'p_1', iceServers: [{ urls: 'stun:stun.example' }] },
      {
        type: 'joined',
        room: 'main',
        peers: [{ peerId: 'p_2', userId: 'u2', name: 'Bob', media: { audio: true, video: false } }]
      },
      {
        type: 'peer-joined',
        room: 'main',
        peer: { peerId: 'p_3', userId: 'u3', name: 'Carol', media: { audio: false, video: true } }
      },
      { type: 'peer-left', room: 'main', peerId: 'p_3' },
      { type: 'peer-media', room: 'main', peerId: 'p_2', media: { audio: false, video: false } },
      { type: 'signal', from: 'p_2', data: { kind: 'offer', sdp: 'v=0' } },
      {
        type: 'signal',
        from: 'p_2',
        data: { kind: 'candidate', candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 } }
      },
      { type: 'left', room: 'r1', reason: 'moved', message: 'You were moved.' },
      { type: 'occupancy', calls: { main: [{ userId: 'u1', name: 'Alice' }], r1: [] } },
      { type: 'error', code: 'full', message: 'This call is full.' }
    ];
    for (const message of messages) expect(parseServerMessage(JSON.stringify(message))).toEqual(message);
  });

  it('skips what is not a message of the protocol', () => {
    for (const frame of [
      'not json',
      '[]',
      'null',
      JSON.stringify({ type: 'surprise' }),
      JSON.stringify({ type: 'welcome' }),
      JSON.stringify({ type: 'joined', room: 'main', peers: [{ peerId: 'p' }] }),
      JSON.stringify({ type: 'signal', from: 'p', data: { kind: 'offer' } }),
      JSON.stringify({ type: 'occupancy', calls: { main: [{ userId: 1 }] } })
    ]) {
      expect(parseServerMessage(frame), frame).toBeNull();
    }
    expect(parseServerMessage(new ArrayBuffer(4))).toBeNull();
  });
});

describe('SignalingClient', () => {
  it('sends JSON once open and hands over parsed messages, skipping bad frames', () => {
    const { client, sockets, received, statuses } = setUp();
    client.connect();
    expect(sockets).toHaveLength(1);
    expect(sockets[0].url).toBe('ws://parley.test/ws-signal/conv1234');
    expect(statuses).toEqual(['connecting']);
    // Not open yet: nothing is queued behind the caller's back.
    expect(client.send({ type: 'leave' })).toBe(false);

    sockets[0].open();
    expect(client.status).toBe('open');
    expect(client.send({ type: 'join', room: 'main', media: { audio: true, video: true } })).toBe(true);
    expect(sockets[0].messages).toEqual([
      { type: 'join', room: 'main', media: { audio: true, video: true } }
    ]);

    sockets[0].receive('garbage');
    sockets[0].receive({ type: 'welcome', peerId: 'p_1', iceServers: [] });
    expect(received).toEqual([{ type: 'welcome', peerId: 'p_1', iceServers: [] }]);
  });

  it('reconnects after a drop with a growing pause, and resets it once connected', () => {
    const { client, sockets, statuses, timers } = setUp();
    client.connect();
    sockets[0].open();
    sockets[0].drop();
    expect(client.status).toBe('closed');
    expect(timers.delays).toEqual([RECONNECT_MIN_MS]);
    timers.runAll();
    expect(sockets).toHaveLength(2);
    sockets[1].drop();
    expect(timers.delays).toEqual([RECONNECT_MIN_MS * 2]);
    timers.runAll();
    sockets[2].drop();
    expect(timers.delays).toEqual([RECONNECT_MIN_MS * 4]);
    for (let i = 0; i < 10; i++) {
      timers.runAll();
      sockets.at(-1)!.drop();
    }
    expect(timers.delays).toEqual([RECONNECT_MAX_MS]);
    timers.runAll();
    sockets.at(-1)!.open();
    sockets.at(-1)!.drop();
    expect(timers.delays).toEqual([RECONNECT_MIN_MS]);
    expect(statuses.slice(0, 4)).toEqual(['connecting', 'open', 'closed', 'connecting']);
  });

  it('close() closes the socket for good: no reconnect, no more messages', () => {
    const { client, sockets, received, timers } = setUp();
    client.connect();
    sockets[0].open();
    const socket = sockets[0];
    client.close();
    expect(socket.closedWith).toBe(1000);
    socket.receive({ type: 'welcome', peerId: 'p_1', iceServers: [] });
    socket.drop();
    expect(received).toEqual([]);
    expect(timers.pending.size).toBe(0);
    client.connect();
    expect(sockets).toHaveLength(1);
  });

  it('4401 (no longer a member) is final: reported, no reconnect', () => {
    const sockets: FakeSocket[] = [];
    const timers = new ManualTimers();
    const finals: [number, string][] = [];
    const client = new SignalingClient({
      url: 'ws://x/ws-signal/c',
      createSocket: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket;
      },
      onMessage: () => {},
      onFinalClose: (code, reason) => finals.push([code, reason]),
      setTimer: timers.set,
      clearTimer: timers.clear
    });
    client.connect();
    sockets[0].open();
    sockets[0].onclose?.({ code: 4401, reason: 'You are no longer a member of this conversation.' });
    expect(finals).toEqual([[4401, 'You are no longer a member of this conversation.']]);
    expect(timers.pending.size).toBe(0);
    expect(client.status).toBe('closed');
  });

  it('a socket that cannot even be created is tried again later', () => {
    const timers = new ManualTimers();
    let attempts = 0;
    const client = new SignalingClient({
      url: 'ws://x/ws-signal/c',
      createSocket: () => {
        attempts++;
        throw new Error('blocked');
      },
      onMessage: () => {},
      setTimer: timers.set,
      clearTimer: timers.clear
    });
    client.connect();
    expect(attempts).toBe(1);
    expect(timers.delays).toEqual([RECONNECT_MIN_MS]);
    client.close();
    expect(timers.pending.size).toBe(0);
  });
});
