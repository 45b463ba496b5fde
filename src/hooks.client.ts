import type { ClientInit } from '@sveltejs/kit';
import { getRememberedUser } from '$lib/api/client';
import { isValidId } from '$lib/domain/ids';
import { preloadConversation } from '$lib/state/conversation.svelte';

/** A conversation's address (its page or its settings): `/c/<id>` or `/c/<id>/…`. */
const CONVERSATION_PATH = /^\/c\/([^/]+)(?:\/|$)/;

/**
 * Runs once as the app starts, before the first page is chosen. On a conversation's address, the local
 * copies of its documents start loading from IndexedDB now, while the app's code still runs, for the
 * remembered user the page will open them for (SPEC R90, R99). A different user signed in after all
 * means they are not claimed, and they close again.
 */
export const init: ClientInit = () => {
  const conversationId = CONVERSATION_PATH.exec(location.pathname)?.[1];
  const user = getRememberedUser();
  if (!user || !isValidId(conversationId)) return;
  preloadConversation({ conversationId, userId: user.id });
};
