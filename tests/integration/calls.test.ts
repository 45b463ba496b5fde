/**
 * Call signaling over the real server (SPEC R110–R119): `/ws-signal/<conversationId>` with raw `ws`
 * clients that speak the messages of src/lib/domain/calls.ts. The server's clock is injected, so a
 * session timer can run out with nobody online.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import {
  MAIN_CALL,
  MAX_CALL_PEERS,
  MAX_SIGNAL_BYTES,
  type ClientMessage,
  type MediaState,
  type ServerMessage
} from '../../src/lib/domain/calls';
import { asUserId, type RoomId } from '../../src/lib/domain/ids';
import type { ClosingSeconds } from '../../src/lib/domain/session';
import {
  assignParticipants,
  createRooms,
  endSession,
  readSession,
  removeRoom,
  startSession
} from '../../src/lib/sync/control';
import { createInvite, joinAsAccount, setRole, signUp, type Actor } from '../helpers/api';
import { getBreakoutMembers, participantsOf, viewOf } from '../helpers/breakout';
import { startTestServer, type TestServer } from '../helpers/server';
import { waitForServerControl } from '../helpers/session';
import { tryUpgrade, type CloseInfo } from '../helpers/yclient';
import { castConversation, createClientPool, type Cast } from './syncFixture';

let server: TestServer;
/** The server's clock (startServer's `now`); tests only move it forward. */
let clock = Date.now();
const pool = createClientPool(() => server);
const sockets: SignalClient[] = [];

beforeAll(async () => {
  // The hub looks at the (fake) clock every 20 ms while a phase change is due, so a moved clock is seen.
  server = await startTestServer({ now: () => clock, calls: { phaseCheckMs: 20 } });
});
afterEach(() => {
  pool.destroyAll();
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});
afterAll(async () => {
  await server.cleanup();
});

const MINUTE = 60_000;
const media: MediaState = { audio: true, video: true };

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

interface SignalClient {
  ws: WebSocket;
  /** Every message from the server, oldest first. */
  readonly messages: ServerMessage[];
  /** This connection's peer id, from its `welcome`. */
  peerId(): Promise<string>;
  /**
   * The first message of `type` matching `match` after the last one `next` returned (earlier ones are
   * skipped); rejects after 5 s with the messages seen.
   */
  next<T extends ServerMessage['type']>(type: T, match?: (message: Of<T>) => boolean): Promise<Of<T>>;
  send(message: ClientMessage | string | Buffer): void;
  closed: Promise<CloseInfo>;
}

const signalBase = () => `${server.url.replace(/^http/, 'ws')}/ws-signal`;

