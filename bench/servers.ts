/**
 * The three servers of the fan-out benchmark, each in a child process of its own so that the clients (in
 * the benchmark process) and the server never share an event loop or a core's time slice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '..');
const START_TIMEOUT_MS = 60_000;

export interface ServerProcess {
  name: string;
  /** Base HTTP origin, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  pid: number;
  /** Resident set size of the server process, from /proc (Linux only). */
  getRssMb(): number;
  stop(): Promise<void>;
}

/** A port that was free a moment ago: Parley's allowed origin must be known before it starts. */
async function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function readRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/**
 * Starts `args` with node and resolves once a stdout line matches `ready` (its first group is the port).
 * Output is drained all along (a full pipe would stall the server) and its tail kept for error reports.
 */
async function startNode({
  name,
  args,
  env,
  ready,
  onStop
}: {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  ready: RegExp;
  onStop?: () => void;
}): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => chunk.split('\n').forEach(keep));

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms:\n${tail.join('\n')}`));
    }, START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      keep(line);
      const match = ready.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before listening:\n${tail.join('\n')}`));
    });
  });

  const pid = child.pid!;
  return {
    name,
    origin: `http://127.0.0.1:${port}`,
    pid,
    getRssMb: () => readRssMb(pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killer);
      }
      onStop?.();
    }
  };
}

/** Parley as `npm run serve` starts it, with auth and SQLite persistence, on an empty data folder. */
export async function startParley(): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const port = await getFreePort();
  const origin = `http://127.0.0.1:${port}`;
  return startNode({
    name: 'parley',
    args: ['--import', 'tsx', 'server/main.ts'],
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ALLOWED_ORIGINS: origin,
      PUBLIC_URL: origin,
      NODE_ENV: 'production'
    },
    ready: /Parley listening on https?:\/\/[^\s:]+:(\d+)/,
    onStop: () => rmSync(dataDir, { recursive: true, force: true })
  });
}

/** The stock @y/websocket-server, in memory (its default without YPERSISTENCE). */
export async function startStock(): Promise<ServerProcess> {
  return startNode({
    name: 'stock',
    args: ['bench/stock-server.mjs'],
    env: {},
    ready: /listening on port (\d+)/
  });
}

/** The bare relay: the same bytes, no Yjs. */
export async function startFloor(): Promise<ServerProcess> {
  return startNode({
    name: 'floor',
    args: ['--import', 'tsx', 'bench/floor-relay.ts'],
    env: {},
    ready: /listening on port (\d+)/
  });
}
