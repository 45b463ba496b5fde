import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAuth } from './auth/index';
import { createBreakout } from './breakout/index';
import { createCallHub, SIGNAL_PATH_PREFIX, type CallHub } from './calls/index';
import { createHistory, type History } from './history/index';
import { createOriginCheck } from './http/origin';
import { createRouter } from './http/router';
import { createRoutes } from './http/routes';
import { createSqlitePersistence } from './persistence/sqlite';
import type { Persistence } from './persistence/types';
import { createSyncServer } from './sync/index';
import type { SyncServer } from './sync/types';
import type { IceServer } from '../src/lib/domain/calls';

/** The SvelteKit adapter-node handler, or any middleware of the same shape. */
export type AppHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface StartServerOptions {
  /** 0 picks a free port (tests). Default 3000. */
  port?: number;
  /** Default `0.0.0.0`. */
  host?: string;
  /** Folder of the SQLite file; created when missing. */
  dataDir: string;
  /** Origins besides the server's own that may make state-changing requests and open sockets. */
  allowedOrigins?: string[];
  /** Serves everything that is not `/api/*` or a `/ws/*` upgrade. */
  appHandler?: AppHandler;
  /** Base of invite links; the request's own origin when unset. */
  publicUrl?: string;
  sync?: { idleUnloadMs?: number; compactAfterRows?: number };
  /**
   * Calls (SPEC R110–R119): the ICE servers handed to browsers (`PARLEY_ICE_SERVERS`; none by default),
   * and for tests the longest wait between two looks at the session clock while calls run.
   */
  calls?: { iceServers?: IceServer[]; phaseCheckMs?: number; pingIntervalMs?: number };
  /** Clock for expiry decisions (sessions, invites) and timestamps; tests move it forward. */
  now?: () => number;
  /** Sign-in and sign-up attempts per minute, per client address and per username (SPEC R63). */
  authAttemptsPerMinute?: { perAddress?: number; perUsername?: number };
  /**
   * Wraps the storage the server uses, for tests that need storage to be slow, to fail or to be
   * watched (e.g. hold update-log writes). The server closes the original.
   */
  wrapPersistence?: (persistence: Persistence) => Persistence;
}

/** Expired sessions and invites are deleted at start and then this often (SPEC R62). */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export interface RunningServer {
  /** `http://<host>:<port>`, with a wildcard host shown as `localhost`. */
  url: string;
  port: number;
  persistence: Persistence;
  sync: SyncServer;
  /** The call signaling hub (`/ws-signal/<conversationId>`, SPEC R111). */
  calls: CallHub;
  /** The setup history's recorder (SPEC R97); `flush()` lets tests wait for the entries. */
  history: History;
  /** Stops accepting, flushes pending document writes, closes every connection, then the database. */
  close(): Promise<void>;
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function notFound(res: ServerResponse): void {
  if (res.headersSent) return;
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found.\n');
}

/**
 * The composition root: one HTTP server for the app, the REST API (`/api/*`), the sync sockets (`/ws/*`)
 * and the call signaling sockets (`/ws-signal/*`).
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? '0.0.0.0';
  const now = options.now ?? Date.now;
  await mkdir(options.dataDir, { recursive: true });
  const stored = createSqlitePersistence({ filename: join(options.dataDir, 'parley.sqlite') });
  const persistence = options.wrapPersistence?.(stored) ?? stored;
  const purgeExpired = () =>
    persistence
      .purgeExpired(now())
      .catch((error: unknown) => console.error('Purging expired sessions and invites failed:', error));
  await purgeExpired();
  const purgeTimer = setInterval(() => void purgeExpired(), PURGE_INTERVAL_MS);
  purgeTimer.unref();
  const auth = createAuth({ persistence, now });
  const isAllowedOrigin = createOriginCheck({ allowedOrigins: options.allowedOrigins });
  const sync = createSyncServer({
    persistence,
    identify: auth.identify,
    isAllowedOrigin,
    idleUnloadMs: options.sync?.idleUnloadMs,
    compactAfterRows: options.sync?.compactAfterRows
  });
  // Before any connection: it must see every control document from its first change (SPEC R97).
  const history = createHistory({ sync, persistence, now });
  const breakout = createBreakout({ persistence, sync, now });
  const calls = createCallHub({
    persistence,
    identify: auth.identify,
    isAllowedOrigin,
    sync,
    locate: breakout.locate,
    now,
    iceServers: options.calls?.iceServers,
    phaseCheckMs: options.calls?.phaseCheckMs,
    pingIntervalMs: options.calls?.pingIntervalMs
  });
  const api = createRouter({
    routes: createRoutes({
      persistence,
      auth,
      sync,
      breakout,
      now,
      publicUrl: options.publicUrl,
      authAttemptsPerMinute: options.authAttemptsPerMinute
    }),
    isAllowedOrigin
  });

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api' || path.startsWith('/api/')) {
      void api(req, res);
      return;
    }
    if (!options.appHandler) {
      notFound(res);
      return;
    }
    try {
      options.appHandler(req, res, () => notFound(res));
    } catch (error) {
      console.error('App handler failed for', req.url, error);
      if (!res.headersSent) res.writeHead(500).end();
    }
  });

  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith('/ws/')) {
      sync.handleUpgrade(req, socket, head);
      return;
    }
    if (path.startsWith(SIGNAL_PATH_PREFIX)) {
      calls.handleUpgrade(req, socket, head);
      return;
    }
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });

  // A broken client connection must not take the process down.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3000, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    clearInterval(purgeTimer);
    await calls.close();
    await sync.close();
    await stored.close();
    throw error;
  }

  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${displayHost(host)}:${port}`,
    port,
    persistence,
    sync,
    calls,
    history,
    close() {
      closing ??= (async () => {
        clearInterval(purgeTimer);
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // Writes the setup history's last entries too, once no client change can come any more. The
        // call hub stops first, so none of its decisions reads a document that is going.
        const callsClosed = calls.close();
        await sync.close();
        await callsClosed;
        server.closeAllConnections();
        await stopped;
        await stored.close();
      })();
      return closing;
    }
  };
}
