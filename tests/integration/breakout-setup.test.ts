/**
 * Breakout setup over the real server with stock y-websocket clients (SPEC R40–R47): co-moderators'
 * concurrent edits converge, the server places late joiners, a participant cannot change the setup.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { asRoomId, asUserId, type RoomId } from '../../src/lib/domain/ids';
import {
  addRoom,
  assignParticipants,
  createRooms,
  readBreakoutState,
  removeRoom,
  renameRoom,
  setMode
} from '../../src/lib/sync/control';
import { api, createInvite, joinAsAccount, joinAsGuest, setRole, signUp, waitFor } from '../helpers/api';
import {
  findInvalidity,
  getBreakoutMembers,
  participantsOf,
  viewOf,
  waitForSameState
} from '../helpers/breakout';
import { startTestServer, type TestServer } from '../helpers/server';
import { castConversation, createClientPool, readStoredDoc, type Cast } from './syncFixture';

let server: TestServer;
const pool = createClientPool(() => server);

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(() => {
  pool.destroyAll();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await server.cleanup();
});

function ok<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(`expected success, got “${result.error}”`);
  return result.value;
}

/** A cast whose bob is a co-moderator, with alice's and bob's control replicas synced. */
async function twoModerators() {
  const cast = await castConversation(server);
  await setRole(server.url, cast.alice.cookie, {
    conversationId: cast.conversationId,
    userId: cast.bob.user.id,
    role: 'moderator'
  });
  const alice = pool.connect(cast.alice, cast.controlDoc);
  const bob = pool.connect(cast.bob, cast.controlDoc);
  await Promise.all([alice.whenSynced(), bob.whenSynced()]);
  const members = await getBreakoutMembers(server.url, cast.alice.cookie, cast.conversationId);
  return { cast, alice, bob, members, participants: participantsOf(members) };
}

const ids = (cast: Cast) => ({
  carol: asUserId(cast.carol.user.id),
  dave: asUserId(cast.dave.user.id)
});

describe('co-moderators editing the same setup', () => {
  it('R41 R42 R43: edits made apart (same room renamed, same person moved, a room removed while assigned to) end identical and valid', async () => {
    const { cast, alice, bob, members, participants } = await twoModerators();
    const { carol, dave } = ids(cast);
    const rooms = ok(createRooms(alice.doc, { count: 3, mode: 'manual', actor: 'alice' }));
    ok(assignParticipants(alice.doc, { userIds: [carol], roomId: rooms[0], participants, now: 1 }));
    await waitForSameState([alice.doc, bob.doc], 'the first setup at bob');
    expect(viewOf(bob.doc, members).rooms.map((r) => r.name)).toEqual(['Room 1', 'Room 2', 'Room 3']);

    bob.provider.disconnect();
    await waitFor(() => !bob.provider.wsconnected, { what: 'bob offline' });

    ok(renameRoom(alice.doc, { roomId: rooms[0], name: 'Alpha' }));
    ok(assignParticipants(alice.doc, { userIds: [carol], roomId: rooms[1], participants, now: 2 }));
    ok(removeRoom(alice.doc, { roomId: rooms[2] }));

    ok(renameRoom(bob.doc, { roomId: rooms[0], name: 'Beta' }));
    ok(assignParticipants(bob.doc, { userIds: [carol], roomId: rooms[0], participants, now: 3 }));
    ok(assignParticipants(bob.doc, { userIds: [dave], roomId: rooms[2], participants, now: 3 }));
    // Apart: neither has seen the other's changes, and the server has only alice's.
    expect(viewOf(alice.doc, members).rooms[0].name).toBe('Alpha');
    expect(viewOf(bob.doc, members).rooms[0].name).toBe('Beta');
    const apart = pool.connect(cast.carol, cast.controlDoc);
    await waitForSameState([alice.doc, apart.doc], 'alice’s edits at the server');
    expect(viewOf(apart.doc, members).rooms.map((r) => r.name)).toEqual(['Alpha', 'Room 2']);
    expect(readBreakoutState(apart.doc).assignments.has(dave)).toBe(false);

    bob.provider.connect();
    await bob.whenSynced();
    await waitForSameState([alice.doc, bob.doc]);

    expect(Y.encodeStateVector(alice.doc)).toEqual(Y.encodeStateVector(bob.doc));
    const view = viewOf(alice.doc, members);
    expect(viewOf(bob.doc, members)).toEqual(view);
    expect(findInvalidity(alice.doc, members)).toBeNull();
    expect(['Alpha', 'Beta']).toContain(view.rooms[0].name);
    expect(view.rooms.map((r) => r.id)).toEqual([rooms[0], rooms[1]]);
    expect([rooms[0], rooms[1]]).toContain(view.roomOf.get(carol));
    expect(view.rooms.filter((r) => r.members.includes(carol))).toHaveLength(1);
    expect(view.roomOf.has(dave)).toBe(false);
    expect(view.unassigned).toContain(dave);

    // The server holds the merged state too: a fresh reader and the stored log show the same.
    const dave2 = pool.connect(cast.dave, cast.controlDoc);
    await dave2.whenSynced();
    await waitForSameState([alice.doc, dave2.doc], 'the merged setup at a fresh reader');
    expect(viewOf(dave2.doc, members)).toEqual(view);
    await waitFor(
      async () => {
        const { doc } = await readStoredDoc(server, cast.controlDoc);
        return Buffer.from(Y.encodeStateVector(doc)).equals(Buffer.from(Y.encodeStateVector(alice.doc)));
      },
      { what: 'the merged setup in storage' }
    );
    expect(viewOf((await readStoredDoc(server, cast.controlDoc)).doc, members)).toEqual(view);
    expect([alice.closes, bob.closes]).toEqual([[], []]);
  });

  it('R45: rooms both moderators add while apart list in the same order everywhere', async () => {
    const { alice, bob, members } = await twoModerators();
    ok(createRooms(alice.doc, { count: 1, mode: 'manual' }));
    await waitForSameState([alice.doc, bob.doc]);
    bob.provider.disconnect();
    await waitFor(() => !bob.provider.wsconnected, { what: 'bob offline' });
    ok(addRoom(alice.doc, { name: 'From alice' }));
    ok(addRoom(bob.doc, { name: 'From bob' }));
    bob.provider.connect();
    await waitForSameState([alice.doc, bob.doc]);
    const names = viewOf(alice.doc, members).rooms.map((r) => r.name);
    expect(viewOf(bob.doc, members).rooms.map((r) => r.name)).toEqual(names);
    expect(names[0]).toBe('Room 1');
    expect(names.slice(1).sort()).toEqual(['From alice', 'From bob']);
  });
});

