import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import { MAIN_ROOM, parseDocName } from '../domain/docs';
import { decideDocAccess } from '../domain/policy';
import { openTabChannel } from './tabs';

export type ProviderStatus = 'connecting' | 'connected' | 'disconnected';

/** A final close from the server (codes 4400–4499: the client stops reconnecting). */
export interface FinalClose {
  code: number;
  reason: string;
  /** What happened, as a sentence for the user. */
  message: string;
}

/** One opened document: local copy first, then the live connection (SPEC R18). */
export interface DocConnection {
  readonly docName: string;
  readonly doc: Y.Doc;
  /** The provider's presence (awareness) on this document (SPEC R19, R95). */
  readonly awareness: Awareness;
  readonly status: ProviderStatus;
  /** The server's state has been received since the last connect. */
  readonly synced: boolean;
  readonly closed: FinalClose | null;
  /** Called after any change of `status`, `synced` or `closed`; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /**
   * Asks this user's other tabs for what this one lacks (SPEC R93): call it once `mayWrite` may have
   * turned true (the member list loaded, a promotion), since state is only exchanged by writers.
   */
  resyncTabs(): void;
  destroy(): Promise<void>;
}

/** Close codes the server uses (server/sync/types.ts), as sentences a member can act on. */
export function describeClose(code: number, docName = ''): string {
  const ref = parseDocName(docName);
  if (ref?.kind === 'chat' && ref.room !== MAIN_ROOM) {
    // A breakout room's chat closes when its reader is moved out or the room goes (SPEC R76, R81).
    if (code === 4401) return 'You are no longer in this room.';
    if (code === 4410) return 'This room was removed.';
  }
  switch (code) {
    case 4401:
      return 'You are no longer a member of this conversation.';
    case 4403:
      return ref?.kind === 'control'
        ? 'Your changes to the breakout rooms were refused: you can only read them now.'
        : 'Your changes to this document were refused: you can only read it.';
    case 4400:
      return 'The server could not read what this page sent. Reload the page to reconnect.';
    case 4404:
    case 4410:
      return 'This document no longer exists.';
    default:
      return `The server ended the connection (code ${code}). Reload the page to reconnect.`;
  }
}

export function getSyncUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

/** The IndexedDB database of one document, per signed-in user so accounts sharing a browser never mix. */
export function getLocalDbName({ userId, docName }: { userId: string; docName: string }): string {
  return `parley:${userId}:${docName}`;
}

/** Meta and chat documents: every member only reads them (SPEC R11). */
function isWrittenByServerOnly(docName: string): boolean {
  const ref = parseDocName(docName);
  return ref !== null && decideDocAccess({ role: 'owner', kind: ref.kind }) !== 'write';
}

/** One reset per document per minute, so a server that keeps refusing cannot make the page reload forever. */
function mayResetOnce(docName: string): boolean {
  const key = `parley:reset:${docName}`;
  const last = Number(sessionStorage.getItem(key) ?? 0);
  if (Date.now() - last < 60_000) return false;
  sessionStorage.setItem(key, String(Date.now()));
  return true;
}

/** A local copy being read before anyone asked for its document (`openLocalCopyEarly`). */
interface EarlyCopy {
  doc: Y.Doc;
  local: IndexeddbPersistence;
  expiry: ReturnType<typeof setTimeout>;
}

/** By IndexedDB database name: per user and document. */
const earlyCopies = new Map<string, EarlyCopy>();

/**
 * A new document that starts reading its IndexedDB copy now. While the copy is read in, nobody listens
 * for updates: Yjs then does not encode the whole loaded state once more only for y-indexeddb to see it
 * came from itself and drop it (some 20 ms for a conversation of a thousand people, SPEC R99). `openDoc`
 * puts y-indexeddb's listener back after `whenSynced`; nothing writes to the document before that.
 */
function startLocalCopy(dbName: string): { doc: Y.Doc; local: IndexeddbPersistence } {
  const doc = new Y.Doc();
  const local = new IndexeddbPersistence(dbName, doc);
  doc.off('update', local._storeUpdate);
  return { doc, local };
}

/**
 * Starts reading this user's IndexedDB copy of a document before the page asks for it (SPEC R99): the
 * app calls it while it starts, when the address says which conversation will open, so IndexedDB works
 * while the app's code runs. The next `openDoc` of that user and document takes it over; one nobody
 * takes within `unclaimedMs` is closed again. Does nothing without IndexedDB or when already started.
 */
export function openLocalCopyEarly({
  userId,
  docName,
  unclaimedMs = 10_000
}: {
  userId: string;
  docName: string;
  unclaimedMs?: number;
}): void {
  if (typeof indexedDB === 'undefined') return;
  const dbName = getLocalDbName({ userId, docName });
  if (earlyCopies.has(dbName)) return;
  const { doc, local } = startLocalCopy(dbName);
  const expiry = setTimeout(() => {
    if (earlyCopies.get(dbName)?.doc !== doc) return;
    earlyCopies.delete(dbName);
    void local.destroy().then(() => doc.destroy());
  }, unclaimedMs);
  earlyCopies.set(dbName, { doc, local, expiry });
}

