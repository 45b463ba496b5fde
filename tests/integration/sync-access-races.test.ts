/**
 * Access decisions against frames that arrive at awkward moments (SPEC R12, R14): while a role change
 * is still being answered, and before the document has loaded; and a room chat's reader moved out of
 * the room while the connection is being set up (R81).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { asUserId } from '../../src/lib/domain/ids';
import { assignParticipants, createRooms } from '../../src/lib/sync/control';
import { api, setRole, waitFor } from '../helpers/api';
import { getBreakoutMembers, participantsOf, viewOf } from '../helpers/breakout';
import { startTestServer, type TestServer } from '../helpers/server';
import { createPersistenceGate, roomChatOf, waitForServerControl } from '../helpers/session';
import { createStorageProbe } from '../helpers/storage';
import { openRawSocket, type RawSocket } from '../helpers/yclient';
import { castConversation, createClientPool, readStoredDoc } from './syncFixture';

let server: TestServer;
const pool = createClientPool(() => server);
const sockets: RawSocket[] = [];

afterEach(async () => {
  pool.destroyAll();
  for (const raw of sockets.splice(0)) raw.ws.terminate();
  await server?.cleanup();
});

const setup = (doc: Y.Doc) => doc.getMap<unknown>('setup');

/** A sync step 2 (the answer to the server's step 1) that carries a change the server does not have. */
function syncStep2WithChange(key: string, value: unknown): Uint8Array {
  const doc = new Y.Doc();
  setup(doc).set(key, value);
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(doc));
  return encoding.toUint8Array(e);
}

describe('access races', () => {
  it('R14: a demoted moderator’s change sent while the role change is still being answered is refused (4403) and not stored', async () => {
    const probe = createStorageProbe();
    server = await startTestServer({ wrapPersistence: probe.wrap, sync: { idleUnloadMs: 20 } });
    const cast = await castConversation(server);
    await setRole(server.url, cast.alice.cookie, {
      conversationId: cast.conversationId,
      userId: cast.bob.user.id,
      role: 'moderator'
    });
    const alice = pool.connect(cast.alice, cast.controlDoc);
    const bob = pool.connect(cast.bob, cast.controlDoc);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);
    setup(bob.doc).set('roomCount', 2);
    await waitFor(() => setup(alice.doc).get('roomCount') === 2, { what: 'bob’s write as a moderator' });
    // Only the control document stays loaded, so the role change's meta write has to load its document.
    await waitFor(() => server.sync.stats().loadedDocs === 1, { what: 'the meta document unloaded' });

    const release = probe.holdLoads((name) => name === cast.metaDoc);
    const loadsBefore = probe.loadsOf(cast.metaDoc);
    const demotion = api(
      server.url,
      `/api/conversations/${cast.conversationId}/members/${cast.bob.user.id}/role`,
      { method: 'PUT', cookie: cast.alice.cookie, body: { role: 'participant' } }
    );
    // The role is stored and the meta write is under way: the answer has not been sent yet.
    await waitFor(() => probe.loadsOf(cast.metaDoc) > loadsBefore, { what: 'the meta write under way' });
    setup(bob.doc).set('roomCount', 99);
    expect((await bob.closedEvent()).code).toBe(4403);
    release();
    expect((await demotion).status).toBe(200);

    setup(alice.doc).set('marker', 'after');
    await waitFor(
      async () => setup((await readStoredDoc(server, cast.controlDoc)).doc).get('marker') === 'after',
      { what: 'alice’s later change in storage' }
    );
    const stored = await readStoredDoc(server, cast.controlDoc);
    expect(setup(stored.doc).toJSON()).toEqual({ roomCount: 2, marker: 'after' });
    expect(setup(alice.doc).get('roomCount')).toBe(2);
  });

  it('R12, R15: a read-only socket’s sync answer carrying changes, sent before the document loaded, is refused (4403) and not stored', async () => {
    const probe = createStorageProbe();
    server = await startTestServer({ wrapPersistence: probe.wrap });
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    setup(alice.doc).set('roomCount', 3);
    await waitFor(
      async () => setup((await readStoredDoc(server, cast.controlDoc)).doc).get('roomCount') === 3,
      { what: 'alice’s change stored' }
    );
    pool.destroyAll();
    await waitFor(() => server.sync.stats().connections === 0);
    await server.restart();

    const release = probe.holdLoads((name) => name === cast.controlDoc);
    const loadsBefore = probe.loadsOf(cast.controlDoc);
    const raw = openRawSocket({ baseUrl: server.url, docName: cast.controlDoc, cookie: cast.carol.cookie });
    sockets.push(raw);
    await raw.opened;
    raw.send(syncStep2WithChange('hijacked', true));
    await waitFor(() => probe.loadsOf(cast.controlDoc) > loadsBefore, {
      what: 'the control document loading'
    });
    release();
    expect((await raw.closed).code).toBe(4403);

    const dave = pool.connect(cast.dave, cast.controlDoc);
    await dave.whenSynced();
    expect(setup(dave.doc).toJSON()).toEqual({ roomCount: 3 });
    expect(setup((await readStoredDoc(server, cast.controlDoc)).doc).toJSON()).toEqual({ roomCount: 3 });
  });

  it('R81: a participant moved out of the room between the upgrade and the first sync step gets no sync message, only the close', async () => {
    const gate = createPersistenceGate();
    server = await startTestServer({ wrapPersistence: gate.wrap });
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    const members = await getBreakoutMembers(server.url, cast.alice.cookie, cast.conversationId);
    const created = createRooms(alice.doc, { count: 2, mode: 'manual' });
    if (!created.ok) throw new Error(created.error);
    const [first, second] = created.value;
    const carolId = asUserId(cast.carol.user.id);
    const move = (roomId: typeof first) =>
      assignParticipants(alice.doc, {
        userIds: [carolId],
        roomId,
        participants: participantsOf(members),
        now: Date.now()
      });
    expect(move(first).ok).toBe(true);
    await waitForServerControl(
      server,
      cast.conversationId,
      (doc) => viewOf(doc, members).roomOf.get(carolId) === first
    );

    // carol is admitted to her room's chat; the document is still loading.
    const chat = roomChatOf(cast.conversationId, first);
    const releaseLoad = gate.hold('loadUpdates', (name) => name === chat);
    const raw = openRawSocket({ baseUrl: server.url, docName: chat, cookie: cast.carol.cookie });
    sockets.push(raw);
    await raw.opened;
    await waitFor(() => gate.waiting('loadUpdates') > 0, { what: 'the room chat loading' });

    // She is moved to the other room; the server's re-decision of the room chats is slow to read.
    const releaseMembers = gate.hold('listMembers');
    expect(move(second).ok).toBe(true);
    await waitFor(() => gate.waiting('listMembers') > 0, { what: 'the re-decision under way' });
    releaseLoad();
    // Either the server greets her anyway (the defect), or it reads the assignments first, which waits too.
    await waitFor(() => raw.received.length > 0 || gate.waiting('listMembers') > 1, {
      what: 'a greeting, or the connection’s own check of the assignments'
    });
    releaseMembers();
    expect(await raw.closed).toEqual({ code: 4401, reason: 'You are no longer in this room.' });
    expect(raw.received).toEqual([]);
  });
});
