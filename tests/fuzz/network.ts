/**
 * A seeded, in-memory network of Y.Doc replicas for convergence fuzzing, after the `TestConnector` of
 * yjs's own randomized tests (yjs `tests/testHelper.js`): every replica's local updates are queued per
 * link as y-protocols sync messages, and the fuzzer decides when each one arrives.
 *
 * - `deliverRandom` hands one queued message to its receiver (any link, so messages of different links
 *   arrive in any order); an answer (sync step 2 to a step 1) is queued on the way back.
 * - `delayRandom` moves a link's first message behind the others: updates of one sender arrive out of
 *   order, which Yjs must hold back as pending until what they depend on arrives.
 * - `dropRandom` loses a message. Sometimes the link stays up (a silent loss: later updates of that
 *   sender wait as pending on the receiver), sometimes it breaks. Either way the link is marked stale and
 *   recovered the way y-websocket does on reconnect: both peers send sync step 1 (their state vector)
 *   and answer the other's with sync step 2 (`Y.encodeStateAsUpdate(doc, stateVector)`).
 * - `partitionRandom` splits the replicas into groups; links across groups go down (with their queues).
 * - `reconnectRandom` reconnects one broken or stale link inside a group; `heal` reconnects everything.
 * - `flush` delivers every queued message, in random order, until nothing is left (no losses).
 *
 * Links form a full mesh inside a group and replicas do not relay what they receive (as in yjs's
 * connector), so a broken link really keeps its two replicas apart until it is reconnected.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';

export type Random = () => number;

export interface Replica {
  index: number;
  /** Who acts on this replica: a moderator's user id, or `server`. */
  actor: string;
  doc: Y.Doc;
}

interface Link {
  up: boolean;
  /** A message was lost on this link since it last synced: it needs a reconnect (sync step 1/2). */
  stale: boolean;
  queue: Uint8Array[];
}

export interface NetworkStats {
  delivered: number;
  delayed: number;
  dropped: number;
  partitions: number;
  reconnects: number;
  heals: number;
}

export const pickIndex = (random: Random, length: number): number => Math.floor(random() * length);
export const pick = <T>(random: Random, list: readonly T[]): T => list[pickIndex(random, list.length)];

export class Network {
  readonly replicas: Replica[] = [];
  readonly stats: NetworkStats = {
    delivered: 0,
    delayed: 0,
    dropped: 0,
    partitions: 0,
    reconnects: 0,
    heals: 0
  };
  /** links[from][to]: messages from `from` waiting to reach `to`. */
  private links: Link[][] = [];
  /** Partition group of each replica; links only run inside a group. */
  private group: number[] = [];