/** The early copy of this database, now owned by the caller; `null` when none was started. */
function claimEarlyCopy(dbName: string): { doc: Y.Doc; local: IndexeddbPersistence } | null {
  const early = earlyCopies.get(dbName);
  if (!early) return null;
  earlyCopies.delete(dbName);
  clearTimeout(early.expiry);
  return { doc: early.doc, local: early.local };
}

export interface OpenDocOptions {
  docName: string;
  userId: string;
  /** Defaults to `/ws` on this page's host. */
  url?: string;
  /** Skip the IndexedDB copy (Node tests without IndexedDB, a look at the server's copy). */
  persist?: boolean;
  /**
   * Whether this user may write the document now (a moderator, on the control document). Only then are
   * local changes shared with the user's other tabs (SPEC R93); asked again for every change. Documents
   * only the server writes never share local changes, whatever this says.
   */
  mayWrite?: () => boolean;
  /**
   * A copy that is only looked at (SPEC R94: the server's state beside a refused one): no presence, no
   * tab channel, and nothing is ever written to it, so its sync answers carry nothing and a read-only
   * connection accepts them.
   */
  readOnly?: boolean;
  WebSocketPolyfill?: typeof WebSocket;
}

/**
 * Opens a document: loads the IndexedDB copy and waits for it, so the page shows the last known state
 * even when the server is down, and only then connects, so the first sync step already carries the local
 * state and the server sends just what is missing.
 */
export async function openDoc({
  docName,
  userId,
  url,
  persist = true,
  mayWrite,
  readOnly = false,
  WebSocketPolyfill
}: OpenDocOptions): Promise<DocConnection> {
  let doc: Y.Doc;
  let local: IndexeddbPersistence | null = null;
  if (persist) {
    const dbName = getLocalDbName({ userId, docName });
    ({ doc, local } = claimEarlyCopy(dbName) ?? startLocalCopy(dbName));
    // A broken or blocked IndexedDB must not keep the page from going online.
    await Promise.race([local.whenSynced, new Promise((resolve) => setTimeout(resolve, 3000))]);
    doc.on('update', local._storeUpdate);
  } else {
    doc = new Y.Doc();
  }

  const provider = new WebsocketProvider(url ?? getSyncUrl(), docName, doc, {
    // y-websocket's own cross-tab channel would relay everything, also to tabs that may only read: a
    // tab's next sync answer would then push that to a server that accepts no writes from them (R12).
    // Tabs share through `tabs.ts` instead, which relays local changes only between writers (R93).
    disableBc: true,
    connect: false,
    ...(WebSocketPolyfill ? { WebSocketPolyfill } : {})
  });
  // A look at the server's copy shows no presence (read-only presence is dropped anyway, R95).
  if (readOnly) provider.awareness.setLocalState(null);
  const serverOnly = isWrittenByServerOnly(docName);
  let tabs = readOnly
    ? null
    : openTabChannel({
        doc,
        userId,
        docName,
        isFromServer: (origin) => origin === provider,
        sharing: () => (!serverOnly && mayWrite?.() ? 'all' : 'server')
      });
  provider.connect();

  let status: ProviderStatus = provider.wsconnected ? 'connected' : 'connecting';
  let synced = false;
  let closed: FinalClose | null = null;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };

  provider.on('status', ({ status: next }) => {
    status = next;
    if (next !== 'connected') synced = false;
    notify();
  });
  provider.on('sync', (isSynced: boolean) => {
    synced = isSynced;
    notify();
  });
  provider.on('closed', ({ code, reason }) => {
    if (code === 4403 && local && serverOnly && mayResetOnce(docName)) {
      // Nobody but the server writes this document, so a refused sync answer means this copy holds
      // updates the server no longer has (lost before they were stored, or a restored backup). The
      // server's state is the truth: drop the local copy and start again from it.
      closed = {
        code,
        reason,
        message: 'This page’s copy was ahead of the server. Loading the server’s copy…'
      };
      notify();
      void local.clearData().then(() => location.reload());
      return;
    }
    if (code === 4403 && !serverOnly) {
      // Refused changes (SPEC R94: a moderator demoted while offline). This copy holds what the server
      // would not apply: it must spread no further, neither into the IndexedDB copy (the one stored there
      // is kept until the caller replaces it with the server's) nor to other tabs.
      tabs?.close();
      tabs = null;
      void local?.destroy();
    }
    closed = { code, reason, message: describeClose(code, docName) };
    status = 'disconnected';
    synced = false;
    notify();
  });

  // The browser knows before the socket does: an open socket can take up to 30 s to notice a dead
  // network, and meanwhile the page would claim to be online.
  const onOffline = () => provider.disconnect();
  const onOnline = () => {
    if (!closed) provider.connect();
  };
  if (typeof window !== 'undefined') {
    window.addEventListener('offline', onOffline);
    window.addEventListener('online', onOnline);
  }

  let destroyed = false;
  return {
    docName,
    doc,
    awareness: provider.awareness,
    get status() {
      return status;
    },
    get synced() {
      return synced;
    },
    get closed() {
      return closed;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    resyncTabs() {
      tabs?.resync();
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      listeners.clear();
      if (typeof window !== 'undefined') {
        window.removeEventListener('offline', onOffline);
        window.removeEventListener('online', onOnline);
      }
      tabs?.close();
      provider.destroy();
      if (local) await local.destroy();
      doc.destroy();
    }
  };
}
