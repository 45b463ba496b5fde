import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REFUSED_SENTENCE, type AcquireResult } from '../calls/media';
import {
  asStream,
  FakePeerConnection,
  FakeSocket,
  FakeStream,
  FakeTrack,
  ManualTimers,
  settle
} from '../calls/testing';
import { MAIN_CALL, type CallPeer, type ServerMessage } from '../domain/calls';
import { CallState, type CallView } from './call.svelte';

const ROOM1 = 'room0001';
const ROOM2 = 'room0002';

const peer = (name: string, media = { audio: true, video: true }): CallPeer => ({
  peerId: `p_${name.toLowerCase()}`,
  userId: `u_${name.toLowerCase()}`,
  name,
  media
});

const originalMediaStream = globalThis.MediaStream;
beforeAll(() => {
  globalThis.MediaStream = FakeStream as unknown as typeof MediaStream;
});
afterAll(() => {
  globalThis.MediaStream = originalMediaStream;
});
beforeEach(() => {
  FakePeerConnection.created = [];
});

function setUp({
  role = 'participant',
  acquire
}: { role?: CallView['role']; acquire?: () => Promise<AcquireResult> } = {}) {
  const sockets: FakeSocket[] = [];
  const timers = new ManualTimers();
  const view: CallView = {
    role,
    viewRoomId: null,
    location: null,
    rooms: [
      { id: ROOM1, name: 'Room 1' },
      { id: ROOM2, name: 'Room 2' }
    ]
  };
  const tracks = { audio: new FakeTrack('audio'), video: new FakeTrack('video') };
  const call = new CallState({
    conversationId: 'conv0001',
    url: 'ws://parley.test/ws-signal/conv0001',
    me: { userId: 'u_alice', displayName: 'Alice' },
    getView: () => ({ ...view }),
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    acquire:
      acquire ??
      (async () => ({
        ok: true,
        media: {
          stream: asStream(new FakeStream([tracks.audio, tracks.video])),
          hasCamera: true,
          hasMicrophone: true,
          notice: null
        }
      })),
    getCamera: async () => ({ ok: true, track: new FakeTrack('video') as unknown as MediaStreamTrack }),
    createPeerConnection: (config) => new FakePeerConnection(config),
    setTimer: timers.set,
    clearTimer: timers.clear
  });
  const socket = () => sockets.at(-1)!;
  const receive = (message: ServerMessage) => socket().receive(message);
  /** The page's room changes; the effect that runs `follow()` in the browser is run by hand here. */
  const show = (next: Partial<CallView>) => {
    Object.assign(view, next);
    call.follow();
  };
  const connect = () => {
    socket().open();
    receive({ type: 'welcome', peerId: 'p_alice', iceServers: [] });
  };
  const sent = () => socket().messages;
  const joins = () => sent().filter((m) => m.type === 'join');
  return { call, view, sockets, socket, receive, show, connect, sent, joins, timers, tracks };
}

async function inMainCall(t: ReturnType<typeof setUp>, peers: CallPeer[] = [peer('Bob')]) {
  t.connect();
  await t.call.join();
  t.receive({ type: 'joined', room: MAIN_CALL, peers });
  await settle();
}

