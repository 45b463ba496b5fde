/**
 * Shared set-up of the sync integration suites: a real server, and a conversation owned by alice that
 * bob and carol joined with accounts (participants) and dave as a guest.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as Y from 'yjs';
import { createAuth } from '../../server/auth/index';
import type { Persistence } from '../../server/persistence/types';
import { createSyncServer } from '../../server/sync/index';
import type { SyncServer, SyncServerOptions } from '../../server/sync/types';
import { getDocName } from '../../src/lib/domain/docs';
import { asConversationId } from '../../src/lib/domain/ids';
import {
  createConversation,
  createInvite,
  joinAsAccount,
  joinAsGuest,
  signUp,
  type Actor
} from '../helpers/api';
import type { TestServer } from '../helpers/server';
import { connectDoc, type DocClient } from '../helpers/yclient';

export interface Cast {
  conversationId: string;
  controlDoc: string;
  metaDoc: string;
  alice: Actor;
  bob: Actor;
  carol: Actor;
  dave: Actor;
}

let counter = 0;

/** Usernames get a suffix so several casts can share one server. */
export async function castConversation(server: TestServer, title = 'Workshop'): Promise<Cast> {
  const n = ++counter;
  const alice = await signUp(server.url, `alice${n}`, { displayName: 'Alice' });
  const bob = await signUp(server.url, `bob${n}`, { displayName: 'Bob' });
  const carol = await signUp(server.url, `carol${n}`, { displayName: 'Carol' });
  const conversation = await createConversation(server.url, alice.cookie, title);
  const invite = await createInvite(server.url, alice.cookie, conversation.id);
  await joinAsAccount(server.url, bob.cookie, invite.token);
  await joinAsAccount(server.url, carol.cookie, invite.token);
  const dave = await joinAsGuest(server.url, invite.token, 'Dave');
  const conversationId = asConversationId(conversation.id);
  return {
    conversationId: conversation.id,
    controlDoc: getDocName({ conversationId, kind: 'control' }),
    metaDoc: getDocName({ conversationId, kind: 'meta' }),
    alice,
    bob,
    carol,
    dave
  };
}

/** Keeps track of clients so each test can destroy all of its own in `afterEach`. */
export function createClientPool(getServer: () => TestServer) {
  const clients: DocClient[] = [];
  return {
    connect(actor: { cookie: string }, docName: string, options: { origin?: string; doc?: Y.Doc } = {}) {
      const client = connectDoc({ baseUrl: getServer().url, docName, cookie: actor.cookie, ...options });
      clients.push(client);
      return client;
    },
    destroyAll() {
      for (const client of clients.splice(0)) client.destroy();
    }
  };
}

/** The document as stored: every row of its update log applied to a fresh Y.Doc. */
export async function readStoredDoc(
  server: TestServer,
  docName: string
): Promise<{ doc: Y.Doc; rows: number }> {
  const rows = await server.persistence.loadUpdates(docName);
  const doc = new Y.Doc();
  for (const row of rows) Y.applyUpdate(doc, row);
  return { doc, rows: rows.length };
}

export interface SecondSyncServer {
  url: string;
  sync: SyncServer;
  /** Lets held loads of the update log proceed (no-op without `gateLoads`). */
  open(): void;
  loadsStarted(): number;
  close(): Promise<void>;
}

/**
 * A second sync server on the real server's database, for behaviour that needs options the app does
 * not expose (keepalive period) or storage that takes real time: with `gateLoads`, reading a
 * document's update log waits until `open()` is called, as with a slow networked database.
 */
export async function startSecondSyncServer(
  persistence: Persistence,
  options: { gateLoads?: boolean } & Partial<
    Omit<SyncServerOptions, 'persistence' | 'identify' | 'isAllowedOrigin'>
  > = {}
): Promise<SecondSyncServer> {
  const { gateLoads = false, ...syncOptions } = options;
  let open: () => void = () => {};
  const gate = gateLoads ? new Promise<void>((resolve) => (open = resolve)) : Promise.resolve();
  let loadsStarted = 0;
  const loadUpdates = async (docName: string) => {
    loadsStarted++;
    await gate;
    return persistence.loadUpdates(docName);
  };
  const observed = new Proxy(persistence, {
    get(target, key) {
      if (key === 'loadUpdates') return loadUpdates;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    }
  });
  const auth = createAuth({ persistence, now: Date.now });
  const sync = createSyncServer({
    ...syncOptions,
    persistence: observed,
    identify: auth.identify,
    isAllowedOrigin: () => true
  });
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket, head) => sync.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    sync,
    open: () => open(),
    loadsStarted: () => loadsStarted,
    async close() {
      open();
      await sync.close();
      await new Promise((resolve) => http.close(resolve));
    }
  };
}
