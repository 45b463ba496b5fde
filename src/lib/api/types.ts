import type { ConversationId, MessageId, UserId } from '../domain/ids';
import type { AssignableRole, MemberKind, Role } from '../domain/roles';

/** Shapes of the REST answers (docs/API.md), as the browser sees them. */
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

export interface Member {
  conversationId: ConversationId;
  userId: UserId;
  role: Role;
  joinedAt: number;
  displayName: string;
  username: string | null;
  kind: MemberKind;
}

export interface ConversationDetails {
  conversation: Conversation;
  me: { userId: UserId; role: Role };
  members: Member[];
}

export interface CreatedInvite {
  token: string;
  url: string;
  expiresAt: number;
}

export interface InviteInfo {
  conversation: { id: ConversationId; title: string };
  expiresAt: number;
}

export interface JoinResult {
  conversationId: ConversationId;
  role: Role;
}

export interface GuestJoinResult extends JoinResult {
  user: User;
}

export interface ChatMessage {
  id: MessageId;
  conversationId: ConversationId;
  room: string;
  authorId: UserId;
  authorName: string;
  text: string;
  createdAt: number;
}

export type { AssignableRole };