describe('CallState: joining', () => {
  it('R110, R111: "Start call" asks for the devices, joins the call of the room the page shows, and offers to each peer there', async () => {
    const t = setUp();
    expect(t.sockets[0].url).toMatch(/\/ws-signal\/conv0001$/);
    t.connect();
    expect(t.call.running).toBe(false);
    await t.call.start();
    expect(t.joins()).toEqual([{ type: 'join', room: MAIN_CALL, media: { audio: true, video: true } }]);
    expect(t.call.status).toBe('joining');

    t.receive({ type: 'joined', room: MAIN_CALL, peers: [peer('Bob'), peer('Carol')] });
    await settle();
    expect(t.call.status).toBe('in-call');
    expect(t.call.room).toBe(MAIN_CALL);
    expect(t.call.participants.map((p) => p.name)).toEqual(['Bob', 'Carol']);
    expect(t.sent().filter((m) => m.type === 'signal')).toEqual([
      { type: 'signal', to: 'p_bob', data: { kind: 'offer', sdp: 'offer(sendrecv,sendrecv)' } },
      { type: 'signal', to: 'p_carol', data: { kind: 'offer', sdp: 'offer(sendrecv,sendrecv)' } }
    ]);
  });

  it('R118: "Join call" once someone is in the call of the room the page shows, with the counts per room', () => {
    const t = setUp();
    t.connect();
    t.receive({
      type: 'occupancy',
      calls: { [MAIN_CALL]: [{ userId: 'u_bob', name: 'Bob' }], [ROOM1]: [] }
    });
    expect(t.call.running).toBe(true);
    expect(t.call.targetCount).toBe(1);
    expect(t.call.countOf(ROOM1)).toBe(0);
    expect(t.call.countOf(ROOM2)).toBe(0);
  });

  it('waits for the welcome before joining, and joins then', async () => {
    const t = setUp();
    await t.call.join();
    expect(t.call.status).toBe('joining');
    t.connect();
    expect(t.joins()).toHaveLength(1);
  });

  it('R119: devices refused: the sentence, no join, not in a call', async () => {
    const t = setUp({ acquire: async () => ({ ok: false, error: REFUSED_SENTENCE }) });
    t.connect();
    await t.call.join();
    expect(t.call.error).toBe(REFUSED_SENTENCE);
    expect(t.call.status).toBe('idle');
    expect(t.joins()).toEqual([]);
  });

  it('R112: a full call: the sentence, not in a call, the devices released', async () => {
    const t = setUp();
    t.connect();
    await t.call.join();
    t.receive({ type: 'error', code: 'full', message: 'This call is full (8 people).' });
    expect(t.call.status).toBe('idle');
    expect(t.call.error).toBe('This call is full (8 people).');
    expect(t.tracks.audio.readyState).toBe('ended');
  });

  it('R112: the call of the room the page shows is full with 8 others in it; not when this user is one of them', () => {
    const t = setUp();
    t.connect();
    const eight = Array.from({ length: 8 }, (_, i) => ({ userId: `u_${i}`, name: `P${i}` }));
    t.receive({ type: 'occupancy', calls: { [MAIN_CALL]: eight } });
    expect(t.call.full).toBe(true);
    expect(t.call.targetCount).toBe(8);
    t.receive({
      type: 'occupancy',
      calls: { [MAIN_CALL]: [...eight.slice(1), { userId: 'u_alice', name: 'Alice' }] }
    });
    expect(t.call.full).toBe(false);
  });

  it('R114: a participant may not join a call the session does not put them in', async () => {
    const t = setUp();
    t.view.location = ROOM1;
    t.connect();
    expect(t.call.mayJoin).toBe(false);
    await t.call.join();
    expect(t.joins()).toEqual([]);
    expect(t.call.error).toMatch(/cannot join the call of Main room/);
  });
});

describe('CallState: in a call', () => {
  it('peers joining, changing their media and leaving', async () => {
    const t = setUp();
    await inMainCall(t);
    t.receive({ type: 'peer-joined', room: MAIN_CALL, peer: peer('Dave') });
    expect(t.call.participants.map((p) => p.name)).toEqual(['Bob', 'Dave']);
    // Dave offers (he joined after): this page answers.
    t.receive({ type: 'signal', from: 'p_dave', data: { kind: 'offer', sdp: 'offer' } });
    await settle();
    expect(t.sent().at(-1)).toMatchObject({ type: 'signal', to: 'p_dave', data: { kind: 'answer' } });
    const davePc = FakePeerConnection.created[1];
    davePc.emitTrack('audio');
    expect(t.call.participants[1].stream).not.toBeNull();

    t.receive({
      type: 'peer-media',
      room: MAIN_CALL,
      peerId: 'p_dave',
      media: { audio: false, video: true }
    });
    expect(t.call.participants[1].media).toEqual({ audio: false, video: true });
    t.receive({ type: 'peer-left', room: MAIN_CALL, peerId: 'p_dave' });
    expect(t.call.participants.map((p) => p.name)).toEqual(['Bob']);
    expect(davePc.closed).toBe(true);
  });

  it('"Mute" and "Turn camera off" change the tracks and tell the others', async () => {
    const t = setUp();
    await inMainCall(t);
    t.call.toggleMute();
    expect(t.tracks.audio.enabled).toBe(false);
    expect(t.sent().at(-1)).toEqual({ type: 'media', media: { audio: false, video: true } });
    await t.call.toggleCamera();
    expect(t.tracks.video.readyState).toBe('ended');
    expect(t.sent().at(-1)).toEqual({ type: 'media', media: { audio: false, video: false } });
    expect(FakePeerConnection.created[0].transceivers[1].sender.track).toBeNull();
    await t.call.toggleCamera();
    expect(t.sent().at(-1)).toEqual({ type: 'media', media: { audio: false, video: true } });
    expect(FakePeerConnection.created[0].transceivers[1].sender.track).not.toBeNull();
  });

  it('"Leave call" leaves, closes every connection and releases the devices', async () => {
    const t = setUp();
    await inMainCall(t);
    t.call.leave();
    expect(t.sent().at(-1)).toEqual({ type: 'leave' });
    expect(t.call.status).toBe('idle');
    expect(FakePeerConnection.created[0].closed).toBe(true);
    expect(t.tracks.video.readyState).toBe('ended');
    // The server's confirmation changes nothing.
    t.receive({ type: 'left', room: MAIN_CALL, reason: 'left', message: 'You left the call.' });
    expect(t.call.status).toBe('idle');
    expect(t.joins()).toHaveLength(1);
  });
});

