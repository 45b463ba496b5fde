import { getContext, setContext } from 'svelte';
import type { Role } from '$lib/domain/roles';
import type { ConversationSession } from '$lib/state/conversation.svelte';
import type { MetaMember } from '$lib/sync/schema';

/**
 * What the conversation layout (`+layout.svelte`) holds for its pages: one `ConversationSession` per
 * visit of a conversation, kept while moving between the conversation and its settings, and what is
 * derived from it and the REST answer. Fields are getters over the layout's runes, so they stay live.
 */
export interface ConversationContext {
  readonly conversationId: string;
  readonly me: { userId: string; displayName: string };
  /** `null` until the documents are open (IndexedDB first, then the server). */
  readonly session: ConversationSession | null;
  readonly title: string;
  /** Live from the meta document, or the REST answer until that has loaded. */
  readonly members: MetaMember[];
  readonly myRole: Role | null;
}

const KEY = Symbol('conversation');

export function setConversationContext(context: ConversationContext): void {
  setContext(KEY, context);
}

export function getConversationContext(): ConversationContext {
  const context = getContext<ConversationContext | undefined>(KEY);
  if (!context)
    throw new Error('A conversation page must be rendered inside src/routes/c/[id]/+layout.svelte.');
  return context;
}
