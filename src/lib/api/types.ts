import type { ConversationId, UserId } from '../domain/ids';
import type { ChatMessage, Conversation, ConversationSummary, Member, User } from '../domain/records';
import type { AssignableRole, Role } from '../domain/roles';

export type { ChatMessage, Conversation, ConversationSummary, Member, User };

/** Shapes of the REST answers (docs/API.md), as the browser sees them. */
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

export type { AssignableRole };
