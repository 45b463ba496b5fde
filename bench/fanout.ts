/**
 * Fan-out measurement: a writer changes a key of a Y.Map in the shared document, N readers observe the
 * change; each (reader, round) gives one latency sample. A round ends when the last reader has seen the
 * change, or after a timeout that counts the missing readers as lost.
 */
import { closeClient, openClient, waitReady, type Client } from './clients';

const MAP = 'bench';
const KEY = 'tick';
const CONNECT_TIMEOUT_MS = 30_000;
const ROUND_TIMEOUT_MS = 10_000;

export interface FanoutTarget {
  serverUrl: string;
  docName: string;
  /** `synced` for servers holding the document; `connected` for the relay, which answers no handshake. */
  ready: 'synced' | 'connected';
  writerHeaders?: Record<string, string>;
  getReaderHeaders?: (index: number) => Record<string, string>;
}

export interface RoundResult {
  latencies: number[];
  lost: number;
}

/** One writer and its readers on one server, connected for the length of a scenario. */
export class FanoutGroup {
  readonly readerCount: number;
  private readonly writer: Client;
  private readonly readers: Client[] = [];
  private readonly lastSeen: Int32Array;
  private current = -1;
  private sentAt = 0;
  private latencies: number[] = [];
  private roundDone: () => void = () => {};

  private constructor(target: FanoutTarget, readerCount: number) {
    this.readerCount = readerCount;
    this.lastSeen = new Int32Array(readerCount).fill(-1);
    this.writer = openClient({
      serverUrl: target.serverUrl,
      docName: target.docName,
      headers: target.writerHeaders
    });
    for (let i = 0; i < readerCount; i++) {
      const reader = openClient({
        serverUrl: target.serverUrl,
        docName: target.docName,
        headers: target.getReaderHeaders?.(i)
      });
      const map = reader.doc.getMap<number>(MAP);
      map.observe(() => this.onReaderChange(i, map.get(KEY)));
      this.readers.push(reader);
    }
  }

  /** Opens the clients and resolves when all are ready; rejects (after closing them) if any is refused. */
  static async connect({ target, readers }: { target: FanoutTarget; readers: number }): Promise<FanoutGroup> {
    const group = new FanoutGroup(target, readers);
    const clients = [group.writer, ...group.readers];
    try {
      await Promise.all(
        clients.map((client) => waitReady(client, { mode: target.ready, timeoutMs: CONNECT_TIMEOUT_MS }))
      );
    } catch (error) {
      group.close();
      throw error;
    }
    group.current = (group.writer.doc.getMap<number>(MAP).get(KEY) ?? 0) + 1;
    return group;
  }

  private onReaderChange(index: number, value: number | undefined): void {
    if (value !== this.current || this.lastSeen[index] === this.current) return;
    this.lastSeen[index] = this.current;
    this.latencies.push(performance.now() - this.sentAt);
    if (this.latencies.length === this.readerCount) this.roundDone();
  }

  /** One change by the writer; resolves with every reader's latency for it. */
  async runRound(): Promise<RoundResult> {
    this.current += 1;
    this.latencies = [];
    const allSeen = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ROUND_TIMEOUT_MS);
      this.roundDone = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    this.sentAt = performance.now();
    this.writer.doc.getMap<number>(MAP).set(KEY, this.current);
    await allSeen;
    const latencies = this.latencies;
    this.latencies = [];
    return { latencies, lost: this.readerCount - latencies.length };
  }

  close(): void {
    closeClient(this.writer);
    this.readers.forEach(closeClient);
  }
}

export function getPercentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
