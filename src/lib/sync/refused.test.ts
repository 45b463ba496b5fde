import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { asUserId, type RoomId } from '../domain/ids';
import { setupDiff } from '../domain/setupDiff';
import {
  createConversation,
  createInvite,
  joinAsAccount,
  setRole,
  signUp,
  type Actor
} from '../../../tests/helpers/api';
import { controlDocOf } from '../../../tests/helpers/session';
import { startTestServer, type TestServer } from '../../../tests/helpers/server';
import { assignParticipants, createRooms, readBreakoutState, renameRoom, startSession } from './control';
import { getLocalDbName, openDoc, type DocConnection } from './openDoc';
import { fetchServerCopy, mergeRefused, replaceLocalCopy, takeControlCopy } from './refused';

const ALICE = asUserId('alice000');
const CAROL = asUserId('carol000');
const participants = new Set([CAROL]);

function withTwoRooms(): { doc: Y.Doc; rooms: RoomId[] } {
  const doc = new Y.Doc();
  const created = createRooms(doc, { count: 2, mode: 'manual' });
  if (!created.ok) throw new Error(created.error);
  assignParticipants(doc, { userIds: [CAROL], roomId: created.value[0], participants, now: 1 });
  return { doc, rooms: created.value };
}

/** A replica of `doc` (another client, as after a sync). */
function replicaOf(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

describe('refused copies (R94)', () => {
  it('R94: the merge lists only the refused changes, not what others did meanwhile', () => {
    const { doc: server, rooms } = withTwoRooms();
    const offline = replicaOf(server);
    // Offline: a rename and a move. Meanwhile on the server: the other room renamed by someone else.
    renameRoom(offline, { roomId: rooms[0], name: 'Garden' });
    assignParticipants(offline, { userIds: [CAROL], roomId: rooms[1], participants, now: 2 });
    renameRoom(server, { roomId: rooms[1], name: 'Plenary' });

    const refused = takeControlCopy(offline);
    expect(refused.setup.rooms.map((r) => r.name).sort()).toEqual(['Garden', 'Room 2']);
    const merged = mergeRefused({ server: Y.encodeStateAsUpdate(server), refused: refused.update });
    expect(merged.sessionDiffers).toBe(false);
    const members = [
      { userId: ALICE, isModerator: true },
      { userId: CAROL, isModerator: false }
    ];
    const names: Record<string, string> = { alice000: 'Alice', carol000: 'Carol' };
    expect(
      setupDiff({
        mine: merged.setup,
        server: readBreakoutState(server),
        members,
        nameOf: (id) => names[id]
      }).map((c) => c.text)
    ).toEqual([
      'Room “Garden” (renamed) — “Room 1” on the server',
      'Carol: “Plenary” here, “Room 1” on the server'
    ]);
  });

  it('R94: a session started offline is a difference too', () => {
    const { doc: server } = withTwoRooms();
    const offline = replicaOf(server);
    const started = startSession(offline, {
      timerMinutes: null,
      moveAutomatically: true,
      allowReturn: false,
      now: 1_700_000_000_000
    });
    expect(started.ok).toBe(true);
    const merged = mergeRefused({
      server: Y.encodeStateAsUpdate(server),
      refused: takeControlCopy(offline).update
    });
    expect(merged.sessionDiffers).toBe(true);
  });

  it('R18, R94: replacing the local copy leaves only the server’s state in IndexedDB', async () => {
    const docName = 'conversation/abcdefgh1234/control';
    const userId = 'bob00000';
    const { doc: server, rooms } = withTwoRooms();
    const offline = replicaOf(server);
    renameRoom(offline, { roomId: rooms[0], name: 'Garden' });

    // The refused copy is what IndexedDB holds…
    const stored = new IndexeddbPersistence(getLocalDbName({ userId, docName }), offline);
    await stored.whenSynced;
    // …and another tab keeps the database open meanwhile.
    await replaceLocalCopy({ userId, docName, update: Y.encodeStateAsUpdate(server) });

    const reopened = new Y.Doc();
    const local = new IndexeddbPersistence(getLocalDbName({ userId, docName }), reopened);
    await local.whenSynced;
    expect(
      readBreakoutState(reopened)
        .rooms.map((r) => r.name)
        .sort()
    ).toEqual(['Room 1', 'Room 2']);
    await local.destroy();
    await stored.destroy();
    // Another user's copy of the same document is untouched.
    const other = new Y.Doc();
    const theirs = new IndexeddbPersistence(getLocalDbName({ userId: 'carol000', docName }), other);
    await theirs.whenSynced;
    expect(readBreakoutState(other).rooms).toEqual([]);
    await theirs.destroy();
  });
});

/** A `ws` WebSocket that sends the user's cookie, as a browser page would. */
function socketAs(cookie: string, origin: string): typeof globalThis.WebSocket {
  class CookieWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers: { cookie, origin } });
    }
  }
  return CookieWebSocket as unknown as typeof globalThis.WebSocket;
}

