/**
 * The setup history over the real server (SPEC R97): the server records every change to the breakout
 * setup and session, naming who made it from the connection's identity (or the person a server write was
 * for), marking changes a client made while disconnected as merged, in a document only moderators read.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDocName } from '../../src/lib/domain/docs';
import type { HistoryEntry } from '../../src/lib/domain/history';
import { asConversationId, asUserId } from '../../src/lib/domain/ids';
import {
  addRoom,
  assignParticipants,
  createRooms,
  readBreakoutState,
  renameRoom,
  setMode,
  startSession
} from '../../src/lib/sync/control';
import { readHistoryEntries } from '../../src/lib/sync/history';
import { api, createInvite, joinAsAccount, setRole, signUp, waitFor } from '../helpers/api';
import { getBreakoutMembers, participantsOf, waitForSameState } from '../helpers/breakout';
import { startTestServer, type TestServer } from '../helpers/server';
import { sendIntent, waitForServerControl } from '../helpers/session';
import { tryUpgrade } from '../helpers/yclient';
import { castConversation, createClientPool, type Cast } from './syncFixture';

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

const historyDocOf = (cast: Cast) =>
  getDocName({ conversationId: asConversationId(cast.conversationId), kind: 'history' });

/** The history as the server holds it, once everything captured so far is written. */
async function readHistory(cast: Cast): Promise<HistoryEntry[]> {
  await server.server.history.flush();
  return server.sync.readDoc(historyDocOf(cast), readHistoryEntries);
}

/** Waits until the history holds an entry with each of `texts`; returns the entries. */
async function waitForEntries(cast: Cast, texts: string[]): Promise<HistoryEntry[]> {
  let entries: HistoryEntry[] = [];
  await waitFor(
    async () => {
      entries = await readHistory(cast);
      const have = new Set(entries.map((e) => e.text));
      return texts.every((text) => have.has(text));
    },
    { what: `history entries ${JSON.stringify(texts)} (have ${JSON.stringify(entries.map((e) => e.text))})` }
  );
  return entries;
}

const byText = (entries: HistoryEntry[], text: string) => entries.find((e) => e.text === text);

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

