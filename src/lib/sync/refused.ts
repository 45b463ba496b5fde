import * as Y from 'yjs';
import * as idb from 'lib0/indexeddb';
import type { BreakoutState } from '../domain/breakout';
import { readBreakoutState, readHelpRequests, readReturned, readSession } from './control';
import { getLocalDbName, openDoc, type OpenDocOptions } from './openDoc';

/**
 * Refused changes to the control document (SPEC R94). A moderator demoted while offline reconnects with a
 * read-only connection, and the server closes it (4403) at their first sync answer, which carries the
 * offline work (R12). The page then keeps that copy as "refused", looks at the server's copy beside it,
 * says what differs, and replaces the local copy with the server's.
 */
export interface ControlCopy {
  /** The whole document, as one update. */
  update: Uint8Array;
  setup: BreakoutState;
}

/** The content of a control document now: what was refused, before anything replaces it. */
export function takeControlCopy(doc: Y.Doc): ControlCopy {
  return { update: Y.encodeStateAsUpdate(doc), setup: readBreakoutState(doc) };
}

function withDoc<T>(updates: Uint8Array[], read: (doc: Y.Doc) => T): T {
  const doc = new Y.Doc();
  try {
    for (const update of updates) Y.applyUpdate(doc, update);
    return read(doc);
  } finally {
    doc.destroy();
  }
}

function readSessionPart(doc: Y.Doc): string {
  return JSON.stringify({
    session: readSession(doc),
    help: readHelpRequests(doc),
    returned: [...readReturned(doc)].sort()
  });
}

/**
 * What the refused changes would have made of the server's copy: both merged, as the server would have
 * had it. Comparing that with the server's copy lists exactly the refused changes: a room another
 * moderator added meanwhile is on both sides, a room the refused copy removed is on one only.
 * `sessionDiffers`: the refused changes also touched the session (a start, an end, the timer).
 */
export function mergeRefused({ server, refused }: { server: Uint8Array; refused: Uint8Array }): {
  setup: BreakoutState;
  sessionDiffers: boolean;
} {
  const serverSession = withDoc([server], readSessionPart);
  return withDoc([server, refused], (doc) => ({
    setup: readBreakoutState(doc),
    sessionDiffers: readSessionPart(doc) !== serverSession
  }));
}

/**
 * The server's copy, opened beside the refused one: in memory (nothing of it reaches IndexedDB yet) and
 * read-only (nothing is written to it, so its sync answers carry nothing and are not refused). Rejects
 * with the close's sentence, or after `timeoutMs` without the server's state.
 */
export async function fetchServerCopy({
  timeoutMs = 20_000,
  ...options
}: Pick<OpenDocOptions, 'docName' | 'userId' | 'url' | 'WebSocketPolyfill'> & {
  timeoutMs?: number;
}): Promise<ControlCopy> {
  const connection = await openDoc({ ...options, persist: false, readOnly: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error('The server’s copy of the breakout rooms did not arrive in time.'));
      }, timeoutMs);
      const check = () => {
        if (!connection.synced && !connection.closed) return;
        clearTimeout(timer);
        off();
        if (connection.synced) resolve();
        else reject(new Error(connection.closed?.message ?? 'The server closed the connection.'));
      };
      const off = connection.subscribe(check);
      check();
    });
    return takeControlCopy(connection.doc);
  } finally {
    await connection.destroy();
  }
}

/**
 * Replaces this user's IndexedDB copy of a document with `update` (the server's state), in one
 * transaction: the refused updates are gone from it, and the next open starts from the server's state.
 * The database is y-indexeddb's (its `updates` store); it is emptied rather than deleted, so other tabs
 * that have it open keep a working connection to it.
 */
export async function replaceLocalCopy({
  userId,
  docName,
  update
}: {
  userId: string;
  docName: string;
  update: Uint8Array;
}): Promise<void> {
  const db = await idb.openDB(getLocalDbName({ userId, docName }), (created) =>
    idb.createStores(created, [['updates', { autoIncrement: true }], ['custom']])
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['updates'], 'readwrite');
      const store = tx.objectStore('updates');
      store.clear();
      store.add(update);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}
