/**
 * Fan-out measurement: a writer makes one change to the shared document, N readers observe it; each
 * (reader, round) gives one latency sample. A round ends when the last reader has seen the change, or after
 * a timeout that counts the missing readers as lost.
 *
 * What the change is and how a reader recognises it is a `FanoutProbe`: by default a key of a bare Y.Map
 * (`tickProbe`); `setupProbe` makes a moderator's breakout setup change through src/lib/sync/control.ts and
 * has every reader read the setup back as the app does (observeControl + readBreakoutState).
 */
import type * as Y from 'yjs';
import {
  assignParticipants,
  createRooms,
  observeControl,
  readBreakoutState,
  renameRoom
} from '../src/lib/sync/control';
import { asUserId, type RoomId } from '../src/lib/domain/ids';
import { compareRooms } from '../src/lib/domain/breakout';
import { closeClient, openClient, waitReady, WRITER_RESYNC_MS, type Client } from './clients';
import { chatProbe, sessionProbe, type MemberSpec } from './sessionProbes';
import { absoluteNow, type ReaderShard, type ShardReply } from './shards';

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
  /** A reader's own document (e.g. one room chat each); `docName` when not given. Sharded groups only. */
  getReaderDocName?: (index: number) => string;
  /** The user a reader connects as, for probes that compute something of their own (the session probe). */
  getReaderUserId?: (index: number) => string;
}

export interface FanoutProbe {
  /** Once, on the synced writer, before the first round (e.g. creating the rooms a rename needs). */
  prepare?(writer: Y.Doc): void;
  /** The number of the round the writer's document already shows, so numbering goes on from there. */
  getLastRound?(writer: Y.Doc): number;
  /** The writer's change for `round`. */
  change(writer: Y.Doc, round: number): void;
  /** Subscribes to a reader's document; `changed` runs after every change that may be a round's. */
  watch(reader: Y.Doc, changed: () => void): void;
  /**
   * Whether the reader's document shows `round`'s change (it may show it before or after `changed`);
   * `userId` is the reader's own user, when the target names one (`getReaderUserId`).
   */
  shows(reader: Y.Doc, round: number, userId?: string): boolean;
}

/** A counter under one key of a plain Y.Map: the smallest change a document can carry. */
export const tickProbe: FanoutProbe = {
  getLastRound: (writer) => writer.getMap<number>(MAP).get(KEY) ?? 0,
  change: (writer, round) => writer.getMap<number>(MAP).set(KEY, round),
  watch: (reader, changed) => reader.getMap<number>(MAP).observe(changed),
  shows: (reader, round) => reader.getMap<number>(MAP).get(KEY) === round
};

/**
 * A moderator's breakout setup change through the app's own commands (SPEC R41, R42): even rounds rename the
 * first room (`renameRoom`), odd rounds move one participant between the second and third rooms
 * (`assignParticipants`). Readers watch with `observeControl` and read the whole setup with
 * `readBreakoutState` on every change, as the app's state does.
 */
export function setupProbe({
  participantId,
  // A fresh tag per probe, so a name left by an earlier run can never pass for this run's round.
  tag = Math.random().toString(36).slice(2, 8)
}: {
  participantId: string;
  tag?: string;
}): FanoutProbe {
  const participant = asUserId(participantId);
  const participants = new Set([participant]);
  const nameOf = (round: number) => `Bench ${tag} ${round}`;
  const getRooms = (doc: Y.Doc): RoomId[] =>
    [...readBreakoutState(doc).rooms].sort(compareRooms).map((room) => room.id);
  const roomFor = (rooms: RoomId[], round: number) => rooms[1 + ((round >> 1) % 2)];
  return {
    prepare(writer) {
      const missing = 3 - getRooms(writer).length;
      if (missing > 0) {
        const created = createRooms(writer, { count: missing, mode: 'manual', actor: 'bench' });
        if (!created.ok) throw new Error(`bench setup: ${created.error}`);
      }
      // Start from the main room, so the first move is a change.
      assignParticipants(writer, {
        userIds: [participant],
        roomId: null,
        participants,
        now: Date.now(),
        actor: 'bench'
      });
    },
    change(writer, round) {
      const rooms = getRooms(writer);
      const result =
        round % 2 === 0
          ? renameRoom(writer, { roomId: rooms[0], name: nameOf(round), actor: 'bench' })
          : assignParticipants(writer, {
              userIds: [participant],
              roomId: roomFor(rooms, round),
              participants,
              now: Date.now(),
              actor: 'bench'
            });
      if (!result.ok) throw new Error(`bench setup change: ${result.error}`);
    },
    watch(reader, changed) {
      observeControl(reader, () => changed());
    },
    shows(reader, round) {
      const state = readBreakoutState(reader);
      const rooms = [...state.rooms].sort(compareRooms);
      if (rooms.length < 3) return false;
      if (round % 2 === 0) return rooms[0].name === nameOf(round);
      return (
        state.assignments.get(participant)?.roomId ===
        roomFor(
          rooms.map((r) => r.id),
          round
        )
      );
    }
  };
}