describe('who changed what', () => {
  it('R97: a move and a rename by bob are recorded as bob’s, by his real identity, even when his client claims to be alice', async () => {
    const { cast, alice, bob, participants } = await twoModerators();
    const carol = asUserId(cast.carol.user.id);
    const rooms = ok(createRooms(alice.doc, { count: 2, mode: 'manual' }));
    ok(assignParticipants(alice.doc, { userIds: [carol], roomId: rooms[0], participants, now: 1 }));
    await waitForSameState([alice.doc, bob.doc], 'the setup at bob');

    // Presence is the client's word; the history does not take it.
    bob.provider.awareness.setLocalStateField('user', { name: 'Alice', userId: cast.alice.user.id });
    ok(assignParticipants(bob.doc, { userIds: [carol], roomId: rooms[1], participants, now: 2 }));
    ok(renameRoom(bob.doc, { roomId: rooms[0], name: 'Garden' }));

    const entries = await waitForEntries(cast, [
      'Alice added 2 rooms: Room 1 and Room 2',
      'Alice set the mode to “Manually assign”',
      'Alice assigned Carol to Room 1',
      'Bob moved Carol from Room 1 to Room 2',
      'Bob renamed “Room 1” to “Garden”'
    ]);
    expect(entries.map((e) => e.text)).toEqual([
      'Alice added 2 rooms: Room 1 and Room 2',
      'Alice set the mode to “Manually assign”',
      'Alice assigned Carol to Room 1',
      'Bob moved Carol from Room 1 to Room 2',
      'Bob renamed “Room 1” to “Garden”'
    ]);
    for (const text of ['Bob moved Carol from Room 1 to Room 2', 'Bob renamed “Room 1” to “Garden”']) {
      expect(byText(entries, text)).toMatchObject({
        actorId: cast.bob.user.id,
        actorName: 'Bob',
        merged: false
      });
    }
    expect(byText(entries, 'Alice assigned Carol to Room 1')).toMatchObject({
      actorId: cast.alice.user.id,
      kind: 'assignment'
    });
    expect(byText(entries, 'Bob renamed “Room 1” to “Garden”')?.kind).toBe('roomRenamed');
    // Entries carry the server's time, in order.
    const times = entries.map((e) => e.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);

    // A moderator reads the same entries over a (read-only) connection.
    const reader = pool.connect(cast.alice, historyDocOf(cast));
    await reader.whenSynced();
    expect(readHistoryEntries(reader.doc)).toEqual(entries);
    expect(reader.closes).toEqual([]);
  });

  it('R97: changes a moderator made while disconnected are marked merged from offline work; live ones are not', async () => {
    const { cast, alice, bob } = await twoModerators();
    const rooms = ok(createRooms(alice.doc, { count: 2, mode: 'manual' }));
    await waitForSameState([alice.doc, bob.doc], 'the setup at bob');

    alice.provider.disconnect();
    await waitFor(() => !alice.provider.wsconnected, { what: 'alice offline' });
    ok(renameRoom(alice.doc, { roomId: rooms[1], name: 'Offline name' }));
    ok(addRoom(alice.doc, { name: 'Annex' }));
    ok(renameRoom(bob.doc, { roomId: rooms[0], name: 'Online name' }));
    await waitForEntries(cast, ['Bob renamed “Room 1” to “Online name”']);

    alice.provider.connect();
    await alice.whenSynced();
    await waitForSameState([alice.doc, bob.doc], 'the merged setup');
    const annex = readBreakoutState(alice.doc).rooms.find((r) => r.name === 'Annex')!;
    ok(renameRoom(alice.doc, { roomId: annex.id, name: 'Annex 2' }));

    const entries = await waitForEntries(cast, [
      'Alice renamed “Room 2” to “Offline name”',
      'Alice added Annex',
      'Alice renamed “Annex” to “Annex 2”'
    ]);
    expect(byText(entries, 'Alice renamed “Room 2” to “Offline name”')).toMatchObject({
      actorId: cast.alice.user.id,
      merged: true
    });
    expect(byText(entries, 'Alice added Annex')?.merged).toBe(true);
    expect(byText(entries, 'Bob renamed “Room 1” to “Online name”')?.merged).toBe(false);
    expect(byText(entries, 'Alice renamed “Annex” to “Annex 2”')?.merged).toBe(false);
    expect(byText(entries, 'Alice added 2 rooms: Room 1 and Room 2')?.merged).toBe(false);
  });

  it('R97: a transaction that changes nothing visible writes nothing', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    // Not setup, or no visible change: a seed alone, a help request, the same room again.
    alice.doc.transact(() => alice.doc.getMap('settings').set('seed', 42));
    alice.doc.transact(() => alice.doc.getMap('help').set(cast.carol.user.id, { roomId: 'x', since: 1 }));
    alice.doc.transact(() => alice.doc.getMap('returned').set(cast.carol.user.id, 'run'));
    await waitForServerControl(server, cast.conversationId, (doc) => doc.getMap('returned').size === 1);

    await server.server.history.flush();
    expect(await server.persistence.listDocNames(historyDocOf(cast))).toEqual([]);
    expect(await readHistory(cast)).toEqual([]);

    // The first visible change is the first entry.
    ok(createRooms(alice.doc, { count: 1, mode: 'automatic' }));
    const entries = await waitForEntries(cast, ['Alice added Room 1']);
    expect(entries.map((e) => e.text)).toEqual([
      'Alice added Room 1',
      'Alice set the mode to “Automatically assign”'
    ]);
    expect(await server.persistence.listDocNames(historyDocOf(cast))).toEqual([historyDocOf(cast)]);
  });
});

describe('across a restart', () => {
  it('R97, R15: changes still waiting to be described when the server shuts down are written before it goes', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    ok(createRooms(alice.doc, { count: 1, mode: 'manual' }));
    await waitForServerControl(
      server,
      cast.conversationId,
      (doc) => readBreakoutState(doc).rooms.length === 1
    );
    // No flush: the batch is still waiting when the restart begins.
    alice.destroy();
    await server.restart();
    expect((await readHistory(cast)).map((e) => e.text)).toEqual([
      'Alice added Room 1',
      'Alice set the mode to “Manually assign”'
    ]);
  });
});

