import type { ConversationId, MessageId, UserId } from './ids';
import type { MemberKind, Role } from './roles';

/**
 * Records shared by the server's storage and the REST answers the browser reads (docs/API.md): one
 * definition, so a field added on one side cannot silently be missing on the other.
 */
export interface User {
  id: UserId;
  /** Lower-case login name; `null` for guests. */
  username: string | null;
  displayName: string;
  kind: MemberKind;
  createdAt: number;
}

export interface Conversation {
  id: ConversationId;
  title: string;
  ownerId: UserId;
  createdAt: number;
}

export interface ConversationSummary extends Conversation {
  role: Role;
  memberCount: number;
}

export interface Membership {
  conversationId: ConversationId;
  userId: UserId;
  role: Role;
  joinedAt: number;
}

export interface Member extends Membership {
  displayName: string;
  username: string | null;
  kind: MemberKind;
}

export interface ChatMessage {
  id: MessageId;
  conversationId: ConversationId;
  /** Chat room key: `main` for the main room. */
  room: string;
  authorId: UserId;
  authorName: string;
  text: string;
  createdAt: number;
  /** A moderator's "Broadcast message" into every room (SPEC R79); absent on ordinary posts. */
  broadcast?: boolean;
}