function openSignal(actor: { cookie: string }, conversationId: string): SignalClient {
  const ws = new WebSocket(`${signalBase()}/${conversationId}`, {
    headers: { origin: server.url, cookie: actor.cookie }
  });
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  let cursor = 0;
  ws.on('message', (data, isBinary) => {
    if (isBinary) throw new Error('The hub sent a binary frame');
    messages.push(JSON.parse((data as Buffer).toString('utf8')) as ServerMessage);
    for (const wake of [...waiters]) wake();
  });
  ws.on('error', () => {});
  const closed = new Promise<CloseInfo>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
  const client: SignalClient = {
    ws,
    messages,
    async peerId() {
      const welcome = await waitForMessage((m): m is Of<'welcome'> => m.type === 'welcome', 0);
      return welcome.message.peerId;
    },
    async next(type, match = () => true) {
      const found = await waitForMessage(
        (m): m is Of<typeof type> => m.type === type && match(m as Of<typeof type>),
        cursor
      );
      cursor = found.index + 1;
      return found.message;
    },
    send(message) {
      if (Buffer.isBuffer(message)) ws.send(message, { binary: true });
      else ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    closed
  };
  function waitForMessage<M extends ServerMessage>(
    match: (m: ServerMessage) => m is M,
    from: number
  ): Promise<{ message: M; index: number }> {
    return new Promise((resolve, reject) => {
      const look = () => {
        for (let index = from; index < messages.length; index++) {
          const message = messages[index];
          if (match(message)) {
            waiters.delete(look);
            clearTimeout(timer);
            resolve({ message, index });
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        waiters.delete(look);
        reject(new Error(`No matching message; got ${JSON.stringify(messages.slice(from))}`));
      }, 5_000);
      if (!look()) waiters.add(look);
    });
  }
  // Sending before the socket opened would throw; tests send after `peerId()` or `next()`.
  sockets.push(client);
  return client;
}

/** Opens a connection and joins the call of `room`; resolves with the `joined` message. */
async function joinCall(client: SignalClient, room: string, state: MediaState = media) {
  await client.peerId();
  client.send({ type: 'join', room, media: state });
  return client.next('joined', (m) => m.room === room);
}

/**
 * A round trip through the hub: everything the hub sent to `client` before handling this is in
 * `client.messages` once it resolves (a signal to nobody always comes back as an error).
 */
async function barrier(client: SignalClient): Promise<void> {
  client.send({ type: 'signal', to: 'p_nobody', data: { kind: 'offer', sdp: '' } });
  await client.next('error');
}

const occupants = (message: Of<'occupancy'>, room: string) =>
  (message.calls[room] ?? []).map((entry) => entry.name);

function ok<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(`expected success, got “${result.error}”`);
  return result.value;
}

/**
 * A round trip through the conversation's queue of joins and revisions: a revision scheduled before
 * this (a role change, a control document change that reached the server) has been applied once it
 * resolves. A join of a room that does not exist is always refused.
 */
async function queueBarrier(client: SignalClient): Promise<void> {
  client.send({ type: 'join', room: 'r_nosuchroom', media });
  await client.next('error', (m) => m.code === 'forbidden');
}

/**
 * A cast with alice's control replica synced and two rooms (manual): carol in room 1, bob and dave in
 * room 2.
 */
async function withRooms() {
  const cast = await castConversation(server);
  const alice = pool.connect(cast.alice, cast.controlDoc);
  await alice.whenSynced();
  const members = await getBreakoutMembers(server.url, cast.alice.cookie, cast.conversationId);
  const participants = participantsOf(members);
  const rooms = ok(createRooms(alice.doc, { count: 2, mode: 'manual' }));
  const carol = asUserId(cast.carol.user.id);
  const others = [asUserId(cast.bob.user.id), asUserId(cast.dave.user.id)];
  ok(assignParticipants(alice.doc, { userIds: [carol], roomId: rooms[0], participants, now: clock }));
  ok(assignParticipants(alice.doc, { userIds: others, roomId: rooms[1], participants, now: clock }));
  await waitForServerControl(
    server,
    cast.conversationId,
    (doc) => viewOf(doc, members).rooms.every((room) => room.members.length > 0),
    'the setup at the server'
  );
  return { cast, alice, members, participants, rooms };
}

/** Starts a session at the server's time and waits until the server has it. */
async function start(
  cast: Cast,
  alice: { doc: Y.Doc },
  options: { timerMinutes?: number | null; closingSeconds?: ClosingSeconds } = {}
) {
  const session = ok(
    startSession(alice.doc, {
      timerMinutes: options.timerMinutes ?? null,
      closingSeconds: options.closingSeconds ?? 60,
      moveAutomatically: true,
      allowReturn: false,
      now: clock
    })
  );
  await waitForServerControl(
    server,
    cast.conversationId,
    (doc) => readSession(doc)?.runId === session.runId,
    'the session at the server'
  );
  return session;
}

describe('the signaling socket', () => {
  it('R111: the upgrade is refused without a cookie (401), from another origin (403), to a non-member (403) and for an unknown conversation (404)', async () => {
    const cast = await castConversation(server);
    const outsider = await signUp(server.url, `outsider${Date.now()}`);
    const attempt = (actor: { cookie: string }, options: { origin?: string; id?: string } = {}) =>
      tryUpgrade({
        baseUrl: signalBase(),
        docName: options.id ?? cast.conversationId,
        cookie: actor.cookie,
        origin: options.origin
      });

    expect(await attempt({ cookie: '' })).toEqual({
      status: 401,
      body: 'Sign in or join as a guest before joining a call.\n'
    });
    expect(await attempt(cast.bob, { origin: 'https://evil.example' })).toEqual({
      status: 403,
      body: 'This page’s origin may not join Parley calls.\n'
    });
    expect(await attempt(outsider)).toEqual({
      status: 403,
      body: 'Only members of this conversation may join its calls.\n'
    });
    expect((await attempt(cast.bob, { id: 'c_doesnotexist0000' })).status).toBe(404);
    expect((await attempt(cast.bob, { id: 'not an id' })).status).toBe(404);
    expect((await attempt(cast.dave)).status).toBe(101);
  });

  it('R111 R113 R118: a member gets a peer id and the ICE servers, then who is in which call', async () => {
    const cast = await castConversation(server);
    const bob = openSignal(cast.bob, cast.conversationId);
    const welcome = await bob.next('welcome');
    expect(welcome).toEqual({
      type: 'welcome',
      peerId: expect.stringMatching(/^p_[A-Za-z0-9_-]{22}$/),
      iceServers: []
    });
    expect(await bob.next('occupancy')).toEqual({ type: 'occupancy', calls: {} });

    await joinCall(bob, MAIN_CALL);
    const dave = openSignal(cast.dave, cast.conversationId);
    const first = await dave.next('occupancy');
    expect(first.calls).toEqual({ main: [{ userId: cast.bob.user.id, name: 'Bob' }] });
    expect((await dave.peerId()) === (await bob.peerId())).toBe(false);
  });
});

describe('who may be in which call', () => {
  it('R114 R117: a participant cannot join a breakout room’s call they are not in (error forbidden, the connection stays) but can join the main call; a moderator joins any room’s', async () => {
    const { cast, rooms } = await withRooms();
    const carol = openSignal(cast.carol, cast.conversationId);
    await carol.peerId();
    // No session runs: carol is in the main room, although assigned to room 1.
    carol.send({ type: 'join', room: rooms[0], media });
    expect(await carol.next('error')).toEqual({
      type: 'error',
      code: 'forbidden',
      message: expect.stringMatching(/You are in the main room/)
    });
    carol.send({ type: 'join', room: 'r_madeup', media });
    expect(await carol.next('error')).toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/no such room/)
    });
    expect(await joinCall(carol, MAIN_CALL)).toEqual({ type: 'joined', room: MAIN_CALL, peers: [] });

    const alice = openSignal(cast.alice, cast.conversationId);
    expect(await joinCall(alice, rooms[1])).toEqual({ type: 'joined', room: rooms[1], peers: [] });
    const occupancy = await carol.next('occupancy', (m) => rooms[1] in m.calls);
    expect(occupants(occupancy, MAIN_CALL)).toEqual(['Carol']);
    expect(occupants(occupancy, rooms[1])).toEqual(['Alice']);
  });

  it('R114: during a session a participant joins only their own room’s call', async () => {
    const { cast, alice: control, rooms } = await withRooms();
    await start(cast, control);
    const carol = openSignal(cast.carol, cast.conversationId);
    await carol.peerId();
    for (const room of [MAIN_CALL, rooms[1]]) {
      carol.send({ type: 'join', room, media });
      expect(await carol.next('error')).toMatchObject({
        code: 'forbidden',
        message: expect.stringMatching(/You are in a breakout room/)
      });
    }
    expect((await joinCall(carol, rooms[0])).peers).toEqual([]);
  });

  it('R112: a ninth peer is refused with a sentence saying the call is full', async () => {
    const cast = await castConversation(server);
    const invite = await createInvite(server.url, cast.alice.cookie, cast.conversationId);
    const extra: Actor[] = [];
    for (let i = 0; i < 5; i++) {
      const actor = await signUp(server.url, `extra${i}x${Date.now()}`, { displayName: `Extra ${i}` });
      await joinAsAccount(server.url, actor.cookie, invite.token);
      extra.push(actor);
    }
    const everyone = [cast.alice, cast.bob, cast.carol, cast.dave, ...extra];
    expect(everyone).toHaveLength(MAX_CALL_PEERS + 1);
    const clients = everyone.map((actor) => openSignal(actor, cast.conversationId));
    for (const [index, client] of clients.slice(0, MAX_CALL_PEERS).entries()) {
      expect((await joinCall(client, MAIN_CALL)).peers).toHaveLength(index);
    }
    const ninth = clients[MAX_CALL_PEERS];
    await ninth.peerId();
    ninth.send({ type: 'join', room: MAIN_CALL, media });
    expect(await ninth.next('error')).toEqual({
      type: 'error',
      code: 'full',
      message: 'This call is full: a call holds at most 8 people.'
    });
    // Someone leaves: now there is room.
    clients[0].send({ type: 'leave' });
    expect(await clients[0].next('left')).toMatchObject({ room: MAIN_CALL, reason: 'left' });
    expect((await joinCall(ninth, MAIN_CALL)).peers).toHaveLength(MAX_CALL_PEERS - 1);
  });
});

