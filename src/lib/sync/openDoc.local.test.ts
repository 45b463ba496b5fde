import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { getLocalDbName, openDoc, openLocalCopyEarly } from './openDoc';

/** A socket that never connects: these tests are about the local copy, as with the server down. */
class UnreachableSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly readyState = 0;
  binaryType = 'arraybuffer';
  onopen = null;
  onmessage = null;
  onerror = null;
  onclose = null;
  send() {}
  close() {}
}
const offline = {
  url: 'ws://localhost:9/ws',
  WebSocketPolyfill: UnreachableSocket as unknown as typeof WebSocket
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The room name this user's local copy holds, read as the next visit would. */
async function readCopy(userId: string, docName: string): Promise<unknown> {
  const doc = new Y.Doc();
  const local = new IndexeddbPersistence(getLocalDbName({ userId, docName }), doc);
  await local.whenSynced;
  const name = doc.getMap('setup').get('name');
  await local.destroy();
  return name;
}

describe('local copies (R18, R99)', () => {
  it('opens the stored copy, and stores the changes made after opening it', async () => {
    const docName = 'conversation/localcopy0001/control';
    const stored = new Y.Doc();
    const first = new IndexeddbPersistence(getLocalDbName({ userId: 'alice000', docName }), stored);
    await first.whenSynced;
    stored.getMap('setup').set('name', 'Garden');
    await pause(50);
    await first.destroy();

    const updates: Uint8Array[] = [];
    const connection = await openDoc({ docName, userId: 'alice000', ...offline });
    expect(connection.doc.getMap('setup').get('name')).toBe('Garden');
    connection.doc.on('update', (update: Uint8Array) => updates.push(update));

    // A change made once the document is open goes to IndexedDB (y-indexeddb listens again)…
    connection.doc.getMap('setup').set('name', 'Plenary');
    await pause(50);
    await connection.destroy();
    expect(updates).toHaveLength(1);
    expect(await readCopy('alice000', docName)).toBe('Plenary');
  });

  it('keeps each user’s copy apart: another user of the browser opens an empty document', async () => {
    const docName = 'conversation/localcopy0002/control';
    const alices = await openDoc({ docName, userId: 'alice000', ...offline });
    alices.doc.getMap('setup').set('name', 'Alice’s rooms');
    await pause(50);
    await alices.destroy();

    const bobs = await openDoc({ docName, userId: 'bob00000', ...offline });
    expect(bobs.doc.getMap('setup').get('name')).toBeUndefined();
    await bobs.destroy();
    expect(await readCopy('alice000', docName)).toBe('Alice’s rooms');
  });
});

/** Stores a document with one room name in it as this user's local copy, as an earlier visit would. */
async function storeCopy(userId: string, docName: string, name: string): Promise<void> {
  const doc = new Y.Doc();
  const local = new IndexeddbPersistence(getLocalDbName({ userId, docName }), doc);
  await local.whenSynced;
  doc.getMap('setup').set('name', name);
  // y-indexeddb stores each update in its own transaction: let this one commit.
  await pause(50);
  await local.destroy();
}

describe('local copies read early (R99)', () => {
  it('openDoc takes over the copy started early: it holds the stored state, and later changes are stored', async () => {
    const docName = 'conversation/localcopy0003/control';
    await storeCopy('alice000', docName, 'Garden');

    openLocalCopyEarly({ userId: 'alice000', docName });
    const connection = await openDoc({ docName, userId: 'alice000', ...offline });
    expect(connection.doc.getMap('setup').get('name')).toBe('Garden');
    connection.doc.getMap('setup').set('name', 'Plenary');
    await pause(50);
    await connection.destroy();
    expect(await readCopy('alice000', docName)).toBe('Plenary');
  });

  it('a copy started early for one user is never given to another user of the browser', async () => {
    const docName = 'conversation/localcopy0004/control';
    await storeCopy('alice000', docName, 'Alice’s rooms');

    openLocalCopyEarly({ userId: 'alice000', docName, unclaimedMs: 100 });
    const bobs = await openDoc({ docName, userId: 'bob00000', ...offline });
    expect(bobs.doc.getMap('setup').get('name')).toBeUndefined();
    await bobs.destroy();
  });

  it('a copy nobody takes over is closed again, and the next open reads the database afresh', async () => {
    const docName = 'conversation/localcopy0005/control';
    await storeCopy('alice000', docName, 'Garden');

    openLocalCopyEarly({ userId: 'alice000', docName, unclaimedMs: 20 });
    await pause(100);
    const connection = await openDoc({ docName, userId: 'alice000', ...offline });
    expect(connection.doc.isDestroyed).toBe(false);
    expect(connection.doc.getMap('setup').get('name')).toBe('Garden');
    connection.doc.getMap('setup').set('name', 'Library');
    await pause(50);
    await connection.destroy();
    expect(await readCopy('alice000', docName)).toBe('Library');
  });

  it('asking twice starts one early copy, which the first open takes; the next open reads afresh', async () => {
    const docName = 'conversation/localcopy0006/control';
    await storeCopy('alice000', docName, 'Garden');

    openLocalCopyEarly({ userId: 'alice000', docName });
    openLocalCopyEarly({ userId: 'alice000', docName });
    const first = await openDoc({ docName, userId: 'alice000', ...offline });
    const second = await openDoc({ docName, userId: 'alice000', ...offline });
    expect(second.doc).not.toBe(first.doc);
    expect(first.doc.getMap('setup').get('name')).toBe('Garden');
    expect(second.doc.getMap('setup').get('name')).toBe('Garden');
    await first.destroy();
    await second.destroy();
  });
});
