import type { QueryClient } from '@tanstack/svelte-query';
import { api, queryKeys, rememberUser } from './client';
import type { User } from './types';

/**
 * Shared query options, so every component asking for the same data hits the same cache entry.
 * A 4xx answer will not change on retry, so only network trouble and 5xx are retried.
 */
export const meQuery = () => ({
  queryKey: queryKeys.me,
  queryFn: () => api.getMe(),
  staleTime: 60_000
});

export const conversationsQuery = () => ({
  queryKey: queryKeys.conversations,
  queryFn: () => api.listConversations()
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