describe('late joiners', () => {
  it('R47: in automatic mode the server places each joiner in the smallest room (first on a tie) and moderators see it at once', async () => {
    const { cast, alice, bob, participants } = await twoModerators();
    const { carol, dave } = ids(cast);
    const rooms = ok(createRooms(alice.doc, { count: 2, mode: 'automatic' }));
    ok(assignParticipants(alice.doc, { userIds: [carol, dave], roomId: rooms[0], participants, now: 1 }));
    await waitForSameState([alice.doc, bob.doc]);
    // The server must have the setup before anyone joins: a fresh reader proves it.
    const probe = pool.connect(cast.carol, cast.controlDoc);
    await waitFor(() => readBreakoutState(probe.doc).assignments.size === 2, { what: 'setup at the server' });

    const invite = await createInvite(server.url, cast.alice.cookie, cast.conversationId);
    const roomOfAt = (doc: Y.Doc, userId: string): RoomId | undefined =>
      readBreakoutState(doc).assignments.get(asUserId(userId))?.roomId;

    const erin = await signUp(server.url, `erin${Date.now() % 1e6}`);
    await joinAsAccount(server.url, erin.cookie, invite.token);
    for (const client of [alice, bob]) {
      await waitFor(() => roomOfAt(client.doc, erin.user.id) === rooms[1], { what: 'erin in room 2' });
    }

    const frank = await joinAsGuest(server.url, invite.token, 'Frank');
    await waitFor(() => roomOfAt(bob.doc, frank.user.id) === rooms[1], { what: 'frank in room 2 at bob' });

    const gina = await signUp(server.url, `gina${Date.now() % 1e6}`);
    await joinAsAccount(server.url, gina.cookie, invite.token);
    await waitFor(() => roomOfAt(alice.doc, gina.user.id) === rooms[0], { what: 'gina in room 1 (tie)' });

    const members = await getBreakoutMembers(server.url, cast.alice.cookie, cast.conversationId);
    await waitForSameState([alice.doc, bob.doc]);
    const view = viewOf(alice.doc, members);
    expect(view.rooms.map((r) => r.members.length)).toEqual([3, 2]);
    expect(viewOf(bob.doc, members)).toEqual(view);
    expect(findInvalidity(alice.doc, members)).toBeNull();

    // Joining again changes nothing (R3): no second placement.
    const before = Y.encodeStateVector(alice.doc);
    await joinAsAccount(server.url, erin.cookie, invite.token);
    const fresh = pool.connect(cast.alice, cast.controlDoc);
    await fresh.whenSynced();
    expect(Y.encodeStateVector(fresh.doc)).toEqual(before);
  });

  it('R47: outside automatic mode, or without rooms, a joiner stays unassigned', async () => {
    const { cast, alice } = await twoModerators();
    const invite = await createInvite(server.url, cast.alice.cookie, cast.conversationId);
    const unplacedAfterJoin = async (name: string) => {
      const user = await signUp(server.url, `${name}${Date.now() % 1e6}`);
      await joinAsAccount(server.url, user.cookie, invite.token);
      // The join answers after any placement: a reader connected now sees the final setup.
      const reader = pool.connect(cast.alice, cast.controlDoc);
      await reader.whenSynced();
      return !readBreakoutState(reader.doc).assignments.has(asUserId(user.user.id));
    };

    expect(await unplacedAfterJoin('nomode')).toBe(true);
    ok(createRooms(alice.doc, { count: 2, mode: 'manual' }));
    await waitForSameState([alice.doc, pool.connect(cast.bob, cast.controlDoc).doc]);
    expect(await unplacedAfterJoin('manual')).toBe(true);
    ok(setMode(alice.doc, { mode: 'choose' }));
    await waitForSameState([alice.doc, pool.connect(cast.bob, cast.controlDoc).doc]);
    expect(await unplacedAfterJoin('choose')).toBe(true);
    // The same conversation in automatic mode does place: the checks above could have failed.
    ok(setMode(alice.doc, { mode: 'automatic' }));
    await waitForSameState([alice.doc, pool.connect(cast.bob, cast.controlDoc).doc]);
    expect(await unplacedAfterJoin('auto')).toBe(false);
  });

  it('R47: a placement that fails does not fail the join; the failure is logged', async () => {
    const { cast, alice } = await twoModerators();
    ok(createRooms(alice.doc, { count: 2, mode: 'automatic' }));
    await waitForSameState([alice.doc, pool.connect(cast.bob, cast.controlDoc).doc]);
    const invite = await createInvite(server.url, cast.alice.cookie, cast.conversationId);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const listMembers = vi
      .spyOn(server.persistence, 'listMembers')
      .mockRejectedValueOnce(new Error('storage hiccup'));

    const henry = await signUp(server.url, `henry${Date.now() % 1e6}`);
    expect(await joinAsAccount(server.url, henry.cookie, invite.token)).toEqual({
      conversationId: cast.conversationId,
      role: 'participant'
    });
    expect(listMembers).toHaveBeenCalled();
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/placing late joiner/), expect.any(Error));
    const answer = await api(server.url, `/api/conversations/${cast.conversationId}`, {
      cookie: henry.cookie
    });
    expect(answer.status).toBe(200);
  });
});

