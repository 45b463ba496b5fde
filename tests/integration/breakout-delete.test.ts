/**
 * "Delete breakout rooms" (SPEC R50) over the real server: the rooms, their assignments and their chats
 * go; the main chat, the members and the meta document stay byte-for-byte as they were.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { getDocName, MAIN_ROOM } from '../../src/lib/domain/docs';
import { asConversationId, asMessageId, asUserId, type RoomId } from '../../src/lib/domain/ids';
import { autoAssign, createRooms, readBreakoutState, removeRoom } from '../../src/lib/sync/control';
import { appendChatMessage, readChatMessages } from '../../src/lib/sync/schema';
import { api, listMessages, postMessage, setRole, signUp, waitFor } from '../helpers/api';
import { getBreakoutMembers, viewOf, waitForSameState } from '../helpers/breakout';
import { startTestServer, type TestServer } from '../helpers/server';
import { tryUpgrade } from '../helpers/yclient';
import { castConversation, createClientPool, readStoredDoc, type Cast } from './syncFixture';

let server: TestServer;
const pool = createClientPool(() => server);

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(() => pool.destroyAll());
afterAll(async () => {
  await server.cleanup();
});

function ok<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(`expected success, got “${result.error}”`);
  return result.value;
}

const deleteBreakout = (cast: Cast, cookie: string, conversationId = cast.conversationId) =>
  api(server.url, `/api/conversations/${conversationId}/breakout`, { method: 'DELETE', cookie });

const chatDocOf = (cast: Cast, room: string) =>
  getDocName({ conversationId: asConversationId(cast.conversationId), kind: 'chat', room });

/** A room chat as the next issue will make it: messages in the table and in the room's document. */
async function fillRoomChat(cast: Cast, roomId: RoomId, text: string): Promise<void> {
  const message = {
    id: asMessageId(`m_${crypto.randomUUID().replaceAll('-', '')}`),
    authorId: asUserId(cast.carol.user.id),
    authorName: 'Carol',
    text,
    createdAt: Date.now()
  };
  await server.persistence.appendMessage({
    ...message,
    conversationId: asConversationId(cast.conversationId),
    room: roomId
  });
  await server.sync.writeAsServer(chatDocOf(cast, roomId), (doc) => appendChatMessage(doc, message));
}

/** Everything R50 promises to keep, as a client and the REST API see it. */
async function snapshotKept(cast: Cast) {
  const meta = pool.connect(cast.alice, cast.metaDoc);
  const main = pool.connect(cast.carol, chatDocOf(cast, MAIN_ROOM));
  await Promise.all([meta.whenSynced(), main.whenSynced()]);
  const conversation = await api(server.url, `/api/conversations/${cast.conversationId}`, {
    cookie: cast.alice.cookie
  });
  return {
    messages: await listMessages(server.url, cast.carol.cookie, cast.conversationId),
    conversation: conversation.body as unknown,
    meta: Buffer.from(Y.encodeStateAsUpdate(meta.doc)).toString('base64'),
    mainChat: Buffer.from(Y.encodeStateAsUpdate(main.doc)).toString('base64'),
    mainChatTexts: readChatMessages(main.doc).map((m) => m.text)
  };
}

