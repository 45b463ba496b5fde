import type { QueryClient } from '@tanstack/svelte-query';
import {
  api,
  getRememberedUser,
  listConversationsOrLastSeen,
  queryKeys,
  rememberUser,
  type ConversationListResult
} from './client';
import type { ConversationSummary, User } from './types';

/**
 * Shared query options, so every component asking for the same data hits the same cache entry.
 * A 4xx answer will not change on retry, so only network trouble and 5xx are retried.
 */
export const meQuery = () => ({
  queryKey: queryKeys.me,
  queryFn: () => api.getMe(),
  staleTime: 60_000,
  // Asked also when the browser says it is offline: `getMe` answers with the remembered user then (R90).
  networkMode: 'always' as const,
  // Until the server answers, pages go on as the user last signed in here, so their local copies start
  // opening at once (R18); the answer replaces it, and one naming someone else, or no one, switches the
  // page or sends it to sign-in. Only shown, never stored: what is cached is always the server's word
  // (or offline the remembered user, as `getMe` says), and nothing is sent for this user before that
  // (`whenUserConfirmed`). No one remembered: nothing to show until the answer.
  placeholderData: (): User | undefined => getRememberedUser() ?? undefined
});

/**
 * The signed-in user's conversations; offline, the list as last seen by that user (SPEC R90). The cache
 * entry holds where the list came from; `conversationsQuery` selects the list itself, and
 * `conversationsSourceQuery` (same entry) whether it is the remembered one.
 */
const conversationsBase = () => ({
  queryKey: queryKeys.conversations,
  // For the user the server named (or offline the remembered one), never the placeholder shown while it
  // is asked: the list is remembered under, and offline shown for, that user only (R90).
  queryFn: async ({ client }: { client: QueryClient }) =>
    listConversationsOrLastSeen((await client.ensureQueryData(meQuery()))?.id ?? null),
  // Tried also when the browser says it is offline, so the remembered list shows instead of a pause.
  networkMode: 'always' as const
});

export const conversationsQuery = () => ({
  ...conversationsBase(),
  select: (result: ConversationListResult): ConversationSummary[] => result.conversations
});

export const conversationsSourceQuery = () => ({
  ...conversationsBase(),
  select: (result: ConversationListResult) => ({ offline: result.offline, savedAt: result.savedAt })
});

export const conversationQuery = (id: string) => ({
  queryKey: queryKeys.conversation(id),
  queryFn: () => api.getConversation(id)
});

export const inviteQuery = (token: string) => ({
  queryKey: queryKeys.invite(token),
  queryFn: () => api.getInvite(token)
});

/**
 * After signing in, out or up: remember the user for an offline start, keep the `me` entry (the header
 * observes it for the whole visit, and `clear()` would leave that observer on a removed query) and drop
 * everything cached for the previous user.
 */
export function resetForUser(queryClient: QueryClient, user: User | null): void {
  rememberUser(user);
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.me[0] });
  queryClient.setQueryData(queryKeys.me, user);
}
