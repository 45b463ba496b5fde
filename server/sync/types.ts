import type * as Y from 'yjs';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConversationId, UserId } from '../../src/lib/domain/ids';
import type { MemberKind } from '../../src/lib/domain/roles';

/** Who opened a request or connection, as established from the session or guest cookie. */
export interface Identity {
  userId: UserId;
  kind: MemberKind;
  displayName: string;
}

/** WebSocket close codes. 4400–4499 are final for the stock y-websocket client (it stops reconnecting). */
export const CLOSE = {
  /** A frame that is not a well-formed y-websocket message. */
  malformed: 4400,
  /** Access was withdrawn (no longer a member). */
  accessRevoked: 4401,
  /** A read-only connection sent a change. */
  readOnlyWrite: 4403,
  /** Text frames are not part of the protocol. */
  unsupportedData: 1003,
  /** Server is shutting down: clients reconnect. */
  goingAway: 1001
} as const;

export interface SyncServer {
  /** Handles an HTTP upgrade on `/ws/<docName>`: 401/403/404 as plain HTTP before any Yjs message. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * The server as trusted writer: loads the document if needed and runs `change` inside one
   * transaction with the origin `'server'`; the change is fanned out and persisted like any other.
   */
  writeAsServer(docName: string, change: (doc: Y.Doc) => void): Promise<void>;
  /** Re-decides access of every open connection of this user in this conversation (role change). */
  reviseAccess(conversationId: ConversationId, userId: UserId): Promise<void>;
  /** Numbers for tests and benchmarks. */
  stats(): { loadedDocs: number; connections: number };
  /** Flushes pending writes and closes every connection. */
  close(): Promise<void>;
}