/** A probe as plain data, so reader processes can build the same one (`getProbe`). */
export type ProbeSpec =
  | { kind: 'tick' }
  | { kind: 'setup'; participantId: string; tag: string }
  | { kind: 'session'; members: MemberSpec[] }
  | { kind: 'chat'; tag: string };

export function getProbe(spec: ProbeSpec): FanoutProbe {
  switch (spec.kind) {
    case 'tick':
      return tickProbe;
    case 'setup':
      return setupProbe(spec);
    case 'session':
      return sessionProbe(spec);
    case 'chat':
      return chatProbe(spec);
  }
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
  private readonly probe: FanoutProbe;

  private constructor(target: FanoutTarget, readerCount: number, probe: FanoutProbe) {
    this.readerCount = readerCount;
    this.probe = probe;
    this.lastSeen = new Int32Array(readerCount).fill(-1);
    this.writer = openClient({
      serverUrl: target.serverUrl,
      docName: target.docName,
      headers: target.writerHeaders,
      resyncMs: WRITER_RESYNC_MS
    });
    for (let i = 0; i < readerCount; i++) {
      const reader = openClient({
        serverUrl: target.serverUrl,
        docName: target.docName,
        headers: target.getReaderHeaders?.(i)
      });
      probe.watch(reader.doc, () => this.onReaderChange(i, reader.doc));
      this.readers.push(reader);
    }
  }

  /** Opens the clients and resolves when all are ready; rejects (after closing them) if any is refused. */
  static async connect({
    target,
    readers,
    probe = tickProbe
  }: {
    target: FanoutTarget;
    readers: number;
    probe?: FanoutProbe;
  }): Promise<FanoutGroup> {
    const group = new FanoutGroup(target, readers, probe);
    const clients = [group.writer, ...group.readers];
    try {
      await Promise.all(
        clients.map((client) => waitReady(client, { mode: target.ready, timeoutMs: CONNECT_TIMEOUT_MS }))
      );
    } catch (error) {
      group.close();
      throw error;
    }
    try {
      probe.prepare?.(group.writer.doc);
    } catch (error) {
      group.close();
      throw error;
    }
    group.current = (probe.getLastRound?.(group.writer.doc) ?? 0) + 1;
    return group;
  }

  private onReaderChange(index: number, doc: Y.Doc): void {
    if (this.lastSeen[index] === this.current || !this.probe.shows(doc, this.current)) return;
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
    this.probe.change(this.writer.doc, this.current);
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

let nextGroupId = 1;

/**
 * The same measurement with the readers spread over reader processes (`ReaderShard`s): the writer stays
 * here; each process reports when each of its readers saw the round's change, on its own clock, which the
 * shard's calibrated offset turns into ours.
 *
 * With `change`, the round's change is made by that function (e.g. a REST call, or writes to many
 * documents) instead of the probe on a writer client, and no writer client is opened.
 */
export class ShardedFanoutGroup {
  readonly readerCount: number;
  private readonly id = nextGroupId++;
  private current = -1;

  private constructor(
    private readonly writer: Client | null,
    private readonly shards: ReaderShard[],
    private readonly probe: FanoutProbe,
    readerCount: number,
    private readonly change: ((round: number) => unknown) | null
  ) {
    this.readerCount = readerCount;
  }

  /** The writer's document (null with a custom `change`): what the moderator's replica shows. */
  get writerDoc(): Y.Doc | null {
    return this.writer?.doc ?? null;
  }

  static async connect({
    target,
    readers,
    probe,
    shards,
    change,
    connectTimeoutMs = CONNECT_TIMEOUT_MS
  }: {
    target: FanoutTarget;
    readers: number;
    probe: ProbeSpec;
    shards: ReaderShard[];
    change?: (round: number) => unknown;
    connectTimeoutMs?: number;
  }): Promise<ShardedFanoutGroup> {
    const writer = change
      ? null
      : openClient({
          serverUrl: target.serverUrl,
          docName: target.docName,
          headers: target.writerHeaders,
          resyncMs: WRITER_RESYNC_MS
        });
    const writerProbe = getProbe(probe);
    const group = new ShardedFanoutGroup(writer, shards, writerProbe, readers, change ?? null);
    try {
      if (writer) await waitReady(writer, { mode: target.ready, timeoutMs: connectTimeoutMs });
      const replies = await Promise.all(
        shards.map((shard, k) => {
          const headers: Record<string, string>[] = [];
          const docNames: string[] = [];
          const userIds: string[] = [];
          for (let i = k; i < readers; i += shards.length) {
            headers.push(target.getReaderHeaders?.(i) ?? {});
            docNames.push(target.getReaderDocName?.(i) ?? target.docName);
            if (target.getReaderUserId) userIds.push(target.getReaderUserId(i));
          }
          return shard.request(
            {
              type: 'open',
              group: group.id,
              serverUrl: target.serverUrl,
              docName: target.docName,
              docNames,
              userIds: target.getReaderUserId ? userIds : undefined,
              ready: target.ready,
              headers,
              probe,
              timeoutMs: connectTimeoutMs
            },
            (m) => (m.type === 'opened' || m.type === 'error') && m.group === group.id,
            connectTimeoutMs + 5_000
          );
        })
      );
      const failed = replies.find((r) => r.type === 'error');
      if (failed && failed.type === 'error') throw new Error(failed.message);
      if (writer) writerProbe.prepare?.(writer.doc);
    } catch (error) {
      group.close();
      throw error;
    }
    group.current = (writer ? (writerProbe.getLastRound?.(writer.doc) ?? 0) : 0) + 1;
    return group;
  }

  /** The number the next round will have (session rounds alternate start and end by its parity). */
  get nextRound(): number {
    return this.current + 1;
  }

  async runRound(): Promise<RoundResult> {
    this.current += 1;
    const round = this.current;
    const id = this.id;
    await Promise.all(
      this.shards.map((shard) =>
        shard.request({ type: 'arm', group: id, round }, (m) => m.type === 'armed' && m.group === id)
      )
    );
    const isSeen = (m: ShardReply) => m.type === 'seen' && m.group === id && m.round === round;
    const answers = this.shards.map((shard) => shard.next(isSeen));
    const sentAt = absoluteNow();
    let changed: Promise<unknown> = Promise.resolve();
    if (this.change) changed = Promise.resolve(this.change(round));
    else this.probe.change(this.writer!.doc, round);
    // A failed change (e.g. a refused request) ends the round at once rather than after the timeout.
    const failedChange = changed.then(
      () => new Promise<never>(() => {}),
      (error: unknown) => (error instanceof Error ? error : new Error(String(error)))
    );
    const all = Promise.all(answers).then(() => true);
    const timers: NodeJS.Timeout[] = [];
    const after = <T>(value: T) =>
      new Promise<T>((resolve) => timers.push(setTimeout(() => resolve(value), ROUND_TIMEOUT_MS)));
    const timedOut = after(false);
    const outcome = await Promise.race([all, timedOut, failedChange]);
    if (outcome !== true) this.shards.forEach((s) => s.send({ type: 'report', group: id }));
    // A reader process that does not even answer the report (it died) counts all its readers as lost.
    const missing: ShardReply = { type: 'closed', group: id };
    const replies = await Promise.all(answers.map((answer) => Promise.race([answer, after(missing)])));
    timers.forEach(clearTimeout);
    if (outcome instanceof Error) throw outcome;
    const latencies: number[] = [];
    replies.forEach((reply, k) => {
      if (reply.type !== 'seen') return;
      for (const at of reply.times) latencies.push(at - this.shards[k].offset - sentAt);
    });
    return { latencies, lost: this.readerCount - latencies.length };
  }

  close(): void {
    if (this.writer) closeClient(this.writer);
    const id = this.id;
    for (const shard of this.shards) {
      void shard
        .request({ type: 'close', group: id }, (m) => m.type === 'closed' && m.group === id)
        .catch(() => {});
    }
  }
}
