/**
 * Loading, unloading, restarts and the update log (SPEC R15, R17), against the real server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { waitFor } from '../helpers/api';
import { startTestServer, type TestServer } from '../helpers/server';
import { createStorageProbe } from '../helpers/storage';
import { castConversation, createClientPool, readStoredDoc } from './syncFixture';

let server: TestServer;
const pool = createClientPool(() => server);

afterEach(async () => {
  pool.destroyAll();
  await server?.cleanup();
});

const setup = (doc: Y.Doc) => doc.getMap<unknown>('setup');
const rooms = (doc: Y.Doc) => doc.getArray<string>('rooms');
/** The content as plain JSON (a replica's root types are untyped until read as a map or an array). */
const content = (doc: Y.Doc) => ({ setup: setup(doc).toJSON(), rooms: rooms(doc).toJSON() });

/** Content with insertions, overwrites and deletions, so a lossy reload would show. */
function edit(doc: Y.Doc, round: number) {
  setup(doc).set('roomCount', round);
  setup(doc).set(`note${round % 5}`, `round ${round}`);
  rooms(doc).push([`Room ${round}`]);
  if (rooms(doc).length > 3) rooms(doc).delete(0, 1);
}

/** Whether the stored log, replayed, equals `doc`'s content. */
async function isStoredLike(docName: string, doc: Y.Doc): Promise<boolean> {
  const stored = (await readStoredDoc(server, docName)).doc;
  return JSON.stringify(content(stored)) === JSON.stringify(content(doc));
}

describe('sync storage', () => {
  it('R15, R17: a restart keeps the document state, including changes not yet stored when it began', async () => {
    const probe = createStorageProbe();
    server = await startTestServer({ wrapPersistence: probe.wrap });
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    const bob = pool.connect(cast.bob, cast.controlDoc);
    await Promise.all([alice.whenSynced(), bob.whenSynced()]);
    // Storage is stuck: the first batch waits in flight, every later change waits behind it.
    const release = probe.holdAppends((name) => name === cast.controlDoc);
    for (let round = 1; round <= 10; round++) edit(alice.doc, round);
    // Seen by bob means accepted by the server; the restart must store whatever is still pending.
    await waitFor(() => setup(bob.doc).get('roomCount') === 10);
    await waitFor(() => probe.appendsOf(cast.controlDoc) > 0, { what: 'a batch on its way to storage' });
    const expected = content(alice.doc);
    expect(setup((await readStoredDoc(server, cast.controlDoc)).doc).get('roomCount')).toBeUndefined();
    pool.destroyAll();

    const restarted = server.restart();
    release();
    await restarted;
    const carol = pool.connect(cast.carol, cast.controlDoc);
    let atFirstSync: unknown = null;
    carol.provider.once('sync', () => (atFirstSync = content(carol.doc)));
    await carol.whenSynced();
    expect(atFirstSync).toEqual(expected);
  });

  it('R15: a document with no connection is unloaded after the idle delay, its writes stored, and reloads the same', async () => {
    server = await startTestServer({ sync: { idleUnloadMs: 50 } });
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    for (let round = 1; round <= 5; round++) edit(alice.doc, round);
    const expected = content(alice.doc);
    // Wait until the server has the last change (an echo-free way: a second client sees it).
    const bob = pool.connect(cast.bob, cast.controlDoc);
    await waitFor(() => setup(bob.doc).get('roomCount') === 5);
    pool.destroyAll();

    await waitFor(() => server.sync.stats().connections === 0 && server.sync.stats().loadedDocs === 0, {
      what: 'every document unloaded'
    });
    expect(content((await readStoredDoc(server, cast.controlDoc)).doc)).toEqual(expected);

    const carol = pool.connect(cast.carol, cast.controlDoc);
    let atFirstSync: unknown = null;
    carol.provider.once('sync', () => (atFirstSync = content(carol.doc)));
    await carol.whenSynced();
    expect(atFirstSync).toEqual(expected);
    expect(server.sync.stats().loadedDocs).toBe(1);
  });

  it('R15: a connection arriving during the idle delay keeps the document loaded', async () => {
    const probe = createStorageProbe();
    server = await startTestServer({ sync: { idleUnloadMs: 100 }, wrapPersistence: probe.wrap });
    const cast = await castConversation(server);
    await waitFor(() => server.sync.stats().loadedDocs === 0, {
      what: 'the meta and chat documents unloaded'
    });
    const loadsBefore = probe.loadsOf(cast.controlDoc);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    setup(alice.doc).set('roomCount', 2);
    alice.provider.disconnect();
    await waitFor(() => server.sync.stats().connections === 0);
    const bob = pool.connect(cast.bob, cast.controlDoc);
    await bob.whenSynced();
    expect(setup(bob.doc).get('roomCount')).toBe(2);

    // The meta document, opened and left after the control document's countdown began, serves as a
    // clock: once it has unloaded, that countdown would have run out too.
    const dave = pool.connect(cast.dave, cast.metaDoc);
    await dave.whenSynced();
    dave.provider.disconnect();
    await waitFor(() => server.sync.stats().loadedDocs === 1 && server.sync.stats().connections === 1, {
      what: 'the meta document unloaded'
    });
    // Had the control document been unloaded under bob, alice would now reach a fresh copy bob is not on.
    setup(alice.doc).set('roomCount', 3);
    alice.provider.connect();
    await waitFor(() => setup(bob.doc).get('roomCount') === 3, {
      what: 'alice’s change through the kept document'
    });
    expect(server.sync.stats().loadedDocs).toBe(1);
    // Loaded once for alice, and never again: bob and alice's return found it in memory.
    expect(probe.loadsOf(cast.controlDoc) - loadsBefore).toBe(1);
  });

  it('R17: compaction keeps the state identical after many updates', async () => {
    server = await startTestServer({ sync: { compactAfterRows: 20 } });
    const cast = await castConversation(server);
    const alice = pool.connect(cast.alice, cast.controlDoc);
    await alice.whenSynced();
    let maxRows = 0;
    for (let round = 1; round <= 60; round++) {
      edit(alice.doc, round);
      // One stored batch per round, so without compaction the log would hold 60 rows.
      await waitFor(() => isStoredLike(cast.controlDoc, alice.doc), { what: `round ${round} in storage` });
      maxRows = Math.max(maxRows, (await readStoredDoc(server, cast.controlDoc)).rows);
    }
    const stored = await readStoredDoc(server, cast.controlDoc);
    expect(maxRows).toBeLessThanOrEqual(21);
    expect(stored.rows).toBeLessThan(21);
    expect(content(stored.doc)).toEqual(content(alice.doc));
    expect(Y.encodeStateVector(stored.doc)).toEqual(Y.encodeStateVector(alice.doc));

    pool.destroyAll();
    await server.restart();
    const bob = pool.connect(cast.bob, cast.controlDoc);
    await bob.whenSynced();
    expect(content(bob.doc)).toEqual(content(alice.doc));
  });
});