function whenSettled(connection: DocConnection, done: (c: DocConnection) => boolean): Promise<void> {
  return vi.waitFor(
    () => {
      if (!done(connection)) throw new Error('not yet');
    },
    { timeout: 10_000, interval: 20 }
  );
}

describe('a moderator demoted while offline, against the real server (R12, R14, R94)', () => {
  let server: TestServer;
  let alice: Actor;
  let bob: Actor;
  let conversationId = '';

  beforeAll(async () => {
    server = await startTestServer();
    alice = await signUp(server.url, `refused-alice-${Date.now()}`, { displayName: 'Alice' });
    bob = await signUp(server.url, `refused-bob-${Date.now()}`, { displayName: 'Bob' });
    conversationId = (await createConversation(server.url, alice.cookie, 'Refused')).id;
    const invite = await createInvite(server.url, alice.cookie, conversationId);
    await joinAsAccount(server.url, bob.cookie, invite.token);
    await setRole(server.url, alice.cookie, { conversationId, userId: bob.user.id, role: 'moderator' });
  }, 30_000);

  afterAll(async () => {
    await server?.cleanup();
  });

  it('R94: the refused copy is closed with 4403; the server’s copy opens read-only beside it', async () => {
    const docName = controlDocOf(conversationId);
    const url = server.wsUrl;
    const origin = new URL(server.url).origin;
    const asAlice = socketAs(alice.cookie, origin);
    const asBob = socketAs(bob.cookie, origin);

    const aliceDoc = await openDoc({
      docName,
      userId: alice.user.id,
      url,
      persist: false,
      WebSocketPolyfill: asAlice
    });
    await whenSettled(aliceDoc, (c) => c.synced);
    const created = createRooms(aliceDoc.doc, { count: 2, mode: 'manual' });
    if (!created.ok) throw new Error(created.error);
    const [room1, room2] = created.value;

    // Bob's copy, as IndexedDB would keep it while he is offline: he renames a room there.
    const bobOffline = new Y.Doc();
    await vi.waitFor(
      async () => {
        const copy = await fetchServerCopy({ docName, userId: bob.user.id, url, WebSocketPolyfill: asBob });
        expect(copy.setup.rooms).toHaveLength(2);
        Y.applyUpdate(bobOffline, copy.update);
      },
      { timeout: 10_000 }
    );
    renameRoom(bobOffline, { roomId: room1, name: 'Garden' });

    // Meanwhile alice demotes him and renames the other room.
    await setRole(server.url, alice.cookie, { conversationId, userId: bob.user.id, role: 'participant' });
    renameRoom(aliceDoc.doc, { roomId: room2, name: 'Plenary' });
    await vi.waitFor(async () => {
      const copy = await fetchServerCopy({ docName, userId: bob.user.id, url, WebSocketPolyfill: asBob });
      expect(copy.setup.rooms.map((r) => r.name).sort()).toEqual(['Plenary', 'Room 1']);
    });

    // Bob reconnects with his offline copy: read-only now, so his sync answer is refused (R12, R14).
    const bobDoc = await openDoc({
      docName,
      userId: bob.user.id,
      url,
      persist: false,
      WebSocketPolyfill: asBob
    });
    Y.applyUpdate(bobDoc.doc, Y.encodeStateAsUpdate(bobOffline));
    await whenSettled(bobDoc, (c) => c.closed !== null);
    expect(bobDoc.closed?.code).toBe(4403);
    const refused = takeControlCopy(bobDoc.doc);

    // The server's copy opens read-only and is not refused; it never had bob's rename.
    const serverCopy = await fetchServerCopy({ docName, userId: bob.user.id, url, WebSocketPolyfill: asBob });
    expect(serverCopy.setup.rooms.map((r) => r.name).sort()).toEqual(['Plenary', 'Room 1']);
    const merged = mergeRefused({ server: serverCopy.update, refused: refused.update });
    expect(
      setupDiff({
        mine: merged.setup,
        server: serverCopy.setup,
        members: [],
        nameOf: () => 'Someone'
      }).map((c) => c.text)
    ).toEqual(['Room “Garden” (renamed) — “Room 1” on the server']);

    // Alice never sees it.
    expect(
      readBreakoutState(aliceDoc.doc)
        .rooms.map((r) => r.name)
        .sort()
    ).toEqual(['Plenary', 'Room 1']);
    await Promise.all([aliceDoc.destroy(), bobDoc.destroy()]);
  }, 30_000);
});
