/**
 * Parley's y-websocket server: the stock protocol (y-protocols sync + awareness) with per-connection
 * access (SPEC R11–R14), loading before the first sync step and idle unloading (R15), size and shape
 * limits (R16) and a batched, compacted update log (R17).
 *
 * Module map: `upgrade` admits or refuses the HTTP upgrade; `docManager` loads and unloads
 * `sharedDoc`s, which fan out and log updates; `messages` handles one frame of one `connection`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type * as Y from 'yjs';
import type { HistorySource } from '../../src/lib/domain/history';
import { tidyBreakout } from '../../src/lib/domain/breakout';
import { getDocName, parseDocName } from '../../src/lib/domain/docs';
import { asUserId, type ConversationId, type RoomId, type UserId } from '../../src/lib/domain/ids';
import { decideDocAccess, isRoomChat } from '../../src/lib/domain/policy';
import { isModerator, type Role } from '../../src/lib/domain/roles';
import { readBreakoutState } from '../../src/lib/sync/control';
import { Connection } from './connection';
import { DocManager } from './docManager';
import { handleFrame } from './messages';
import { encodeSyncStep1 } from './protocol';
import type { SharedDoc } from './sharedDoc';
import {
  CLOSE,
  SyncClosedError,
  TRANSACTION_META,
  type ControlDocObserver,
  type ServerWriteOptions,
  type SyncServer,
  type SyncServerOptions
} from './types';
import { upgradeAdmitted } from '../http/upgrade';
import { admitUpgrade, type Admission, type RoomChatInfo } from './upgrade';

export type {
  ControlDocObserver,
  ControlDocWatch,
  Identity,
  ServerWriteOptions,
  SyncServer,
  SyncServerOptions
} from './types';
import { startKeepalive } from '../http/keepalive';
export { CLOSE, SyncClosedError } from './types';
export { createMetaWriter, type MetaWriter } from './metaWriter';

/** Close codes outside `CLOSE` that the stock client treats as transient (it reconnects). */
const CLOSE_INTERNAL_ERROR = 1011;
const CLOSE_TRY_AGAIN_LATER = 1013;
/** How long shutdown waits for clients to answer the close frame before cutting their sockets. */
const CLOSE_GRACE_MS = 1_000;