describe('signaling', () => {
  it('R111 R114: a signal is relayed only to a peer of the same call, with the sender’s id; to a peer of another call it is refused', async () => {
    const { cast, rooms } = await withRooms();
    const bob = openSignal(cast.bob, cast.conversationId);
    const carol = openSignal(cast.carol, cast.conversationId);
    const alice = openSignal(cast.alice, cast.conversationId);
    const dave = openSignal(cast.dave, cast.conversationId);
    await joinCall(bob, MAIN_CALL);
    const joined = await joinCall(carol, MAIN_CALL, { audio: false, video: true });
    await joinCall(alice, rooms[0]);
    const [bobId, carolId, aliceId] = await Promise.all([bob.peerId(), carol.peerId(), alice.peerId()]);
    expect(joined.peers).toEqual([{ peerId: bobId, userId: cast.bob.user.id, name: 'Bob', media }]);
    expect(await bob.next('peer-joined')).toEqual({
      type: 'peer-joined',
      room: MAIN_CALL,
      peer: {
        peerId: carolId,
        userId: cast.carol.user.id,
        name: 'Carol',
        media: { audio: false, video: true }
      }
    });

    // Whoever joins offers to those already there; the answer goes back.
    carol.send({ type: 'signal', to: bobId, data: { kind: 'offer', sdp: 'v=0 offer' } });
    expect(await bob.next('signal')).toEqual({
      type: 'signal',
      from: carolId,
      data: { kind: 'offer', sdp: 'v=0 offer' }
    });
    const candidate = {
      candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0
    };
    bob.send({ type: 'signal', to: carolId, data: { kind: 'candidate', candidate } });
    expect(await carol.next('signal')).toEqual({
      type: 'signal',
      from: bobId,
      data: { kind: 'candidate', candidate }
    });

    // Alice is in another call: refused, and nothing reaches her.
    bob.send({ type: 'signal', to: aliceId, data: { kind: 'offer', sdp: 'v=0 sneaky' } });
    expect(await bob.next('error')).toMatchObject({ code: 'unknown-peer' });
    // Dave is in no call at all.
    await dave.peerId();
    dave.send({ type: 'signal', to: bobId, data: { kind: 'offer', sdp: 'v=0 outsider' } });
    expect(await dave.next('error')).toMatchObject({ code: 'not-in-call' });
    await Promise.all([barrier(alice), barrier(bob)]);
    expect(alice.messages.filter((m) => m.type === 'signal')).toEqual([]);
    expect(bob.messages.filter((m) => m.type === 'signal')).toHaveLength(1);

    // "Mute" reaches the others in the call only.
    carol.send({ type: 'media', media: { audio: false, video: false } });
    expect(await bob.next('peer-media')).toEqual({
      type: 'peer-media',
      room: MAIN_CALL,
      peerId: carolId,
      media: { audio: false, video: false }
    });
    await barrier(alice);
    expect(alice.messages.filter((m) => m.type === 'peer-media')).toEqual([]);
  });

  it('R117: a malformed frame and an oversized frame close only that connection with 4400; the others’ call carries on', async () => {
    const cast = await castConversation(server);
    const alice = openSignal(cast.alice, cast.conversationId);
    const bob = openSignal(cast.bob, cast.conversationId);
    await joinCall(alice, MAIN_CALL);
    await joinCall(bob, MAIN_CALL);
    const [aliceId, bobId] = await Promise.all([alice.peerId(), bob.peerId()]);

    const frames: Array<{ frame: string | Buffer; reason: RegExp }> = [
      { frame: 'not json', reason: /not a signaling message/ },
      { frame: JSON.stringify({ type: 'hello' }), reason: /not a signaling message/ },
      {
        frame: JSON.stringify({ type: 'join', room: MAIN_CALL, media: { audio: 'yes' } }),
        reason: /not a signaling message/
      },
      { frame: Buffer.from([1, 2, 3]), reason: /JSON text frames/ },
      {
        frame: JSON.stringify({
          type: 'signal',
          to: bobId,
          data: { kind: 'offer', sdp: 'x'.repeat(MAX_SIGNAL_BYTES) }
        }),
        reason: /at most 64 KiB/
      }
    ];
    for (const { frame, reason } of frames) {
      const carol = openSignal(cast.carol, cast.conversationId);
      await joinCall(carol, MAIN_CALL);
      const carolId = await carol.peerId();
      await alice.next('peer-joined', (m) => m.peer.peerId === carolId);
      await bob.next('occupancy', (m) => occupants(m, MAIN_CALL).includes('Carol'));
      carol.send(frame);
      const close = await carol.closed;
      expect(close.code, String(reason)).toBe(4400);
      expect(close.reason).toMatch(reason);
      expect(await alice.next('peer-left')).toEqual({ type: 'peer-left', room: MAIN_CALL, peerId: carolId });
      const occupancy = await bob.next('occupancy', (m) => !occupants(m, MAIN_CALL).includes('Carol'));
      expect(occupants(occupancy, MAIN_CALL)).toEqual(['Alice', 'Bob']);
    }

    // The others' call carries on.
    alice.send({ type: 'signal', to: bobId, data: { kind: 'offer', sdp: 'v=0 still here' } });
    expect(await bob.next('signal')).toEqual({
      type: 'signal',
      from: aliceId,
      data: { kind: 'offer', sdp: 'v=0 still here' }
    });
    expect(alice.ws.readyState).toBe(WebSocket.OPEN);
    expect(bob.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('R116: a peer that vanishes mid-negotiation leaves its call at once for everyone (peer-left, occupancy)', async () => {
    const cast = await castConversation(server);
    const bob = openSignal(cast.bob, cast.conversationId);
    const carol = openSignal(cast.carol, cast.conversationId);
    const dave = openSignal(cast.dave, cast.conversationId);
    await joinCall(bob, MAIN_CALL);
    await joinCall(dave, MAIN_CALL);
    await joinCall(carol, MAIN_CALL);
    const [bobId, carolId, daveId] = await Promise.all([bob.peerId(), carol.peerId(), dave.peerId()]);
    carol.send({ type: 'signal', to: bobId, data: { kind: 'offer', sdp: 'v=0 half' } });
    await bob.next('signal');

    // Gone without a close frame (a crashed tab, a lost network).
    carol.ws.terminate();
    for (const other of [bob, dave]) {
      expect(await other.next('peer-left')).toEqual({ type: 'peer-left', room: MAIN_CALL, peerId: carolId });
      const occupancy = await other.next('occupancy');
      expect(occupants(occupancy, MAIN_CALL)).toEqual(['Bob', 'Dave']);
    }
    // An answer to the vanished peer is refused; the rest of the call goes on.
    bob.send({ type: 'signal', to: carolId, data: { kind: 'answer', sdp: 'v=0 late' } });
    expect(await bob.next('error')).toMatchObject({ code: 'unknown-peer' });
    bob.send({ type: 'signal', to: daveId, data: { kind: 'offer', sdp: 'v=0 fine' } });
    expect(await dave.next('signal')).toMatchObject({ from: bobId });
  });

  it('R116: another tab of the same member joining the call takes the place of the first', async () => {
    const cast = await castConversation(server);
    const bob = openSignal(cast.bob, cast.conversationId);
    const firstTab = openSignal(cast.carol, cast.conversationId);
    const secondTab = openSignal(cast.carol, cast.conversationId);
    await joinCall(bob, MAIN_CALL);
    await joinCall(firstTab, MAIN_CALL);
    const [bobId, firstId, secondId] = await Promise.all([
      bob.peerId(),
      firstTab.peerId(),
      secondTab.peerId()
    ]);
    await bob.next('peer-joined', (m) => m.peer.peerId === firstId);

    const joined = await joinCall(secondTab, MAIN_CALL);
    expect(joined.peers.map((peer) => peer.peerId)).toEqual([bobId]);
    expect(await firstTab.next('left')).toEqual({
      type: 'left',
      room: MAIN_CALL,
      reason: 'replaced',
      message: expect.stringMatching(/another tab or window/)
    });
    expect(await bob.next('peer-left')).toMatchObject({ peerId: firstId });
    expect(await bob.next('peer-joined')).toMatchObject({ peer: { peerId: secondId } });
    const occupancy = await bob.next('occupancy', (m) => occupants(m, MAIN_CALL).length === 2);
    expect(occupants(occupancy, MAIN_CALL)).toEqual(['Bob', 'Carol']);
    // The first tab is still connected, just out of the call.
    firstTab.send({ type: 'signal', to: bobId, data: { kind: 'offer', sdp: '' } });
    expect(await firstTab.next('error')).toMatchObject({ code: 'not-in-call' });
  });
});

describe('calls follow the session', () => {
  it('R115: starting the session takes a participant out of the main call (moved); a move and the end do the same, and the moderator stays', async () => {
    const { cast, alice: control, participants, rooms } = await withRooms();
    const carol = openSignal(cast.carol, cast.conversationId);
    const alice = openSignal(cast.alice, cast.conversationId);
    await joinCall(alice, MAIN_CALL);
    await joinCall(carol, MAIN_CALL);
    const carolId = await carol.peerId();

    await start(cast, control);
    expect(await carol.next('left')).toEqual({
      type: 'left',
      room: MAIN_CALL,
      reason: 'moved',
      message: expect.stringMatching(/another room/)
    });
    expect(await alice.next('peer-left')).toMatchObject({ peerId: carolId });
    // The page joins the call of the room the session put carol in.
    await joinCall(carol, rooms[0]);
    expect(occupants(await alice.next('occupancy', (m) => rooms[0] in m.calls), rooms[0])).toEqual(['Carol']);

    // A moderator moves carol to room 2.
    const carolUser = asUserId(cast.carol.user.id);
    ok(
      assignParticipants(control.doc, {
        userIds: [carolUser],
        roomId: rooms[1] as RoomId,
        participants,
        now: clock
      })
    );
    expect(await carol.next('left')).toMatchObject({ room: rooms[0], reason: 'moved' });
    await joinCall(carol, rooms[1]);

    // "End breakout sessions" with no countdown: everyone is back in the main room at once.
    ok(endSession(control.doc, { closingSeconds: 0, now: clock }));
    expect(await carol.next('left')).toMatchObject({ room: rooms[1], reason: 'moved' });
    expect((await joinCall(carol, MAIN_CALL)).peers.map((peer) => peer.name)).toEqual(['Alice']);
    // Alice, a moderator, was never taken out of the main call.
    await barrier(alice);
    expect(alice.messages.filter((m) => m.type === 'left')).toEqual([]);
  });

  it('R115 R76: removing the room a participant’s call is in takes them out (moved)', async () => {
    const { cast, alice: control, rooms } = await withRooms();
    await start(cast, control);
    const carol = openSignal(cast.carol, cast.conversationId);
    await joinCall(carol, rooms[0]);
    ok(removeRoom(control.doc, { roomId: rooms[0] }));
    expect(await carol.next('left')).toMatchObject({ room: rooms[0], reason: 'moved' });
    expect((await joinCall(carol, MAIN_CALL)).room).toBe(MAIN_CALL);
  });

  it('R115 R71: a timer that runs out with nobody online brings the room’s call back to the main call', async () => {
    const { cast, alice: control, rooms } = await withRooms();
    await start(cast, control, { timerMinutes: 1, closingSeconds: 10 });
    // The moderator goes offline.
    pool.destroyAll();
    const carol = openSignal(cast.carol, cast.conversationId);
    await joinCall(carol, rooms[0]);

    // The timer runs out and the closing countdown ends; nobody changes the control document.
    clock += 1 * MINUTE + 10_000;
    expect(await carol.next('left')).toMatchObject({ room: rooms[0], reason: 'moved' });
    expect((await joinCall(carol, MAIN_CALL)).room).toBe(MAIN_CALL);
  });

  it('R115 R14: a moderator demoted while in a breakout room’s call is taken out (access); one promoted stays', async () => {
    const { cast, rooms } = await withRooms();
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'moderator'
    });
    const bob = openSignal(cast.bob, cast.conversationId);
    const carol = openSignal(cast.carol, cast.conversationId);
    const dave = openSignal(cast.dave, cast.conversationId);
    await joinCall(bob, rooms[0]);
    await joinCall(carol, MAIN_CALL);
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'participant'
    });
    expect(await bob.next('left')).toEqual({
      type: 'left',
      room: rooms[0],
      reason: 'access',
      message: expect.stringMatching(/role in this conversation changed/)
    });
    expect(bob.ws.readyState).toBe(WebSocket.OPEN);
    // A participant promoted while in the main call stays in it.
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.carol.user.id,
      role: 'moderator'
    });
    await dave.peerId();
    await queueBarrier(dave);
    await barrier(carol);
    expect(carol.messages.filter((m) => m.type === 'left')).toEqual([]);
    expect(bob.messages.filter((m) => m.type === 'left')).toHaveLength(1);
  });
});
