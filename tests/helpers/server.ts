/**
 * The real Parley server in-process, on port 0, with a real SQLite file in a fresh temp folder
 * (house style: no mocked sockets). `restart()` reopens the same folder, which is how tests show that
 * what was stored survives a server restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type StartServerOptions } from '../../server/index';

export interface TestServer {
  /** `http://127.0.0.1:<port>`; changes on restart. */
  readonly url: string;
  /** `ws://127.0.0.1:<port>/ws`, the serverUrl for the stock WebsocketProvider. */
  readonly wsUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly server: RunningServer;
  readonly persistence: RunningServer['persistence'];
  readonly sync: RunningServer['sync'];
  /** Closes the server (flushing pending writes) and starts it again on the same data folder. */
  restart(): Promise<void>;
  /** Closes the server and deletes its data folder. */
  cleanup(): Promise<void>;
}

export async function startTestServer(options: Partial<StartServerOptions> = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'parley-test-')));
  // Suites sign up many users from one address within a minute; throttling has its own tests (R63).
  const authAttemptsPerMinute = options.authAttemptsPerMinute ?? {
    perAddress: Infinity,
    perUsername: Infinity
  };
  const start = () => startServer({ ...options, authAttemptsPerMinute, port: 0, host: '127.0.0.1', dataDir });
  let server: RunningServer = await start();
  let running = true;
  return {
    get url() {
      return server.url;
    },
    get wsUrl() {
      return `${server.url.replace(/^http/, 'ws')}/ws`;
    },
    get port() {
      return server.port;
    },
    dataDir,
    get server() {
      return server;
    },
    get persistence() {
      return server.persistence;
    },
    get sync() {
      return server.sync;
    },
    async restart() {
      if (running) await server.close();
      running = false;
      server = await start();
      running = true;
    },
    async cleanup() {
      if (running) await server.close();
      running = false;
      await rm(dataDir, { recursive: true, force: true });
    }
  };
}
