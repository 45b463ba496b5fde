/**
 * Breakout session helpers for integration tests (SPEC R70–R81): the participants' intents as REST
 * calls, and a look at the control document as the server holds it.
 */
import type * as Y from 'yjs';
import type { Persistence } from '../../server/persistence/types';
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

type Gate = { method: string; matches: (args: unknown[]) => boolean; opened: Promise<void> };

/**
 * A window on any storage method of the server, passed as `wrapPersistence`: records every call's
 * arguments and can hold matching calls (as a slow database would) until the test lets them go. For
 * races between requests: hold one of them at a known step, let the other run, then release.
 */
export interface PersistenceGate {
  wrap(persistence: Persistence): Persistence;
  /** The argument lists of every call of `method` so far (held ones included), oldest first. */
  calls(method: keyof Persistence): unknown[][];
  /** Calls of `method` waiting at a hold right now. */
  waiting(method: keyof Persistence): number;
  /** Holds the calls of `method` whose arguments match, from now until the returned function is called. */
  hold(method: keyof Persistence, matches?: (...args: unknown[]) => boolean): () => void;
}

export function createPersistenceGate(): PersistenceGate {
  const calls = new Map<string, unknown[][]>();
  const waiting = new Map<string, number>();
  const gates: Gate[] = [];
  const bump = (method: string, by: number) => waiting.set(method, (waiting.get(method) ?? 0) + by);

  return {
    wrap(persistence) {
      return new Proxy(persistence, {
        get(target, key) {
          const value: unknown = Reflect.get(target, key, target);
          if (typeof value !== 'function' || typeof key !== 'string') return value;
          const method = value as (...args: unknown[]) => Promise<unknown>;
          return async (...args: unknown[]) => {
            if (!calls.has(key)) calls.set(key, []);
            calls.get(key)!.push(args);
            const held = gates.filter((g) => g.method === key && g.matches(args));
            if (held.length > 0) {
              bump(key, 1);
              try {
                for (const gate of held) await gate.opened;
              } finally {
                bump(key, -1);
              }
            }
            return method.apply(target, args);
          };
        }
      });
    },
    calls: (method) => calls.get(method) ?? [],
    waiting: (method) => waiting.get(method) ?? 0,
    hold(method, matches = () => true) {
      let open: () => void = () => {};
      const opened = new Promise<void>((resolve) => (open = resolve));
      const gate: Gate = { method, matches: (args) => matches(...args), opened };
      gates.push(gate);
      return () => {
        const index = gates.indexOf(gate);
        if (index >= 0) gates.splice(index, 1);
        open();
      };
    }
  };
}
