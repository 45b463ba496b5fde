import Database from 'better-sqlite3';
import { asBuffer } from '../bytes';
import type { ConversationId, MessageId, UserId } from '../../src/lib/domain/ids';
import type { MemberKind, Role } from '../../src/lib/domain/roles';
import {
  MembershipChangedError,
  UsernameTakenError,
  type ChatMessage,
  type Conversation,
  type ConversationSummary,
  type Invite,
  type Member,
  type Membership,
  type Persistence,
  type Session,
  type User,
  type UserSecret
} from './types';

/**
 * Schema versions, applied in order and recorded in `PRAGMA user_version`. Append new steps; never edit a
 * step that has shipped, since existing data folders have already run it.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT UNIQUE,
    display_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('account', 'guest')),
    password_hash TEXT,
    salt TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
  );
  CREATE TABLE memberships (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'moderator', 'participant', 'guest')),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
  );
  CREATE INDEX memberships_user ON memberships(user_id);
  CREATE TABLE invites (
    token_hash TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    room TEXT NOT NULL,
    author_id TEXT NOT NULL REFERENCES users(id),
    author_name TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX messages_room_time ON messages(conversation_id, room, created_at);
  CREATE TABLE doc_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_name TEXT NOT NULL,
    "update" BLOB NOT NULL
  );
  CREATE INDEX doc_updates_doc ON doc_updates(doc_name);
  `,
  // A moderator's broadcast into every breakout room (SPEC R79) keeps its mark in the history.
  `ALTER TABLE messages ADD COLUMN broadcast INTEGER NOT NULL DEFAULT 0;`
];

interface UserRow {
  id: string;
  username: string | null;
  display_name: string;
  kind: MemberKind;
  password_hash: string | null;
  salt: string | null;
  created_at: number;
}

interface ConversationRow {
  id: string;
  title: string;
  owner_id: string;
  created_at: number;
}

interface MembershipRow {
  conversation_id: string;
  user_id: string;
  role: Role;
  joined_at: number;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  room: string;
  author_id: string;
  author_name: string;
  text: string;
  created_at: number;
  broadcast: number;
}

const toUser = (row: UserRow): User => ({
  id: row.id as UserId,
  username: row.username,
  displayName: row.display_name,
  kind: row.kind,
  createdAt: row.created_at
});

const toConversation = (row: ConversationRow): Conversation => ({
  id: row.id as ConversationId,
  title: row.title,
  ownerId: row.owner_id as UserId,
  createdAt: row.created_at
});

const toMembership = (row: MembershipRow): Membership => ({
  conversationId: row.conversation_id as ConversationId,
  userId: row.user_id as UserId,
  role: row.role,
  joinedAt: row.joined_at
});

const toMessage = (row: MessageRow): ChatMessage => ({
  id: row.id as MessageId,
  conversationId: row.conversation_id as ConversationId,
  room: row.room,
  authorId: row.author_id as UserId,
  authorName: row.author_name,
  text: row.text,
  createdAt: row.created_at,
  ...(row.broadcast ? { broadcast: true } : {})
});

/** better-sqlite3 binds Buffers as blobs; wrapping shares the bytes instead of copying them. */

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/**
 * Persistence on one SQLite file (or `':memory:'`). Statements are prepared once; every method answers
 * synchronously inside its promise, which keeps the interface open to networked engines.
 */
