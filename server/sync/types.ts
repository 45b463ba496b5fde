import type * as Y from 'yjs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HistorySource, ServerWriteReason } from '../../src/lib/domain/history';
import type { ConversationId, RoomId, UserId } from '../../src/lib/domain/ids';
import type { Role } from '../../src/lib/domain/roles';
import type { Identity } from '../auth/identity';
import type { Persistence } from '../persistence/types';

export type { Identity };

/** WebSocket close codes. 4400–4499 are final for the stock y-websocket client (it stops reconnecting). */
export const CLOSE = {
  /** A frame that is not a well-formed y-websocket message. */
  malformed: 4400,
  /** Access was withdrawn (no longer a member). */
  accessRevoked: 4401,
  /** A read-only connection sent a change. */
  readOnlyWrite: 4403,
  /** The document was deleted (a breakout room's chat, SPEC R50). */
  deleted: 4410,
  /** Text frames are not part of the protocol. */
  unsupportedData: 1003,
  /** Server is shutting down: clients reconnect. */
  goingAway: 1001
} as const;

/**
 * Keys of `Y.Transaction.meta` on the server's documents, read when the setup history names who made a
 * change (SPEC R97): a client's answer to the server's first sync step (changes made while it was
 * away), and the options of a server write.
 */
export const TRANSACTION_META = {
  syncAnswer: Symbol('sync answer'),
  serverWrite: Symbol('server write')
} as const;

/** Whom a server write of the control document was for (SPEC R97): recorded in the setup history. */
export interface ServerWriteOptions {
  /** The person the write was for: the participant of an intent, the late joiner placed. */
  actor?: { userId: string; displayName: string };
  reason?: ServerWriteReason;
}

/** A loaded control document, as `observeControlDocs` observers see it. */
export interface ControlDocWatch {
  conversationId: ConversationId;
  doc: Y.Doc;
  /**
   * Who made the change of `transaction`: a connection's signed-in identity (never what the client
   * claims), with `merged` for its first sync answer, or the server with the options of its write.
   * `null` for anything else (the stored state applied at load time is never observed).
   */
  sourceOf(transaction: Y.Transaction): HistorySource | null;
}

/** Called once per loaded control document; may return what to call when the document is unloaded. */
export type ControlDocObserver = (watch: ControlDocWatch) => (() => void) | void;

/** The server is shutting down; the change was not made (REST answers 503: try again shortly). */
export class SyncClosedError extends Error {
  constructor() {
    super('The sync server is shutting down; the change was not written.');
    this.name = 'SyncClosedError';
  }
}

export interface SyncServer {
  /** Handles an HTTP upgrade on `/ws/<docName>`: 401/403/404 as plain HTTP before any Yjs message. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * The server as trusted writer: loads the document if needed and runs `change` inside one
   * transaction with the origin `'server'`; the change is fanned out like any other and stored before
   * this resolves. Throws `SyncClosedError` when shutdown began, so nothing is acknowledged and lost.
   * `options` says whom a write of the control document was for (the setup history, SPEC R97).
   */
  writeAsServer(docName: string, change: (doc: Y.Doc) => void, options?: ServerWriteOptions): Promise<void>;
  /**
   * Calls `observer` for every control document once it is loaded, before any client's or the server's
   * change is applied to it (the setup history, SPEC R97). Register before the server takes connections:
   * documents loaded already are not reported. Returns the function that stops reporting new ones.
   */
  observeControlDocs(observer: ControlDocObserver): () => void;
  /**
   * Calls `listener` after every change to a loaded control document of any conversation (a client's,
   * the server's, and the stored state as it loads), synchronously, so it should only schedule work.
   * The call signaling hub re-decides who may stay in which call with it (SPEC R115). Returns the
   * function that stops it.
   */
  onControlChange(listener: (conversationId: ConversationId) => void): () => void;
  /**
   * Calls `listener` from `reviseAccess` (a role change, or `null` for someone no longer a member),
   * after the sync connections got their new access. Returns the function that stops it.
   */
  onAccessRevised(
    listener: (conversationId: ConversationId, userId: UserId, role: Role | null) => void
  ): () => void;
  /**
   * Runs `task` when the server shuts down, once every connection is closed and before the documents
   * are unloaded and stored for the last time. `write` works like `writeAsServer`, which refuses by
   * then, so a recorder can store what it still holds (the setup history's last entries, SPEC R97).
   */
  onShutDown(task: (write: SyncServer['writeAsServer']) => Promise<void>): void;
  /**
   * Reads a document as the server holds it (loading it if needed) without changing it; `read` runs
   * synchronously on the loaded document, so what it sees is one consistent state.
   */
  readDoc<T>(docName: string, read: (doc: Y.Doc) => T): Promise<T>;
  /**
   * The breakout room this member is in as every replica shows it (`tidyBreakout` of the control
   * document and the stored members), or `null` (SPEC R43, R81).
   */
  getAssignedRoom(conversationId: ConversationId, userId: UserId): Promise<RoomId | null>;
  /**
   * For a breakout room's chat: the member's room (as `getAssignedRoom`) and whether `room` is one of
   * this conversation's, in its setup or with a stored chat document (a removed room's, SPEC R73, R81).
   */
  getRoomChat(
    conversationId: ConversationId,
    userId: UserId,
    room: string
  ): Promise<{ assignedRoom: RoomId | null; roomKnown: boolean }>;
  /**
   * Deletes a document for good: closes its connections with `CLOSE.deleted` (final for the stock
   * client), drops its pending writes and deletes its stored log (SPEC R50).
   */
  deleteDocument(docName: string): Promise<void>;
  /**
   * Gives every open connection of this user in this conversation the access of `role` (`null`: no
   * longer a member), at once: no frame of theirs is handled with the old access after this returns
   * (role change, SPEC R14).
   */
  reviseAccess(conversationId: ConversationId, userId: UserId, role: Role | null): void;
  /** Numbers for tests and benchmarks. */
  stats(): { loadedDocs: number; connections: number };
  /** Flushes pending writes and closes every connection. */
  close(): Promise<void>;
}

/** Options of `createSyncServer` (server/sync/index.ts). */
export interface SyncServerOptions {
  persistence: Persistence;
  /** The member behind an upgrade request, from its session or guest cookie; `null` answers 401. */
  identify: (req: IncomingMessage) => Promise<Identity | null>;
  /** `false` answers 403 (cross-site WebSocket hijacking: browsers send cookies with any origin). */
  isAllowedOrigin: (req: IncomingMessage) => boolean;
  /** Delay before a document with no connection is unloaded (SPEC R15). Default 30 s. */
  idleUnloadMs?: number;
  /** Larger incoming messages close the connection with 1009 (SPEC R16). Default 1 MiB. */
  maxMessageBytes?: number;
  /** Rows of a document's update log after which it is compacted (SPEC R17). Default 300. */
  compactAfterRows?: number;
  /** Keepalive ping period; a socket that missed one pong by the next ping is terminated. Default 30 s. */
  pingIntervalMs?: number;
  /** Where unexpected server-side failures are reported. Default `console.error`. */
  onError?: (error: unknown, context: string) => void;
}
