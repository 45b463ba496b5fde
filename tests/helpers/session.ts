/**
 * Breakout session helpers for integration tests (SPEC R70–R81): the participants' intents as REST
 * calls, and a look at the control document as the server holds it.
 */
import type * as Y from 'yjs';
import { getDocName } from '../../src/lib/domain/docs';
import { asConversationId } from '../../src/lib/domain/ids';
import { readSession } from '../../src/lib/sync/control';
import type { TestServer } from './server';
import { api, newMessageId, waitFor } from './api';

export type IntentName = 'choose' | 'help' | 'withdraw' | 'return' | 'rejoin' | 'broadcast';

/** One intent (docs/API.md); never throws for a status, so refusals can be looked at. */
export function sendIntent(
  server: TestServer,
  cookie: string,
  conversationId: string,
  intent: IntentName,
  body?: unknown
) {
  const path = intent === 'withdraw' ? 'help' : intent;
  return api(server.url, `/api/conversations/${conversationId}/breakout/${path}`, {
    method: intent === 'withdraw' ? 'DELETE' : 'POST',
    cookie,
    body: body ?? (intent === 'withdraw' ? undefined : {})
  });
}

export function postInRoom(
  server: TestServer,
  cookie: string,
  conversationId: string,
  room: string,
  text: string,
  id = newMessageId()
) {
  return api(server.url, `/api/conversations/${conversationId}/messages`, {
    method: 'POST',
    cookie,
    body: { id, text, room }
  });
}

export function listRoomMessages(server: TestServer, cookie: string, conversationId: string, room: string) {
  return api(server.url, `/api/conversations/${conversationId}/messages?room=${room}`, { cookie });
}

export const controlDocOf = (conversationId: string) =>
  getDocName({ conversationId: asConversationId(conversationId), kind: 'control' });

export const roomChatOf = (conversationId: string, room: string) =>
  getDocName({ conversationId: asConversationId(conversationId), kind: 'chat', room });

/** Reads the control document as the server holds it, without changing it. */
export function readServerControl<T>(
  server: TestServer,
  conversationId: string,
  read: (doc: Y.Doc) => T
): Promise<T> {
  return server.sync.readDoc(controlDocOf(conversationId), read);
}

/** Waits until the server's control document satisfies `condition` (a moderator's change arrived). */
export function waitForServerControl(
  server: TestServer,
  conversationId: string,
  condition: (doc: Y.Doc) => boolean,
  what = 'the change at the server'
): Promise<boolean> {
  return waitFor(() => readServerControl(server, conversationId, condition), { what });
}

/** The session's run at the server, or `null`. */
export const serverRunId = (server: TestServer, conversationId: string) =>
  readServerControl(server, conversationId, (doc) => readSession(doc)?.runId ?? null);
