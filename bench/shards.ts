/**
 * Reader processes for the fan-out benchmark (see bench/readerShard.ts). Each process's clock is compared
 * with this one's once at start (the offset of the ping with the shortest round trip), so a reader's
 * absolute "seen at" time can be turned into a latency against the writer's send time here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export type ShardRequest =
  | { type: 'ping'; id: number }
  | {
      type: 'open';
      group: number;
      serverUrl: string;
      docName: string;
      /** Per reader (parallel to `headers`): its own document; `docName` when missing. */
      docNames?: string[];
      /** Per reader: the user it connects as, for probes that need it (bench/sessionProbes.ts). */
      userIds?: string[];
      ready: 'synced' | 'connected';
      headers: Record<string, string>[];
      probe: unknown;
      /** How long the readers may take to be ready. */
      timeoutMs?: number;
    }
  | { type: 'arm'; group: number; round: number }
  | { type: 'report'; group: number }
  | { type: 'close'; group: number }
  | { type: 'exit' };

export type ShardReply =
  | { type: 'started' }
  | { type: 'pong'; id: number; at: number }
  | { type: 'opened'; group: number }
  | { type: 'error'; group: number; message: string }
  | { type: 'armed'; group: number; round: number }
  | { type: 'seen'; group: number; round: number; times: number[] }
  | { type: 'closed'; group: number };

const CALIBRATION_PINGS = 40;
export const absoluteNow = () => performance.timeOrigin + performance.now();

export class ReaderShard {
  /** This process's clock minus ours, in ms. */
  offset = 0;
  private readonly waiting: Array<{ match: (m: ShardReply) => boolean; resolve: (m: ShardReply) => void }> =
    [];

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: ShardReply) => {
      const i = this.waiting.findIndex((w) => w.match(message));
      if (i >= 0) this.waiting.splice(i, 1)[0].resolve(message);
    });
  }

  static async start(): Promise<ReaderShard> {
    const child = fork(join(import.meta.dirname, 'readerShard.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    });
    const shard = new ReaderShard(child);
    await shard.next((m) => m.type === 'started', 60_000);
    let best = Number.POSITIVE_INFINITY;
    for (let id = 0; id < CALIBRATION_PINGS; id++) {
      const sent = absoluteNow();
      const pong = (await shard.request({ type: 'ping', id }, (m) => m.type === 'pong' && m.id === id)) as {
        at: number;
      };
      const received = absoluteNow();
      if (received - sent < best) {
        best = received - sent;
        shard.offset = pong.at - (sent + received) / 2;
      }
    }
    return shard;
  }

  next(match: (m: ShardReply) => boolean, timeoutMs = 0): Promise<ShardReply> {
    return new Promise((resolve, reject) => {
      const entry = { match, resolve: (m: ShardReply) => (clearTimeout(timer), resolve(m)) };
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.waiting.splice(this.waiting.indexOf(entry), 1);
              reject(new Error('reader process did not answer'));
            }, timeoutMs)
          : undefined;
      this.waiting.push(entry);
    });
  }

  request(message: ShardRequest, match: (m: ShardReply) => boolean, timeoutMs = 60_000): Promise<ShardReply> {
    const answer = this.next(match, timeoutMs);
    this.child.send(message);
    return answer;
  }

  send(message: ShardRequest): void {
    this.child.send(message);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'exit' });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
}
