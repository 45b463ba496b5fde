import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { getLocalDbName, openDoc } from './openDoc';

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