describe('participants and the setup', () => {
  it('R40 R12: a participant’s crafted setup command is refused with 4403 and reaches neither bob nor storage', async () => {
    const { cast, alice, bob, members } = await twoModerators();
    const rooms = ok(createRooms(alice.doc, { count: 2, mode: 'manual' }));
    const carol = pool.connect(cast.carol, cast.controlDoc);
    await carol.whenSynced();
    await waitForSameState([alice.doc, bob.doc, carol.doc], 'the setup at carol');

    // The commands themselves accept anything on a local replica: the server is what refuses.
    ok(renameRoom(carol.doc, { roomId: rooms[0], name: 'Carol was here' }));
    ok(createRooms(carol.doc, { count: 5, mode: 'automatic' }));
    const close = await carol.closedEvent();
    expect(close.code).toBe(4403);
    await waitFor(() => carol.isClosedForGood, { what: 'the provider to stop reconnecting' });

    ok(addRoom(alice.doc, { name: 'After' }));
    await waitFor(() => viewOf(bob.doc, members).rooms.some((r) => r.name === 'After'), {
      what: 'alice’s later change at bob'
    });
    const expected = ['Room 1', 'Room 2', 'After'];
    expect(viewOf(bob.doc, members).rooms.map((r) => r.name)).toEqual(expected);
    expect(readBreakoutState(bob.doc).mode).toBe('manual');
    await waitFor(
      async () =>
        viewOf((await readStoredDoc(server, cast.controlDoc)).doc, members).rooms.some(
          (r) => r.name === 'After'
        ),
      { what: 'the later change in storage' }
    );
    const stored = viewOf((await readStoredDoc(server, cast.controlDoc)).doc, members);
    expect(stored.rooms.map((r) => r.name)).toEqual(expected);
    expect(stored.mode).toBe('manual');
    expect([alice.closes, bob.closes]).toEqual([[], []]);
  });

  it('R40: a guest’s crafted assignment is refused the same way', async () => {
    const { cast, alice, members } = await twoModerators();
    const rooms = ok(createRooms(alice.doc, { count: 1, mode: 'manual' }));
    const dave = pool.connect(cast.dave, cast.controlDoc);
    await waitForSameState([alice.doc, dave.doc], 'the setup at dave');
    ok(
      assignParticipants(dave.doc, {
        userIds: [asUserId(cast.dave.user.id)],
        roomId: asRoomId(rooms[0]),
        participants: new Set([asUserId(cast.dave.user.id)]),
        now: 1
      })
    );
    expect((await dave.closedEvent()).code).toBe(4403);
    ok(addRoom(alice.doc, { name: 'Marker' }));
    const reader = pool.connect(cast.carol, cast.controlDoc);
    await waitFor(() => viewOf(reader.doc, members).rooms.some((r) => r.name === 'Marker'));
    expect(readBreakoutState(reader.doc).assignments.size).toBe(0);
  });
});