describe('the server’s own writes', () => {
  it('R97, R47: a late joiner’s placement is recorded with Parley as actor', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    ok(createRooms(alice.doc, { count: 2, mode: 'automatic' }));
    await waitForServerControl(
      server,
      cast.conversationId,
      (doc) => readBreakoutState(doc).rooms.length === 2
    );

    const invite = await createInvite(server.url, cast.alice.cookie, cast.conversationId);
    const erin = await signUp(server.url, `erin${Date.now() % 1e6}`, { displayName: 'Erin' });
    await joinAsAccount(server.url, erin.cookie, invite.token);

    const entries = await waitForEntries(cast, ['Parley placed Erin in Room 1 (joined late)']);
    expect(byText(entries, 'Parley placed Erin in Room 1 (joined late)')).toMatchObject({
      actorId: 'server',
      actorName: 'Parley',
      merged: false,
      kind: 'lateJoiner'
    });
  });

  it('R97, R77: a participant’s choice of room is recorded as theirs; their help request is not setup', async () => {
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    const rooms = ok(createRooms(alice.doc, { count: 2, mode: 'manual' }));
    ok(setMode(alice.doc, { mode: 'choose' }));
    ok(
      startSession(alice.doc, {
        timerMinutes: 30,
        moveAutomatically: true,
        allowReturn: false,
        now: Date.now()
      })
    );
    await waitForServerControl(server, cast.conversationId, (doc) => doc.getMap('session').has('run'));

    const chose = await sendIntent(server, cast.carol.cookie, cast.conversationId, 'choose', {
      roomId: rooms[1]
    });
    expect(chose.status).toBe(200);
    const help = await sendIntent(server, cast.carol.cookie, cast.conversationId, 'help');
    expect(help.status).toBe(201);

    const entries = await waitForEntries(cast, [
      'Alice set the mode to “Allow participants to choose”',
      'Alice started breakout sessions (30-minute timer)',
      'Carol chose Room 2'
    ]);
    expect(byText(entries, 'Carol chose Room 2')).toMatchObject({
      actorId: cast.carol.user.id,
      actorName: 'Carol',
      kind: 'choice'
    });
    expect(entries.filter((e) => /help/i.test(e.text))).toEqual([]);
  });
});

describe('who may read the history', () => {
  it('R97, R13: participants and guests get 403 on the upgrade; moderators may open it', async () => {
    const cast = await castConversation(server);
    const docName = historyDocOf(cast);
    for (const actor of [cast.carol, cast.dave, cast.bob]) {
      const answer = await tryUpgrade({ baseUrl: server.url, docName, cookie: actor.cookie });
      expect(answer.status).toBe(403);
      expect(answer.body).toMatch(/setup history is open to the moderators/);
    }
    expect((await tryUpgrade({ baseUrl: server.url, docName, cookie: cast.alice.cookie })).status).toBe(101);
  });

  it('R97, R50: "Delete breakout rooms" is recorded as the moderator’s who asked', async () => {
    const { cast, alice } = await twoModerators();
    ok(createRooms(alice.doc, { count: 2, mode: 'manual' }));
    await waitForServerControl(
      server,
      cast.conversationId,
      (doc) => readBreakoutState(doc).rooms.length === 2
    );
    const answer = await api(server.url, `/api/conversations/${cast.conversationId}/breakout`, {
      method: 'DELETE',
      cookie: cast.bob.cookie
    });
    expect(answer.status).toBe(204);
    const entries = await waitForEntries(cast, ['Bob deleted the breakout rooms']);
    expect(byText(entries, 'Bob deleted the breakout rooms')).toMatchObject({ actorId: cast.bob.user.id });
  });

  it('R97, R12: nobody but the server writes it: a moderator’s change closes their connection with 4403', async () => {
    const cast = await castConversation(server);
    const reader = pool.connect(cast.alice, historyDocOf(cast));
    await reader.whenSynced();
    reader.doc.getArray('entries').push([{ id: 'forged', text: 'Bob deleted everything' }]);
    expect((await reader.closedEvent()).code).toBe(4403);
    expect(await readHistory(cast)).toEqual([]);
  });

  it('R97, R14: a demoted moderator’s open history connection closes (4401) with a sentence that says why', async () => {
    const { cast, bob } = await twoModerators();
    const history = pool.connect(cast.bob, historyDocOf(cast));
    await history.whenSynced();

    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'participant'
    });
    const closed = await history.closedEvent();
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/Only moderators can read the setup history/);
    // His control connection stays open, read-only (R14).
    expect(bob.closes).toEqual([]);
    expect(
      (await tryUpgrade({ baseUrl: server.url, docName: historyDocOf(cast), cookie: cast.bob.cookie })).status
    ).toBe(403);
  });
});
