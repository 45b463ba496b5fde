import * as Y from 'yjs';
import type { MemberKind, Role } from '../domain/roles';

/**
 * The shape of the server-written documents (`meta`, `chat/<room>`), shared by the server (which writes
 * them as the trusted writer) and the client (which only reads). Values are plain JSON objects replaced
 * whole, so a member's role or a message is never half-merged.
 */
export interface MetaConversation {
  id: string;
  title: string;
  ownerId: string;
  createdAt: number;
}

export interface MetaMember {
  userId: string;
  displayName: string;
  username: string | null;
  kind: MemberKind;
  role: Role;
  joinedAt: number;
}

export interface ChatEntry {
  id: string;
  authorId: string;
  authorName: string;
  text: string;
  createdAt: number;
  /** A moderator's "Broadcast message", posted into every room (SPEC R79). */
  broadcast?: boolean;
}

const conversationMap = (doc: Y.Doc) => doc.getMap<unknown>('conversation');
const membersMap = (doc: Y.Doc) => doc.getMap<MetaMember>('members');
const messagesArray = (doc: Y.Doc) => doc.getArray<ChatEntry>('messages');

export function writeConversationInfo(doc: Y.Doc, info: MetaConversation): void {
  const map = conversationMap(doc);
  doc.transact(() => {
    for (const [key, value] of Object.entries(info)) {
      if (map.get(key) !== value) map.set(key, value);
    }
  }, 'server');
}

export function readConversationInfo(doc: Y.Doc): MetaConversation | null {
  const map = conversationMap(doc);
  const id = map.get('id');
  if (typeof id !== 'string') return null;
  return {
    id,
    title: String(map.get('title') ?? ''),
    ownerId: String(map.get('ownerId') ?? ''),
    createdAt: Number(map.get('createdAt') ?? 0)
  };
}

/** Writes the member's entry; an entry already equal to it writes nothing (no update, no fan-out). */
export function writeMember(doc: Y.Doc, member: MetaMember): void {
  const members = membersMap(doc);
  if (isSameMember(members.get(member.userId), member)) return;
  doc.transact(() => members.set(member.userId, { ...member }), 'server');
}

const MEMBER_FIELDS = ['userId', 'displayName', 'username', 'kind', 'role', 'joinedAt'] as const;

function isSameMember(stored: unknown, member: MetaMember): boolean {
  if (typeof stored !== 'object' || stored === null) return false;
  const entry = stored as Record<string, unknown>;
  return (
    Object.keys(entry).length === MEMBER_FIELDS.length &&
    MEMBER_FIELDS.every((field) => entry[field] === member[field])
  );
}

/** Members ordered by join time, then id, so every replica lists them the same way. */
export function readMembers(doc: Y.Doc): MetaMember[] {
  return [...membersMap(doc).values()].sort(
    (a, b) => a.joinedAt - b.joinedAt || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)
  );
}

export function appendChatMessage(doc: Y.Doc, entry: ChatEntry): void {
  doc.transact(() => messagesArray(doc).push([{ ...entry }]), 'server');
}

/**
 * Appends the message unless an entry with its id is already there: the first post and every retry
 * use this, so a message shows once however often it is written (SPEC R22). Returns whether it appended.
 */
export function appendChatMessageOnce(doc: Y.Doc, entry: ChatEntry): boolean {
  if (
    messagesArray(doc)
      .toArray()
      .some((m) => m.id === entry.id)
  )
    return false;
  appendChatMessage(doc, entry);
  return true;
}

export function readChatMessages(doc: Y.Doc): ChatEntry[] {
  return messagesArray(doc).toArray();
}

/** Calls `listener` after any change to the meta document; returns the unsubscribe function. */
export function observeMeta(doc: Y.Doc, listener: () => void): () => void {
  const conv = conversationMap(doc);
  const members = membersMap(doc);
  conv.observe(listener);
  members.observe(listener);
  return () => {
    conv.unobserve(listener);
    members.unobserve(listener);
  };
}

export function observeChat(doc: Y.Doc, listener: () => void): () => void {
  const messages = messagesArray(doc);
  messages.observe(listener);
  return () => messages.unobserve(listener);
}