describe('CallState: calls follow the page (R115)', () => {
  it('a moderator who visits a room hops to its call, keeping mute, and back', async () => {
    const t = setUp({ role: 'owner' });
    await inMainCall(t);
    t.call.toggleMute();
    t.show({ viewRoomId: ROOM1 });
    expect(FakePeerConnection.created[0].closed).toBe(true);
    expect(t.joins().at(-1)).toEqual({ type: 'join', room: ROOM1, media: { audio: false, video: true } });
    expect(t.call.status).toBe('moving');
    t.receive({ type: 'left', room: MAIN_CALL, reason: 'left', message: '' });
    t.receive({ type: 'joined', room: ROOM1, peers: [] });
    expect(t.call.status).toBe('in-call');
    expect(t.call.room).toBe(ROOM1);
    t.show({ viewRoomId: null });
    expect(t.joins().at(-1)).toEqual({ type: 'join', room: MAIN_CALL, media: { audio: false, video: true } });
  });

  it('moved by the session: waits for the page to show the new room, then joins its call with the same media', async () => {
    const t = setUp();
    await inMainCall(t);
    await t.call.toggleCamera();
    t.receive({ type: 'left', room: MAIN_CALL, reason: 'moved', message: 'Breakout sessions started.' });
    expect(t.call.status).toBe('moving');
    expect(t.call.participants).toEqual([]);
    expect(FakePeerConnection.created[0].closed).toBe(true);
    // The page still shows the main room: not joined again.
    t.call.follow();
    expect(t.joins()).toHaveLength(1);
    t.show({ location: ROOM1, viewRoomId: ROOM1 });
    expect(t.joins().at(-1)).toEqual({ type: 'join', room: ROOM1, media: { audio: true, video: false } });
    t.receive({ type: 'joined', room: ROOM1, peers: [peer('Bob')] });
    await settle();
    expect(t.call.room).toBe(ROOM1);
    expect(t.call.status).toBe('in-call');
  });

  it('the page shows the new room before the server says so: joins at once; the late "left" changes nothing', async () => {
    const t = setUp();
    await inMainCall(t);
    t.show({ location: ROOM1, viewRoomId: ROOM1 });
    expect(t.joins().at(-1)).toMatchObject({ type: 'join', room: ROOM1 });
    t.receive({ type: 'left', room: MAIN_CALL, reason: 'moved', message: '' });
    expect(t.call.status).toBe('moving');
    t.receive({ type: 'joined', room: ROOM1, peers: [] });
    expect(t.call.status).toBe('in-call');
    expect(t.joins()).toHaveLength(2);
  });

  it('not moved automatically (R74): waits until the participant joins their room, then its call', async () => {
    const t = setUp();
    await inMainCall(t);
    t.receive({ type: 'left', room: MAIN_CALL, reason: 'moved', message: '' });
    t.show({ location: ROOM1, viewRoomId: null });
    expect(t.call.status).toBe('waiting');
    expect(t.joins()).toHaveLength(1);
    t.show({ viewRoomId: ROOM1 });
    expect(t.joins().at(-1)).toMatchObject({ type: 'join', room: ROOM1 });
  });

  it('a refused join while following is tried again once the timer runs; a second refusal ends it', async () => {
    const t = setUp();
    await inMainCall(t);
    t.show({ location: ROOM1, viewRoomId: ROOM1 });
    t.receive({ type: 'error', code: 'forbidden', message: 'Not in that room.' });
    expect(t.call.status).toBe('moving');
    expect(t.call.error).toBeNull();
    t.timers.runAll();
    expect(t.joins()).toHaveLength(3);
    t.receive({ type: 'error', code: 'forbidden', message: 'Not in that room.' });
    expect(t.call.status).toBe('idle');
    expect(t.call.error).toBe('Not in that room.');
  });

  it('R116: another tab took the place: this one stops, saying so', async () => {
    const t = setUp();
    await inMainCall(t);
    t.receive({ type: 'left', room: MAIN_CALL, reason: 'replaced', message: 'You joined from another tab.' });
    expect(t.call.status).toBe('idle');
    expect(t.call.notice).toBe('You joined from another tab.');
    expect(t.tracks.audio.readyState).toBe('ended');
  });

  it('R116: the socket drops mid-call: the call is rejoined on the next welcome', async () => {
    const t = setUp();
    await inMainCall(t);
    t.socket().drop();
    expect(t.call.status).toBe('moving');
    expect(FakePeerConnection.created[0].closed).toBe(true);
    t.timers.runAll();
    expect(t.sockets).toHaveLength(2);
    t.connect();
    expect(t.joins()).toEqual([{ type: 'join', room: MAIN_CALL, media: { audio: true, video: true } }]);
  });
});