  constructor(
    private readonly random: Random,
    actors: string[],
    /** Called for every network event, for the failure trace. */
    private readonly log: (event: string) => void = () => {}
  ) {
    actors.forEach((actor, index) => {
      const doc = new Y.Doc();
      // Fixed client ids, drawn from the seed: concurrent writes to one key are decided by client id,
      // so a seed must give the same winners on every run.
      do doc.clientID = 1 + Math.floor(random() * 0x7fffffff);
      while (this.replicas.some((r) => r.doc.clientID === doc.clientID));
      this.replicas.push({ index, actor, doc });
      this.group.push(0);
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === this) return; // received from a peer: not relayed (full mesh, no relay)
        const encoder = encoding.createEncoder();
        syncProtocol.writeUpdate(encoder, update);
        const message = encoding.toUint8Array(encoder);
        for (const link of this.links[index]) if (link.up) link.queue.push(message);
      });
    });
    const n = actors.length;
    this.links = Array.from({ length: n }, () =>
      Array.from({ length: n }, (): Link => ({ up: false, stale: false, queue: [] }))
    );
    this.heal();
  }

  get size(): number {
    return this.replicas.length;
  }

  private pairs(): Array<[number, number]> {
    const result: Array<[number, number]> = [];
    for (let a = 0; a < this.size; a++) for (let b = a + 1; b < this.size; b++) result.push([a, b]);
    return result;
  }

  private busyLinks(minLength = 1): Array<[number, number]> {
    const result: Array<[number, number]> = [];
    for (let from = 0; from < this.size; from++) {
      for (let to = 0; to < this.size; to++) {
        if (from !== to && this.links[from][to].queue.length >= minLength) result.push([from, to]);
      }
    }
    return result;
  }

  pending(): number {
    return this.busyLinks().length;
  }

  private send(from: number, to: number, message: Uint8Array): void {
    const link = this.links[from][to];
    if (link.up) link.queue.push(message);
  }

  private disconnect(a: number, b: number): void {
    for (const [x, y] of [
      [a, b],
      [b, a]
    ]) {
      this.links[x][y].up = false;
      this.links[x][y].queue = [];
    }
  }

  /** Opens the link both ways and starts the sync handshake: each side sends sync step 1. */
  private connect(a: number, b: number): void {
    this.disconnect(a, b);
    for (const [x, y] of [
      [a, b],
      [b, a]
    ]) {
      this.links[x][y].up = true;
      this.links[x][y].stale = false;
    }
    for (const [x, y] of [
      [a, b],
      [b, a]
    ]) {
      const encoder = encoding.createEncoder();
      syncProtocol.writeSyncStep1(encoder, this.replicas[x].doc);
      this.send(x, y, encoding.toUint8Array(encoder));
    }
  }

  /** The receiver reads the message (as y-websocket does); an answer goes back on the same link pair. */
  private deliver(from: number, to: number): void {
    const message = this.links[from][to].queue.shift();
    if (message === undefined) return;
    const encoder = encoding.createEncoder();
    syncProtocol.readSyncMessage(decoding.createDecoder(message), encoder, this.replicas[to].doc, this);
    if (encoding.length(encoder) > 0) this.send(to, from, encoding.toUint8Array(encoder));
    this.stats.delivered++;
  }

  /** Delivers one queued message of a random link; false when nothing is queued. */
  deliverRandom(): boolean {
    const busy = this.busyLinks();
    if (busy.length === 0) return false;
    const [from, to] = pick(this.random, busy);
    this.deliver(from, to);
    return true;
  }

  /** Moves the first message of a random link behind the others (reordering). */
  delayRandom(): boolean {
    const busy = this.busyLinks(2);
    if (busy.length === 0) return false;
    const [from, to] = pick(this.random, busy);
    const queue = this.links[from][to].queue;
    queue.push(queue.shift()!);
    this.stats.delayed++;
    this.log(`delay ${from}->${to}`);
    return true;
  }

  /** Loses the first message of a random link; the link stays up or breaks (half the time each). */
  dropRandom(): boolean {
    const busy = this.busyLinks();
    if (busy.length === 0) return false;
    const [from, to] = pick(this.random, busy);
    this.links[from][to].queue.shift();
    this.links[from][to].stale = true;
    this.links[to][from].stale = true;
    const breaks = this.random() < 0.5;
    if (breaks) this.disconnect(from, to);
    this.stats.dropped++;
    this.log(`drop ${from}->${to}${breaks ? ' (link breaks)' : ' (silent)'}`);
    return true;
  }

  /** Splits the replicas into 2–3 random groups (some may stay empty); links across groups go down. */
  partitionRandom(): void {
    const groups = 2 + pickIndex(this.random, 2);
    this.group = this.replicas.map(() => pickIndex(this.random, groups));
    for (const [a, b] of this.pairs()) if (this.group[a] !== this.group[b]) this.disconnect(a, b);
    this.stats.partitions++;
    this.log(`partition [${this.group.join(',')}]`);
  }

  /** Reconnects one broken or stale link between replicas of the same group. */
  reconnectRandom(): boolean {
    const candidates = this.pairs().filter(
      ([a, b]) => this.group[a] === this.group[b] && (!this.links[a][b].up || this.links[a][b].stale)
    );
    if (candidates.length === 0) return false;
    const [a, b] = pick(this.random, candidates);
    this.connect(a, b);
    this.stats.reconnects++;
    this.log(`reconnect ${a}<->${b}`);
    return true;
  }

  /**
   * Ends every partition and reconnects every link that is down or lost a message (a full resync
   * between those peers). Links that are up and lossless keep their queues.
   */
  heal(): void {
    this.group = this.replicas.map(() => 0);
    for (const [a, b] of this.pairs()) {
      if (!this.links[a][b].up || this.links[a][b].stale) this.connect(a, b);
    }
    this.stats.heals++;
    this.log('heal');
  }

  /** Delivers everything queued, in random order, until no message is left. */
  flush(): void {
    let guard = 0;
    while (this.deliverRandom()) {
      if (++guard > 1_000_000) throw new Error('The network does not quiesce.');
    }
  }
}