export function createSqlitePersistence({ filename }: { filename: string }): Persistence {
  const db = new Database(filename);
  // WAL lets readers proceed during the update-log batches; NORMAL sync is durable across app crashes.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const stmt = {
    insertUser: db.prepare(
      `INSERT INTO users (id, username, display_name, kind, password_hash, salt, created_at)
       VALUES (@id, @username, @displayName, @kind, @passwordHash, @salt, @createdAt)`
    ),
    userById: db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?'),
    userByUsername: db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
    insertSession: db.prepare('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)'),
    sessionByHash: db.prepare<[string], { token_hash: string; user_id: string; expires_at: number }>(
      'SELECT * FROM sessions WHERE token_hash = ?'
    ),
    deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
    insertConversation: db.prepare(
      'INSERT INTO conversations (id, title, owner_id, created_at) VALUES (?, ?, ?, ?)'
    ),
    conversationById: db.prepare<[string], ConversationRow>('SELECT * FROM conversations WHERE id = ?'),
    conversationsForUser: db.prepare<[string], ConversationRow & { role: Role; member_count: number }>(
      `SELECT c.*, m.role AS role,
         (SELECT COUNT(*) FROM memberships x WHERE x.conversation_id = c.id) AS member_count
       FROM memberships m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.user_id = ?
       ORDER BY c.created_at DESC, c.id`
    ),
    insertMembership: db.prepare(
      `INSERT INTO memberships (conversation_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (conversation_id, user_id) DO NOTHING`
    ),
    membership: db.prepare<[string, string], MembershipRow>(
      'SELECT * FROM memberships WHERE conversation_id = ? AND user_id = ?'
    ),
    members: db.prepare<[string], MembershipRow & UserRow>(
      `SELECT m.conversation_id, m.user_id, m.role, m.joined_at, u.display_name, u.username, u.kind
       FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.conversation_id = ?
       ORDER BY m.joined_at, m.user_id`
    ),
    setRole: db.prepare<[Role, string, string, Role | null, Role | null]>(
      `UPDATE memberships SET role = ?
       WHERE conversation_id = ? AND user_id = ? AND (? IS NULL OR role = ?)`
    ),
    purgeSessions: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    purgeInvites: db.prepare('DELETE FROM invites WHERE expires_at <= ?'),
    insertInvite: db.prepare(
      `INSERT INTO invites (token_hash, conversation_id, created_by, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?)`
    ),
    inviteByHash: db.prepare<
      [string],
      {
        token_hash: string;
        conversation_id: string;
        created_by: string;
        created_at: number;
        expires_at: number;
      }
    >('SELECT * FROM invites WHERE token_hash = ?'),
    insertMessage: db.prepare(
      `INSERT INTO messages (id, conversation_id, room, author_id, author_name, text, created_at, broadcast)
       VALUES (@id, @conversationId, @room, @authorId, @authorName, @text, @createdAt, @broadcast)
       ON CONFLICT (id) DO NOTHING`
    ),
    messageById: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    // Newest `limit` before the cursor, then reversed to oldest first; rowid breaks ties in arrival order.
    messagesBefore: db.prepare<[string, string, number, number], MessageRow>(
      `SELECT * FROM messages
       WHERE conversation_id = ? AND room = ? AND created_at < ?
       ORDER BY created_at DESC, rowid DESC
       LIMIT ?`
    ),
    // The cursor message's own (created_at, rowid) bounds the page, so equal times are never skipped.
    messagesBeforeId: db.prepare<[string, string, string, string, string, number, number], MessageRow>(
      `SELECT m.* FROM messages m
       JOIN messages cursor ON cursor.id = ? AND cursor.conversation_id = ? AND cursor.room = ?
       WHERE m.conversation_id = ? AND m.room = ? AND m.created_at < ?
         AND (m.created_at < cursor.created_at OR (m.created_at = cursor.created_at AND m.rowid < cursor.rowid))
       ORDER BY m.created_at DESC, m.rowid DESC
       LIMIT ?`
    ),
    deleteMessagesExcept: db.prepare('DELETE FROM messages WHERE conversation_id = ? AND room <> ?'),
    loadUpdates: db.prepare<[string], { update: Buffer }>(
      'SELECT "update" FROM doc_updates WHERE doc_name = ? ORDER BY id'
    ),
    insertUpdate: db.prepare('INSERT INTO doc_updates (doc_name, "update") VALUES (?, ?)'),
    countUpdates: db.prepare<[string], { n: number }>(
      'SELECT COUNT(*) AS n FROM doc_updates WHERE doc_name = ?'
    ),
    deleteUpdates: db.prepare('DELETE FROM doc_updates WHERE doc_name = ?'),
    // substr, not LIKE: ids may contain `_`, which LIKE reads as a wildcard.
    docNamesWithPrefix: db.prepare<[number, string], { doc_name: string }>(
      'SELECT DISTINCT doc_name FROM doc_updates WHERE substr(doc_name, 1, ?) = ? ORDER BY doc_name'
    )
  };

  const createConversation = db.transaction((c: Conversation) => {
    stmt.insertConversation.run(c.id, c.title, c.ownerId, c.createdAt);
    stmt.insertMembership.run(c.id, c.ownerId, 'owner', c.createdAt);
  });

  const addMember = db.transaction((m: Membership) => {
    const created = stmt.insertMembership.run(m.conversationId, m.userId, m.role, m.joinedAt).changes > 0;
    const row = stmt.membership.get(m.conversationId, m.userId);
    return { membership: toMembership(row!), created };
  });

  const appendOne = (message: ChatMessage): { message: ChatMessage; inserted: boolean } => {
    const inserted = stmt.insertMessage.run({ ...message, broadcast: message.broadcast ? 1 : 0 }).changes > 0;
    if (inserted) return { message: { ...message }, inserted };
    return { message: toMessage(stmt.messageById.get(message.id)!), inserted };
  };

  const appendMessages = db.transaction((messages: ChatMessage[]) => messages.map(appendOne));

  const appendUpdates = db.transaction((docName: string, updates: Uint8Array[]) => {
    for (const update of updates) stmt.insertUpdate.run(docName, asBuffer(update));
    return stmt.countUpdates.get(docName)!.n;
  });

  const replaceUpdates = db.transaction((docName: string, merged: Uint8Array) => {
    stmt.deleteUpdates.run(docName);
    stmt.insertUpdate.run(docName, asBuffer(merged));
  });

  let closed = false;

  return {
    async createUser(input) {
      try {
        stmt.insertUser.run(input);
      } catch (error) {
        if (
          input.username !== null &&
          error instanceof Database.SqliteError &&
          error.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
          error.message.includes('users.username')
        ) {
          throw new UsernameTakenError(input.username);
        }
        throw error;
      }
      return {
        id: input.id,
        username: input.username,
        displayName: input.displayName,
        kind: input.kind,
        createdAt: input.createdAt
      };
    },
    async getUser(id) {
      const row = stmt.userById.get(id);
      return row ? toUser(row) : null;
    },
    async getUserSecretByUsername(username): Promise<UserSecret | null> {
      const row = stmt.userByUsername.get(username);
      return row ? { user: toUser(row), passwordHash: row.password_hash, salt: row.salt } : null;
    },

    async createSession(session: Session) {
      stmt.insertSession.run(session.tokenHash, session.userId, session.expiresAt);
    },
    async getSession(tokenHash) {
      const row = stmt.sessionByHash.get(tokenHash);
      return row
        ? { tokenHash: row.token_hash, userId: row.user_id as UserId, expiresAt: row.expires_at }
        : null;
    },
    async deleteSession(tokenHash) {
      stmt.deleteSession.run(tokenHash);
    },

    async createConversation(conversation) {
      createConversation(conversation);
      return { ...conversation };
    },
    async getConversation(id) {
      const row = stmt.conversationById.get(id);
      return row ? toConversation(row) : null;
    },
    async listConversationsForUser(userId): Promise<ConversationSummary[]> {
      return stmt.conversationsForUser.all(userId).map((row) => ({
        ...toConversation(row),
        role: row.role,
        memberCount: row.member_count
      }));
    },

    async addMember(membership) {
      return addMember(membership);
    },
    async getMembership(conversationId, userId) {
      const row = stmt.membership.get(conversationId, userId);
      return row ? toMembership(row) : null;
    },
    async listMembers(conversationId): Promise<Member[]> {
      return stmt.members.all(conversationId).map((row) => ({
        ...toMembership(row),
        displayName: row.display_name,
        username: row.username,
        kind: row.kind
      }));
    },
    async setRole(conversationId, userId, role, options = {}) {
      const from = options.from ?? null;
      const { changes } = stmt.setRole.run(role, conversationId, userId, from, from);
      if (changes === 0) throw new MembershipChangedError(conversationId, userId);
    },
    async purgeExpired(now) {
      return {
        sessions: stmt.purgeSessions.run(now).changes,
        invites: stmt.purgeInvites.run(now).changes
      };
    },

    async createInvite(invite: Invite) {
      stmt.insertInvite.run(
        invite.tokenHash,
        invite.conversationId,
        invite.createdBy,
        invite.createdAt,
        invite.expiresAt
      );
    },
    async getInvite(tokenHash) {
      const row = stmt.inviteByHash.get(tokenHash);
      return row
        ? {
            tokenHash: row.token_hash,
            conversationId: row.conversation_id as ConversationId,
            createdBy: row.created_by as UserId,
            createdAt: row.created_at,
            expiresAt: row.expires_at
          }
        : null;
    },

    async appendMessage(message) {
      return appendOne(message);
    },
    async appendMessages(messages) {
      return appendMessages(messages);
    },
    async getMessages(ids) {
      return ids.flatMap((id) => {
        const row = stmt.messageById.get(id);
        return row ? [toMessage(row)] : [];
      });
    },
    async listMessages(conversationId, room, options = {}) {
      const before = options.before ?? Number.MAX_SAFE_INTEGER;
      // SQLite reads a negative LIMIT as "no limit".
      const limit = options.limit ?? -1;
      const rows =
        options.beforeId === undefined
          ? stmt.messagesBefore.all(conversationId, room, before, limit)
          : stmt.messagesBeforeId.all(
              options.beforeId,
              conversationId,
              room,
              conversationId,
              room,
              before,
              limit
            );
      return rows.reverse().map(toMessage);
    },

    async deleteMessages({ conversationId, exceptRoom }) {
      return { deleted: stmt.deleteMessagesExcept.run(conversationId, exceptRoom).changes };
    },

    async loadUpdates(docName) {
      return stmt.loadUpdates.all(docName).map((row) => new Uint8Array(row.update));
    },
    async appendUpdates(docName, updates) {
      return { rowCount: appendUpdates(docName, updates) };
    },
    async replaceUpdates(docName, merged) {
      replaceUpdates(docName, merged);
    },
    async listDocNames(prefix) {
      return stmt.docNamesWithPrefix.all(prefix.length, prefix).map((row) => row.doc_name);
    },
    async deleteUpdates(docName) {
      stmt.deleteUpdates.run(docName);
    },

    async close() {
      if (closed) return;
      closed = true;
      db.close();
    }
  };
}