describe('deleting breakout rooms', () => {
  it('R50: rooms, assignments and room chats go; main chat, members and meta stay exactly the same; moderators only', async () => {
    const cast = await castConversation(server);
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'moderator'
    });
    for (const text of ['Welcome', 'Agenda: breakouts', 'See you in the rooms']) {
      await postMessage(server.url, cast.alice.cookie, { conversationId: cast.conversationId, text });
    }
    const members = await getBreakoutMembers(server.url, cast.alice.cookie, cast.conversationId);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    const rooms = ok(createRooms(alice.doc, { count: 3, mode: 'automatic' }));
    ok(autoAssign(alice.doc, { members, seed: 3, now: Date.now() }));
    const bobControl = pool.connect(cast.bob, cast.controlDoc);
    await waitForSameState([alice.doc, bobControl.doc], 'the setup at the server');
    expect(viewOf(alice.doc, members).rooms.flatMap((r) => r.members)).toHaveLength(2);

    // carol reads the chat of the room she is in (R81); which one depends on the seeded spread.
    const carolRoom = viewOf(alice.doc, members).roomOf.get(asUserId(cast.carol.user.id))!;
    const otherRoom = rooms.find((r) => r !== carolRoom)!;
    await fillRoomChat(cast, carolRoom, 'in room 1');
    await fillRoomChat(cast, otherRoom, 'in room 2');
    const inRoom = pool.connect(cast.carol, chatDocOf(cast, carolRoom));
    await waitFor(() => readChatMessages(inRoom.doc).length === 1, { what: 'the room chat at carol' });
    await waitFor(async () => (await server.persistence.loadUpdates(chatDocOf(cast, otherRoom))).length > 0, {
      what: 'room 2’s chat stored'
    });
    const before = await snapshotKept(cast);
    expect(before.mainChatTexts).toEqual(['Welcome', 'Agenda: breakouts', 'See you in the rooms']);

    // Refusals first: none of them may change anything.
    const outsider = await signUp(server.url, `outsider${Date.now() % 1e6}`);
    expect((await deleteBreakout(cast, cast.carol.cookie)).status).toBe(403);
    expect((await deleteBreakout(cast, cast.dave.cookie)).status).toBe(403);
    expect((await deleteBreakout(cast, outsider.cookie)).status).toBe(403);
    expect((await deleteBreakout(cast, '')).status).toBe(401);
    const unknown = await deleteBreakout(cast, cast.alice.cookie, 'NoSuchConversation1');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: expect.stringMatching(/does not exist/) });
    const refused = await deleteBreakout(cast, cast.carol.cookie);
    expect(refused.body).toEqual({ error: 'Only owners and moderators can delete breakout rooms.' });
    expect(readBreakoutState(alice.doc).rooms).toHaveLength(3);
    expect(
      await server.persistence.listMessages(asConversationId(cast.conversationId), carolRoom)
    ).toHaveLength(1);

    // bob, a co-moderator, deletes.
    expect((await deleteBreakout(cast, cast.bob.cookie)).status).toBe(204);

    const closed = await inRoom.closedEvent();
    expect(closed).toEqual({ code: 4410, reason: 'This room was deleted.' });
    await waitFor(() => inRoom.isClosedForGood, { what: 'the room chat client to stop reconnecting' });
    await waitFor(() => readBreakoutState(alice.doc).rooms.length === 0, {
      what: 'the cleared setup at alice'
    });
    for (const doc of [alice.doc, bobControl.doc]) {
      expect(readBreakoutState(doc)).toEqual({ mode: null, rooms: [], assignments: new Map() });
      for (const name of ['rooms', 'assignments', 'settings']) expect(doc.getMap(name).size).toBe(0);
    }
    await waitFor(
      async () => readBreakoutState((await readStoredDoc(server, cast.controlDoc)).doc).rooms.length === 0,
      { what: 'the cleared setup in storage' }
    );
    for (const roomId of rooms) {
      expect(await server.persistence.loadUpdates(chatDocOf(cast, roomId))).toEqual([]);
      expect(await server.persistence.listMessages(asConversationId(cast.conversationId), roomId)).toEqual(
        []
      );
    }
    // A deleted room's chat is gone for good: opening it again is refused, even for a moderator (R81).
    const again = await tryUpgrade({
      baseUrl: server.url,
      docName: chatDocOf(cast, otherRoom),
      cookie: cast.alice.cookie
    });
    expect(again.status).toBe(404);

    expect(await snapshotKept(cast)).toEqual(before);
    expect([alice.closes, bobControl.closes]).toEqual([[], []]);

    // Deleting when there is nothing to delete is fine and still keeps everything.
    expect((await deleteBreakout(cast, cast.alice.cookie)).status).toBe(204);
    expect(await snapshotKept(cast)).toEqual(before);
  });

  it('R50: the chat of a room removed before the deletion goes too', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    const [kept, removed] = ok(createRooms(alice.doc, { count: 2, mode: 'manual' }));
    await fillRoomChat(cast, kept, 'in the kept room');
    await fillRoomChat(cast, removed, 'in the removed room');
    ok(removeRoom(alice.doc, { roomId: removed }));
    const reader = pool.connect(cast.dave, cast.controlDoc);
    await waitForSameState([alice.doc, reader.doc], 'the removal at the server');
    await waitFor(async () => (await server.persistence.loadUpdates(chatDocOf(cast, removed))).length > 0, {
      what: 'the removed room’s chat stored'
    });

    expect((await deleteBreakout(cast, cast.alice.cookie)).status).toBe(204);
    for (const roomId of [kept, removed]) {
      expect(await server.persistence.loadUpdates(chatDocOf(cast, roomId))).toEqual([]);
      expect(await server.persistence.listMessages(asConversationId(cast.conversationId), roomId)).toEqual(
        []
      );
    }
  });

  it('R50: a room id crafted as “main” by a moderator’s replica never deletes the main chat', async () => {
    const cast = await castConversation(server);
    await postMessage(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      text: 'Keep me'
    });
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    ok(createRooms(alice.doc, { count: 1, mode: 'manual' }));
    alice.doc.transact(() => {
      const crafted = new Y.Map<unknown>();
      alice.doc.getMap('rooms').set(MAIN_ROOM, crafted);
      crafted.set('name', 'Trojan');
      crafted.set('order', 9);
      crafted.set('seatCap', null);
    });
    const reader = pool.connect(cast.dave, cast.controlDoc);
    await waitForSameState([alice.doc, reader.doc], 'the crafted room at the server');
    const before = await snapshotKept(cast);
    expect(before.mainChatTexts).toEqual(['Keep me']);

    expect((await deleteBreakout(cast, cast.alice.cookie)).status).toBe(204);
    await waitFor(() => readBreakoutState(alice.doc).rooms.length === 0, { what: 'the cleared setup' });
    expect(await snapshotKept(cast)).toEqual(before);
    expect(await server.persistence.loadUpdates(chatDocOf(cast, MAIN_ROOM))).not.toEqual([]);
  });

  it('R50: a room chat written just before its deletion leaves nothing stored, even across a restart', async () => {
    const cast = await castConversation(server);
    const docName = chatDocOf(cast, 'roomJustGone1');
    const message = {
      id: asMessageId('m_just_before_delete'),
      authorId: asUserId(cast.alice.user.id),
      authorName: 'Alice',
      text: 'last words',
      createdAt: Date.now()
    };
    // The write is accepted but, batched off the fan-out path, not stored yet when the deletion starts.
    await server.sync.writeAsServer(docName, (doc) => appendChatMessage(doc, message));
    const deletion = server.sync.deleteDocument(docName);
    let seenByReopen = -1;
    const reopened = server.sync.writeAsServer(docName, (doc) => {
      seenByReopen = readChatMessages(doc).length;
    });
    await Promise.all([deletion, reopened]);
    expect(seenByReopen).toBe(0);
    await server.restart();
    expect(await server.persistence.loadUpdates(docName)).toEqual([]);
    // Nothing stored and no such room: the upgrade finds no document to open (R81).
    expect((await tryUpgrade({ baseUrl: server.url, docName, cookie: cast.alice.cookie })).status).toBe(404);
  });

  it('R50: deleting is refused for names that are not Parley documents', async () => {
    await expect(server.sync.deleteDocument('not-ours')).rejects.toThrow(/not a Parley document/);
  });
});