export function createSyncServer(options: SyncServerOptions): SyncServer {
  const { persistence, identify, isAllowedOrigin } = options;
  const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
  const onError =
    options.onError ?? ((error: unknown, context: string) => console.error(`[sync] ${context}:`, error));

  // maxPayload makes `ws` itself refuse an oversize message with 1009 before buffering it whole.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes,
    perMessageDeflate: false,
    clientTracking: false
  });
  const docs = new DocManager({
    persistence,
    idleUnloadMs: options.idleUnloadMs ?? 30_000,
    compactAfterRows: options.compactAfterRows ?? 300,
    onError
  });
  const connections = new Set<Connection>();
  let closing: Promise<void> | null = null;
  /** Control documents whose changes re-decide access to room chats (SPEC R81). */
  const watched = new WeakSet<SharedDoc>();
  /** Per conversation: a revision of room-chat access is running, and whether another is due after it. */
  const revisions = new Map<ConversationId, { again: boolean }>();
  /** Who else watches control documents (the setup history, SPEC R97). */
  const controlObservers = new Set<ControlDocObserver>();
  /** Told of every change to a loaded control document (`onControlChange`: calls follow the session). */
  const controlListeners = new Set<(conversationId: ConversationId) => void>();
  /** Told of every role change or removal passed to `reviseAccess` (`onAccessRevised`). */
  const accessListeners = new Set<
    (conversationId: ConversationId, userId: UserId, role: Role | null) => void
  >();
  /** What runs at shutdown before the documents go (`onShutDown`). */
  const shutdownTasks: Array<(write: SyncServer['writeAsServer']) => Promise<void>> = [];

  /**
   * `docs.open`, plus: a control document's changes (a move, a removed room) re-decide who may read
   * the room chats of its conversation, and once it is loaded its observers see every change.
   */
  function openDoc(name: string): SharedDoc {
    const shared = docs.open(name);
    if (!watched.has(shared)) {
      watched.add(shared);
      const ref = parseDocName(name);
      if (ref?.kind === 'control') {
        shared.doc.on('update', () => {
          scheduleRoomChatRevision(ref.conversationId);
          notifyControlChange(ref.conversationId);
        });
        // Registered at the first open, so this runs before any frame or server write waiting for the
        // load: the observers miss no change, and never see the stored state being loaded.
        shared.whenLoaded.then(
          () => observeControlDoc(shared, ref.conversationId),
          () => {} // reported by the document manager
        );
      }
    }
    return shared;
  }

  function notifyControlChange(conversationId: ConversationId): void {
    for (const listener of controlListeners) {
      try {
        listener(conversationId);
      } catch (error) {
        onError(error, `telling of a control change in ${conversationId}`);
      }
    }
  }

  function observeControlDoc(shared: SharedDoc, conversationId: ConversationId): void {
    if (shared.isDestroyed) return;
    for (const observer of controlObservers) {
      try {
        const stop = observer({ conversationId, doc: shared.doc, sourceOf });
        if (stop) shared.doc.once('destroy', stop);
      } catch (error) {
        onError(error, `observing ${shared.name}`);
      }
    }
  }

  /**
   * Who made a transaction's change (SPEC R97): the connection's signed-in identity or the server
   * write's options, never what a client says about itself.
   */
  function sourceOf(transaction: Y.Transaction): HistorySource | null {
    const origin: unknown = transaction.origin;
    if (origin instanceof Connection) {
      return {
        kind: 'member',
        userId: origin.identity.userId,
        displayName: origin.identity.displayName,
        merged: transaction.meta.get(TRANSACTION_META.syncAnswer) === true
      };
    }
    if (origin === 'server') {
      const options = transaction.meta.get(TRANSACTION_META.serverWrite) as ServerWriteOptions | undefined;
      return { kind: 'server', actor: options?.actor ?? null, reason: options?.reason ?? null };
    }
    return null;
  }

  /** The room each participant is in as every replica shows it (tidy view of the control document). */
  async function readRoomOf(conversationId: ConversationId): Promise<{
    roomOf: ReadonlyMap<UserId, RoomId>;
    roles: ReadonlyMap<UserId, Role>;
    rooms: ReadonlySet<string>;
  }> {
    const members = await persistence.listMembers(conversationId);
    const state = await readDoc(getDocName({ conversationId, kind: 'control' }), readBreakoutState);
    const view = tidyBreakout({
      state,
      members: members.map((m) => ({ userId: asUserId(m.userId), isModerator: isModerator(m.role) }))
    });
    return {
      roomOf: view.roomOf,
      roles: new Map(members.map((m) => [asUserId(m.userId), m.role])),
      rooms: new Set(state.rooms.map((room) => room.id))
    };
  }

  async function getAssignedRoom(conversationId: ConversationId, userId: UserId): Promise<RoomId | null> {
    return (await readRoomOf(conversationId)).roomOf.get(userId) ?? null;
  }

  async function getRoomChat(
    conversationId: ConversationId,
    userId: UserId,
    room: string
  ): Promise<RoomChatInfo> {
    const { roomOf, rooms } = await readRoomOf(conversationId);
    const assignedRoom = roomOf.get(userId) ?? null;
    if (rooms.has(room)) return { assignedRoom, roomKnown: true };
    // A removed room's chat is kept and stays readable by the moderators (R73); a made-up id has none.
    const docName = getDocName({ conversationId, kind: 'chat', room });
    const roomKnown = (await persistence.listDocNames(docName)).includes(docName);
    return { assignedRoom, roomKnown };
  }

  /**
   * Closes `conn` when its member may not read its room chat by these assignments: 4410 when the room
   * is gone from the setup (the stock client stops for good), 4401 when they are no longer in it.
   */
  function closeIfOutOfRoom(
    conn: Connection,
    { roomOf, roles, rooms }: Awaited<ReturnType<typeof readRoomOf>>
  ): void {
    const userId = conn.identity.userId;
    const access = decideDocAccess({
      role: roles.get(userId) ?? null,
      kind: conn.ref.kind,
      room: conn.ref.room,
      assignedRoom: roomOf.get(userId) ?? null
    });
    if (access !== 'none') return;
    // A removed room reads like a deleted one to its former members (the stock client stops for good).
    if (!rooms.has(conn.ref.room ?? '')) conn.close(CLOSE.deleted, 'This room was deleted.');
    else conn.close(CLOSE.accessRevoked, 'You are no longer in this room.');
  }

  function scheduleRoomChatRevision(conversationId: ConversationId): void {
    const running = revisions.get(conversationId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    revisions.set(conversationId, state);
    void (async () => {
      try {
        do {
          state.again = false;
          await reviseRoomChats(conversationId);
        } while (state.again && !closing);
      } catch (error) {
        // Shutdown closes every connection anyway; only other failures are worth reporting.
        if (!(error instanceof SyncClosedError)) {
          onError(error, `re-deciding room chat access in ${conversationId}`);
        }
      } finally {
        revisions.delete(conversationId);
      }
    })();
  }

  /** Closes room-chat connections of people who are no longer in that room (moved, room removed). */
  async function reviseRoomChats(conversationId: ConversationId): Promise<void> {
    const affected = () =>
      [...connections].filter(
        (conn) => conn.ref.conversationId === conversationId && isRoomChat(conn.ref) && !conn.isClosed
      );
    if (affected().length === 0 || closing) return;
    const snapshot = await readRoomOf(conversationId);
    for (const conn of affected()) closeIfOutOfRoom(conn, snapshot);
  }

  const stopKeepalive = startKeepalive(connections, options.pingIntervalMs);

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    upgradeAdmitted(req, socket, head, {
      wss,
      isClosing: () => closing !== null,
      admit: (request) => admitUpgrade(request, { persistence, identify, isAllowedOrigin, getRoomChat }),
      accept,
      onError: (error) => onError(error, 'admitting a WebSocket upgrade'),
      failure: 'The server could not open this document; try again.'
    });
  }

  function accept(ws: WebSocket, admission: Admission & { ok: true }): void {
    const conn = new Connection({
      ws,
      identity: admission.identity,
      docName: admission.docName,
      ref: admission.ref,
      access: admission.access
    });
    if (closing) {
      conn.close(CLOSE.goingAway, 'The server is shutting down.');
      return;
    }
    connections.add(conn);
    const shared = openDoc(admission.docName);
    shared.connections.add(conn);

    ws.on('pong', () => {
      conn.isAlive = true;
    });
    // `ws` reports protocol violations and oversize messages here and closes the socket itself
    // (1002, 1009, …); the 'close' handler below does the cleanup.
    ws.on('error', () => {});
    ws.on('close', () => {
      connections.delete(conn);
      shared.removeConnection(conn);
      docs.release(shared);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      try {
        if (conn.isClosed) return;
        if (!isBinary) {
          conn.close(CLOSE.unsupportedData, 'Text frames are not part of the y-websocket protocol.');
          return;
        }
        const frame = toUint8Array(data);
        if (conn.earlyFrames !== null) {
          if (!conn.holdEarlyFrame(frame)) {
            conn.close(CLOSE_TRY_AGAIN_LATER, 'Too many messages before the document was loaded.');
          }
          return;
        }
        handleFrame(shared, conn, frame);
      } catch (error) {
        onError(error, `handling a message on ${conn.docName}`);
        conn.close(CLOSE_INTERNAL_ERROR, 'The server failed on this message.');
      }
    });

    shared.whenLoaded
      .then(
        // Frames wait for this too: a role change, or a move out of a room, that landed between the
        // admission's reads and this connection joining `connections` would otherwise go unnoticed
        // (SPEC R14, R81). Nothing is sent before it is decided.
        () => recheckAccess(conn).then(() => greet(shared, conn)),
        () => conn.close(CLOSE_INTERNAL_ERROR, 'The document could not be loaded; reconnecting.')
      )
      .catch((error: unknown) => {
        // Shutdown (reading the assignments refuses then) closes the connection anyway, as going away.
        if (error instanceof SyncClosedError && closing) return;
        onError(error, `re-deciding access of a new connection to ${conn.docName}`);
        conn.close(CLOSE_INTERNAL_ERROR, 'The server failed to start syncing.');
      });
  }

  /**
   * Decides once more, for a connection that is now reachable by `reviseAccess` and by room-chat
   * revisions, whether it may read: the membership, and for a room chat the assignments. Resolves once
   * decided (the connection closed if not), so the greeting never goes to someone refused.
   */
  async function recheckAccess(conn: Connection): Promise<void> {
    const revision = conn.accessRevision;
    const membership = await persistence.getMembership(conn.ref.conversationId, conn.identity.userId);
    // A `reviseAccess` meanwhile knows better than this read, which may predate it.
    if (conn.accessRevision === revision) setAccess(conn, membership?.role ?? null);
    // A move between the admission's read of the assignments and now is caught here (SPEC R81). Later
    // moves re-decide it through `reviseRoomChats`, which sees this connection now.
    if (isRoomChat(conn.ref) && !conn.isClosed && !isModerator(membership?.role ?? null)) {
      closeIfOutOfRoom(conn, await readRoomOf(conn.ref.conversationId));
    }
  }

  function setAccess(conn: Connection, role: Role | null): void {
    conn.accessRevision++;
    // Room chats also depend on the assignments, which `reviseRoomChats` reads; here only the role
    // counts, so a member stays a reader until that revision says otherwise.
    const access = decideDocAccess({
      role,
      kind: conn.ref.kind,
      room: conn.ref.room,
      assignedRoom: conn.ref.room
    });
    if (access === 'none') {
      // A member who may no longer read this document (the setup history after a demotion, R97) is
      // told so; someone removed from the conversation hears that.
      conn.close(
        CLOSE.accessRevoked,
        role === null
          ? 'You are no longer a member of this conversation.'
          : conn.ref.kind === 'history'
            ? 'Only moderators can read the setup history; you are no longer a moderator.'
            : 'You may no longer read this document.'
      );
    } else {
      conn.access = access;
      if (isRoomChat(conn.ref) && !isModerator(role)) scheduleRoomChatRevision(conn.ref.conversationId);
    }
  }

  /** First words once the document is loaded (SPEC R15), then the frames that waited for it. */
  function greet(shared: SharedDoc, conn: Connection): void {
    try {
      if (conn.isClosed) return;
      conn.send(encodeSyncStep1(shared.doc));
      const awareness = shared.encodeAllAwareness();
      if (awareness) conn.send(awareness);
      const early = conn.earlyFrames ?? [];
      conn.earlyFrames = null;
      for (const frame of early) handleFrame(shared, conn, frame);
    } catch (error) {
      onError(error, `greeting a connection on ${conn.docName}`);
      conn.close(CLOSE_INTERNAL_ERROR, 'The server failed to start syncing.');
    }
  }

  function reviseAccess(conversationId: ConversationId, userId: UserId, role: Role | null): void {
    for (const conn of connections) {
      if (conn.ref.conversationId === conversationId && conn.identity.userId === userId)
        setAccess(conn, role);
    }
    for (const listener of accessListeners) {
      try {
        listener(conversationId, userId, role);
      } catch (error) {
        onError(error, `telling of a role change in ${conversationId}`);
      }
    }
  }

  function writeAsServer(
    docName: string,
    change: (doc: Y.Doc) => void,
    options?: ServerWriteOptions
  ): Promise<void> {
    return write(docName, change, options, false);
  }

  /** `writeAsServer`; with `duringShutDown`, also while the shutdown tasks run (before unloading). */
  async function write(
    docName: string,
    change: (doc: Y.Doc) => void,
    options: ServerWriteOptions | undefined,
    duringShutDown: boolean
  ): Promise<void> {
    if (closing && !duringShutDown) throw new SyncClosedError();
    if (!parseDocName(docName)) throw new Error(`“${docName}” is not a Parley document name.`);
    const shared = openDoc(docName);
    // Pinned so that an idle unload cannot destroy the document between its load and the change, and
    // so that shutdown waits for the change to be stored.
    shared.pin();
    try {
      await shared.whenLoaded;
      // Shutdown began during the load: the document is about to go (or gone), so a change now would
      // be acknowledged and then lost.
      if ((closing && !duringShutDown) || shared.isDestroyed) throw new SyncClosedError();
      shared.doc.transact((transaction) => {
        // Whom the write was for, for the setup history (SPEC R97).
        if (options) transaction.meta.set(TRANSACTION_META.serverWrite, options);
        change(shared.doc);
      }, 'server');
      // Whoever is told "done" (a REST client) must find the change after a crash (SPEC R17).
      await shared.log.persist();
    } finally {
      shared.unpin();
      docs.release(shared);
    }
  }

  async function readDoc<T>(docName: string, read: (doc: Y.Doc) => T): Promise<T> {
    if (closing) throw new SyncClosedError();
    if (!parseDocName(docName)) throw new Error(`“${docName}” is not a Parley document name.`);
    const shared = openDoc(docName);
    shared.pin();
    try {
      await shared.whenLoaded;
      if (shared.isDestroyed) throw new SyncClosedError();
      return read(shared.doc);
    } finally {
      shared.unpin();
      docs.release(shared);
    }
  }

  async function deleteDocument(docName: string): Promise<void> {
    if (closing) throw new Error('The sync server is closed; the document was not deleted.');
    if (!parseDocName(docName)) throw new Error(`“${docName}” is not a Parley document name.`);
    await docs.delete(docName, (shared) => {
      for (const conn of shared.connections) conn.close(CLOSE.deleted, 'This room was deleted.');
    });
  }

  async function shutDown(): Promise<void> {
    stopKeepalive();
    const open = [...connections];
    for (const conn of open) conn.close(CLOSE.goingAway, 'The server is restarting.');
    // No client change comes in any more: recorders store what they hold while documents still open.
    const writeNow: SyncServer['writeAsServer'] = (docName, change, options) =>
      write(docName, change, options, true);
    for (const task of shutdownTasks) {
      try {
        await task(writeNow);
      } catch (error) {
        onError(error, 'a shutdown task');
      }
    }
    await docs.unloadAll();
    await waitForClosed(open, CLOSE_GRACE_MS);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  return {
    handleUpgrade,
    writeAsServer,
    readDoc,
    getAssignedRoom,
    getRoomChat,
    deleteDocument,
    reviseAccess,
    observeControlDocs(observer) {
      controlObservers.add(observer);
      return () => controlObservers.delete(observer);
    },
    onControlChange(listener) {
      controlListeners.add(listener);
      return () => controlListeners.delete(listener);
    },
    onAccessRevised(listener) {
      accessListeners.add(listener);
      return () => accessListeners.delete(listener);
    },
    onShutDown(task) {
      shutdownTasks.push(task);
    },
    stats: () => ({ loadedDocs: docs.size, connections: connections.size }),
    close() {
      closing ??= shutDown();
      return closing;
    }
  };
}

function toUint8Array(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/** Waits for the sockets to finish their closing handshake; cuts the ones that do not in time. */
async function waitForClosed(conns: Connection[], graceMs: number): Promise<void> {
  const pending = conns.filter((conn) => conn.ws.readyState !== WebSocket.CLOSED);
  if (pending.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const allClosed = Promise.all(
    pending.map((conn) => new Promise<void>((resolve) => conn.ws.once('close', () => resolve())))
  );
  const graceOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([allClosed, graceOver]);
  clearTimeout(timer);
  for (const conn of pending) {
    if (conn.ws.readyState !== WebSocket.CLOSED) conn.ws.terminate();
  }
}
