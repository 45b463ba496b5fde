import type { ConversationId, MessageId, UserId } from '../../src/lib/domain/ids';
import type {
  ChatMessage,
  Conversation,
  ConversationSummary,
  Member,
  Membership,
  User
} from '../../src/lib/domain/records';
import type { MemberKind, Role } from '../../src/lib/domain/roles';

export type { ChatMessage, Conversation, ConversationSummary, Member, Membership, User };

export interface UserSecret {
  user: User;
  /** scrypt hash and per-user salt, both base64; `null` for guests. */
  passwordHash: string | null;
  salt: string | null;
}

export interface Session {
  tokenHash: string;
  userId: UserId;
  expiresAt: number;
}

export interface Invite {
  tokenHash: string;
  conversationId: ConversationId;
  createdBy: UserId;
  createdAt: number;
  expiresAt: number;
}

export class UsernameTakenError extends Error {
  constructor(username: string) {
    super(`The username “${username}” is taken.`);
    this.name = 'UsernameTakenError';
  }
}

/** `setRole` found no membership with the expected role: it is gone, or someone changed it first. */
export class MembershipChangedError extends Error {
  constructor(conversationId: string, userId: string) {
    super(`The membership of ${userId} in ${conversationId} is not as expected; nothing was changed.`);
    this.name = 'MembershipChangedError';
  }
}

/**
 * Storage behind the server. Async so that a networked engine (PostgreSQL, see the design's scale path)
 * can implement it; the SQLite implementation answers synchronously inside the promises.
 * One contract suite (persistence.contract.ts) runs against every implementation.
 */
export interface Persistence {
  createUser(input: {
    id: UserId;
    username: string | null;
    displayName: string;
    kind: MemberKind;
    passwordHash: string | null;
    salt: string | null;
    createdAt: number;
  }): Promise<User>;
  getUser(id: UserId): Promise<User | null>;
  getUserSecretByUsername(username: string): Promise<UserSecret | null>;

  createSession(session: Session): Promise<void>;
  getSession(tokenHash: string): Promise<Session | null>;
  deleteSession(tokenHash: string): Promise<void>;

  /** Creates the conversation and the owner's membership in one transaction. */
  createConversation(conversation: Conversation): Promise<Conversation>;
  getConversation(id: ConversationId): Promise<Conversation | null>;
  listConversationsForUser(userId: UserId): Promise<ConversationSummary[]>;

  /** Idempotent: an existing membership is returned unchanged. */
  addMember(membership: Membership): Promise<{ membership: Membership; created: boolean }>;
  getMembership(conversationId: ConversationId, userId: UserId): Promise<Membership | null>;
  listMembers(conversationId: ConversationId): Promise<Member[]>;
  /**
   * Changes one member's role; with `from`, only while the role still is `from` (a role change decided
   * on what was read). Throws `MembershipChangedError` when no such membership exists.
   */
  setRole(
    conversationId: ConversationId,
    userId: UserId,
    role: Role,
    options?: { from?: Role }
  ): Promise<void>;

  createInvite(invite: Invite): Promise<void>;
  getInvite(tokenHash: string): Promise<Invite | null>;

  /** Deletes sessions and invites whose expiry is at or before `now` (SPEC R62). */
  purgeExpired(now: number): Promise<{ sessions: number; invites: number }>;

  /** Idempotent by message id: a retry returns the stored message with `inserted: false`. */
  appendMessage(message: ChatMessage): Promise<{ message: ChatMessage; inserted: boolean }>;
  /**
   * Several messages in ONE transaction (a broadcast's rows, one per room, SPEC R79): all of them are
   * stored, or none when storage fails. Each is idempotent by id like `appendMessage`; the answer lists,
   * in the given order, what is stored under each id and whether this call inserted it.
   */
  appendMessages(messages: ChatMessage[]): Promise<Array<{ message: ChatMessage; inserted: boolean }>>;
  /** The stored messages with these ids (any conversation or room), in the given order; missing ids are skipped. */
  getMessages(ids: MessageId[]): Promise<ChatMessage[]>;
  listMessages(
    conversationId: ConversationId,
    room: string,
    options?: {
      limit?: number;
      /** Only messages with an earlier server time. */
      before?: number;
      /**
       * Only messages listed before this one (earlier time, or the same time and stored earlier), so
       * paging by the oldest message seen skips none that share its time (SPEC R26). An id that is
       * not a message of this room lists nothing.
       */
      beforeId?: MessageId;
    }
  ): Promise<ChatMessage[]>;

  /**
   * Deletes the messages of every chat room of a conversation except `exceptRoom` (deleting breakout
   * rooms keeps the main room's history, SPEC R50). Returns how many went.
   */
  deleteMessages(options: {
    conversationId: ConversationId;
    exceptRoom: string;
  }): Promise<{ deleted: number }>;

  /** Yjs update log of one document, oldest first. */
  loadUpdates(docName: string): Promise<Uint8Array[]>;
  /** Appends several updates in one transaction (the sync layer batches writes off the fan-out path). */
  appendUpdates(docName: string, updates: Uint8Array[]): Promise<{ rowCount: number }>;
  /** Replaces the whole log of a document by one merged update (compaction). */
  replaceUpdates(docName: string, merged: Uint8Array): Promise<void>;
  /** Names of the documents with a stored log whose name starts with `prefix`, sorted. */
  listDocNames(prefix: string): Promise<string[]>;
  /** Deletes the whole log of a document (a deleted breakout room's chat, SPEC R50); others are untouched. */
  deleteUpdates(docName: string): Promise<void>;

  close(): Promise<void>;
}
