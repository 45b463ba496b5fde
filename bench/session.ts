/**
 * Breakout-session benchmarks (issue 4), on Parley and the stock @y/websocket-server in the same run:
 *
 * - Session start at N = 1,000: a moderator (alice's client, writing the control document) has set up
 *   100 rooms and spread the participants over them automatically; 1,000 participant clients (stock
 *   y-websocket providers on the control document, in the reader processes) each work out their own place
 *   on every control-document change (bench/sessionProbes.ts). Rounds alternate: `startSession`, then
 *   `endSession` with a closing countdown of 0 s (the phase is idle again), then start again… A start's
 *   sample per client is the time from the moderator's call until that client sees the phase running AND
 *   its own room set; an end's, until it sees itself back in the main room. On the stock server the same
 *   commands run on a document with the same setup and the same member list, and its readers do the same
 *   work, so the two differ only in the server between them. That work is most of the figure here: about
 *   1 ms per client and change (mostly tidyBreakout over 1,000 members), so 1,000 clients simulated on
 *   this machine's two cores cost some 500 ms of CPU per change before the last one can have seen it; a
 *   real participant's browser does it once. The parley/stock ratio is the server's share.
 *
 * - Broadcast to 100 rooms: one reader per room on that room's chat document. On Parley each connects as a
 *   participant assigned to that room (room chats are readable only by them and moderators, SPEC R81), and
 *   a round is `POST /api/conversations/:id/breakout/broadcast`; its value is the time until the LAST
 *   room's chat shows the entry. The stock server cannot take a REST intent, so its comparison is the
 *   fan-out of the same amount of change: one process (this one) appending the entry to 100 chat documents
 *   through 100 writer clients at once, one reader per document. What the comparison means: the stock
 *   figure is what delivering 100 document updates to 100 readers costs through a server that only
 *   relays and merges them (in memory); Parley's adds everything between the moderator's click and those
 *   updates: the HTTP request, its auth and checks, 100 stored message rows and 100 server-written,
 *   durably stored chat-document updates (SPEC R60) — so Parley minus stock is the price of the intent
 *   being checked and stored, not of the fan-out.
 */
import * as Y from 'yjs';
import { tidyBreakout, type Member } from '../src/lib/domain/breakout';
import { getDocName } from '../src/lib/domain/docs';
import { asConversationId, asUserId } from '../src/lib/domain/ids';
import { autoAssign, createRooms, readBreakoutState, startSession } from '../src/lib/sync/control';
import { closeClient, openClient, waitReady, WRITER_RESYNC_MS, type Client } from './clients';
import { getPercentile, ShardedFanoutGroup, type FanoutTarget } from './fanout';
import { call, type ParleySeed } from './parleySeed';
import type { ServerProcess } from './servers';
import { chatText, Locator, SESSION_ROOMS, type MemberSpec } from './sessionProbes';
import type { ReaderShard } from './shards';

export const SESSION_CLIENTS = 1000;
export const BROADCAST_ROOMS = 100;
/** Measured starts per server (each followed by an end); one more start and end before them warm up. */
const SESSION_STARTS = Number(process.env.BENCH_SESSION_STARTS ?? 25);
const SESSION_WARMUP_STARTS = 1;
const BROADCASTS = Number(process.env.BENCH_BROADCASTS ?? 10);
const BROADCAST_WARMUPS = 2;
/** Each part stops measuring after this long, with the rounds it has. */
const SESSION_BUDGET_MS = 150_000;
const BROADCAST_BUDGET_MS = 60_000;
/** 1,000 clients each syncing a control document with 1,000 assignments take a while on two cores. */
const CONNECT_TIMEOUT_MS = 120_000;
const PAUSE_BETWEEN_ROUNDS_MS = 100;
const MAX_FAILED_ROUNDS_IN_A_ROW = 3;

export type SessionServerName = 'parley' | 'stock';
export type SessionKind = 'start' | 'end' | 'broadcast';

export interface SessionRow {
  kind: SessionKind;
  server: SessionServerName;
  /** Clients (start, end) or rooms, one reader each (broadcast). */
  clients: number;
  p50: number;
  p99: number;
  max: number;
  /** (client, round) samples for start and end; rounds for broadcast (one value each: the last room). */
  samples: number;
  lost: number;
  connectMs: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const toWsUrl = (origin: string) => origin.replace(/^http/, 'ws');

function summarize(
  kind: SessionKind,
  server: SessionServerName,
  clients: number,
  values: number[],
  lost: number,
  connectMs: number
): SessionRow {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    kind,
    server,
    clients,
    p50: getPercentile(sorted, 0.5),
    p99: getPercentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    samples: sorted.length,
    lost,
    connectMs
  };
}

/** The moderator plus every participant; made-up ids (for the stock server only) when Parley is absent. */
function getMembers(seed: ParleySeed | null): MemberSpec[] {
  if (seed) {
    return [
      { userId: seed.writerUserId, isModerator: true },
      ...seed.guestUserIds.map((userId) => ({ userId, isModerator: false }))
    ];
  }
  return [
    { userId: 'bench-moderator0', isModerator: true },
    ...Array.from({ length: SESSION_CLIENTS }, (_, i) => ({
      userId: `bench-user-${String(i).padStart(5, '0')}`,
      isModerator: false
    }))
  ];
}

interface Entry {
  name: SessionServerName;
  group: ShardedFanoutGroup;
  connectMs: number;
  failedInARow: number;
  stopped: boolean;
}

/**
 * Runs `rounds` rounds on every group, the servers taking turns in rotating order (as in bench/run.ts),
 * until the budget is spent; `onRound` gets each round's result.
 */
async function takeTurns({
  entries,
  rounds,
  budgetMs,
  label,
  failures,
  onRound
}: {
  entries: Entry[];
  rounds: number;
  budgetMs: number;
  label: string;
  failures: string[];
  onRound: (entry: Entry, index: number, round: number, latencies: number[], lost: number) => void;
}): Promise<void> {
  const startedAt = performance.now();
  for (let index = 0; index < rounds; index++) {
    if (performance.now() - startedAt > budgetMs) {
      console.log(`bench: ${label}: time budget spent, stopping after ${index} rounds`);
      break;
    }
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[(index + k) % entries.length];
      if (entry.stopped) continue;
      await pause(PAUSE_BETWEEN_ROUNDS_MS);
      const round = entry.group.nextRound;
      try {
        const { latencies, lost } = await entry.group.runRound();
        entry.failedInARow = lost > 0 ? entry.failedInARow + 1 : 0;
        onRound(entry, index, round, latencies, lost);
      } catch (error) {
        failures.push(`${entry.name} ${label}: round ${round} failed: ${(error as Error).message}`);
        entry.failedInARow += 1;
      }
      if (entry.failedInARow >= MAX_FAILED_ROUNDS_IN_A_ROW) {
        failures.push(`${entry.name} ${label}: stopped after ${entry.failedInARow} failed rounds in a row`);
        entry.stopped = true;
      }
    }
  }
}

async function connectGroups(
  specs: Array<{ name: SessionServerName; connect: () => Promise<ShardedFanoutGroup> }>,
  label: string,
  failures: string[]
): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const { name, connect } of specs) {
    const started = performance.now();
    try {
      const group = await connect();
      entries.push({ name, group, connectMs: performance.now() - started, failedInARow: 0, stopped: false });
    } catch (error) {
      failures.push(`${name} ${label}: ${(error as Error).message}`);
    }
  }
  return entries;
}

/** One room's first participant (as the moderator's replica shows the setup) and the room's id. */
interface RoomReader {
  roomId: string;
  userId: string;
}

async function measureSessionStart({
  parley,
  stock,
  seed,
  shards,
  failures,
  members
}: {
  parley: ServerProcess | undefined;
  stock: ServerProcess | undefined;
  seed: ParleySeed | null;
  shards: ReaderShard[];
  failures: string[];
  members: MemberSpec[];
}): Promise<{ rows: SessionRow[]; roomReaders: RoomReader[] }> {
  const label = `session n${SESSION_CLIENTS}`;
  const probe = { kind: 'session' as const, members };
  const participants = members.filter((m) => !m.isModerator).map((m) => m.userId);
  const specs: Array<{ name: SessionServerName; connect: () => Promise<ShardedFanoutGroup> }> = [];
  if (stock) {
    const target: FanoutTarget = {
      serverUrl: toWsUrl(stock.origin),
      docName: `bench/session-n${SESSION_CLIENTS}-${Date.now().toString(36)}`,
      ready: 'synced',
      getReaderUserId: (i) => participants[i]
    };
    specs.push({
      name: 'stock',
      connect: () =>
        ShardedFanoutGroup.connect({
          target,
          readers: SESSION_CLIENTS,
          probe,
          shards,
          connectTimeoutMs: CONNECT_TIMEOUT_MS
        })
    });
  }
  if (parley && seed) {
    const target: FanoutTarget = {
      serverUrl: `${toWsUrl(parley.origin)}/ws`,
      docName: seed.docName,
      ready: 'synced',
      writerHeaders: { Cookie: seed.writerCookie, Origin: parley.origin },
      getReaderHeaders: (i) => ({ Cookie: seed.guestCookies[i], Origin: parley.origin }),
      getReaderUserId: (i) => seed.guestUserIds[i]
    };
    specs.push({
      name: 'parley',
      connect: () =>
        ShardedFanoutGroup.connect({
          target,
          readers: SESSION_CLIENTS,
          probe,
          shards,
          connectTimeoutMs: CONNECT_TIMEOUT_MS
        })
    });
  }
  const entries = await connectGroups(specs, label, failures);
  const samples = new Map<
    SessionServerName,
    { start: number[]; end: number[]; lostStart: number; lostEnd: number }
  >();
  for (const entry of entries) samples.set(entry.name, { start: [], end: [], lostStart: 0, lostEnd: 0 });
  let roomReaders: RoomReader[] = [];
  try {
    // The moderator's setup (100 rooms, 1,000 assignments) reaches every reader before the first start.
    await pause(2_000);
    const rounds = 2 * (SESSION_WARMUP_STARTS + SESSION_STARTS);
    console.log(
      `bench: breakout session start/end, ${SESSION_CLIENTS} participant clients each on ${entries.map((e) => e.name).join(', ')}: ${SESSION_WARMUP_STARTS} + ${SESSION_STARTS} starts, each followed by an end`
    );
    await takeTurns({
      entries,
      rounds,
      budgetMs: SESSION_BUDGET_MS,
      label,
      failures,
      onRound(entry, index, round, latencies, lost) {
        if (index < 2 * SESSION_WARMUP_STARTS) return;
        const s = samples.get(entry.name)!;
        if (round % 2 === 0) {
          s.start.push(...latencies);
          s.lostStart += lost;
        } else {
          s.end.push(...latencies);
          s.lostEnd += lost;
        }
      }
    });
    // Readers for the broadcast: the first participant of each room, as the moderator's replica shows it.
    const moderatorDoc = entries.find((e) => e.name === 'parley')?.group.writerDoc;
    if (moderatorDoc) {
      roomReaders = getRoomReaders(moderatorDoc, members);
      // Broadcasts are sent while a session runs: the moderator starts one more and leaves it running.
      startSession(moderatorDoc, {
        timerMinutes: null,
        moveAutomatically: true,
        allowReturn: false,
        now: Date.now(),
        actor: 'bench'
      });
      await pause(500);
    }
  } finally {
    for (const { group } of entries) group.close();
    await pause(1_000);
  }
  const rows: SessionRow[] = [];
  for (const entry of entries) {
    const s = samples.get(entry.name)!;
    rows.push(summarize('start', entry.name, SESSION_CLIENTS, s.start, s.lostStart, entry.connectMs));
    rows.push(summarize('end', entry.name, SESSION_CLIENTS, s.end, s.lostEnd, entry.connectMs));
    if (s.lostStart + s.lostEnd > 0) {
      failures.push(`${entry.name} ${label}: ${s.lostStart + s.lostEnd} (client, round) changes never seen`);
    }
  }
  return { rows, roomReaders };
}

function getRoomReaders(doc: Y.Doc, members: MemberSpec[]): RoomReader[] {
  const view = tidyBreakout({
    state: readBreakoutState(doc),
    members: members.map((m): Member => ({ userId: asUserId(m.userId), isModerator: m.isModerator }))
  });
  return view.rooms
    .filter((room) => room.members.length > 0)
    .map((room) => ({ roomId: room.id, userId: room.members[0] }));
}

/** The Parley conversation of the broadcast: its moderator's setup, made here if the session part did not. */
async function ensureParleyRooms(
  parley: ServerProcess,
  seed: ParleySeed,
  members: MemberSpec[]
): Promise<RoomReader[]> {
  const moderator = openClient({
    serverUrl: `${toWsUrl(parley.origin)}/ws`,
    docName: seed.docName,
    headers: { Cookie: seed.writerCookie, Origin: parley.origin }
  });
  try {
    await waitReady(moderator, { mode: 'synced', timeoutMs: 30_000 });
    setUpRooms(moderator.doc, members);
    // Let the server store the setup before readers ask for room chats by it.
    await pause(1_000);
    return getRoomReaders(moderator.doc, members);
  } finally {
    closeClient(moderator);
  }
}

function setUpRooms(doc: Y.Doc, members: MemberSpec[]): void {
  if (readBreakoutState(doc).rooms.length > 0) return;
  createRooms(doc, { count: SESSION_ROOMS, mode: 'automatic', actor: 'bench' });
  autoAssign(doc, {
    members: members.map((m) => ({ userId: asUserId(m.userId), isModerator: m.isModerator })),
    seed: 0x5eed,
    now: Date.now(),
    actor: 'bench'
  });
  startSession(doc, { timerMinutes: null, moveAutomatically: true, allowReturn: false, now: Date.now() });
}

async function measureBroadcast({
  parley,
  stock,
  seed,
  shards,
  failures,
  roomReaders
}: {
  parley: ServerProcess | undefined;
  stock: ServerProcess | undefined;
  seed: ParleySeed | null;
  shards: ReaderShard[];
  failures: string[];
  roomReaders: RoomReader[];
}): Promise<SessionRow[]> {
  const label = `broadcast r${BROADCAST_ROOMS}`;
  const tag = Math.random().toString(36).slice(2, 8);
  const probe = { kind: 'chat' as const, tag };
  const specs: Array<{ name: SessionServerName; connect: () => Promise<ShardedFanoutGroup> }> = [];
  const stockWriters: Client[] = [];
  if (stock) {
    const serverUrl = toWsUrl(stock.origin);
    const docNameOf = (i: number) => `bench/broadcast-${tag}-room-${i}`;
    specs.push({
      name: 'stock',
      connect: async () => {
        for (let i = 0; i < BROADCAST_ROOMS; i++) {
          stockWriters.push(openClient({ serverUrl, docName: docNameOf(i), resyncMs: WRITER_RESYNC_MS }));
        }
        await Promise.all(stockWriters.map((w) => waitReady(w, { mode: 'synced', timeoutMs: 30_000 })));
        return ShardedFanoutGroup.connect({
          target: { serverUrl, docName: docNameOf(0), ready: 'synced', getReaderDocName: docNameOf },
          readers: BROADCAST_ROOMS,
          probe,
          shards,
          // One writer (this process) appends the same entry to every room's chat, in one go.
          change: (round) => {
            const createdAt = Date.now();
            for (const writer of stockWriters) {
              writer.doc.getArray('messages').push([
                {
                  id: `bench-${tag}-${round}`,
                  authorId: 'bench-moderator0',
                  authorName: 'Alice',
                  text: chatText(tag, round),
                  createdAt,
                  broadcast: true
                }
              ]);
            }
          }
        });
      }
    });
  }
  if (parley && seed && roomReaders.length < BROADCAST_ROOMS) {
    failures.push(
      `parley ${label}: only ${roomReaders.length} of ${BROADCAST_ROOMS} rooms have a participant to read them`
    );
  } else if (parley && seed) {
    const cookieOf = new Map(seed.guestUserIds.map((userId, i) => [userId, seed.guestCookies[i]]));
    const conversationId = asConversationId(seed.conversationId);
    const docNameOf = (i: number) =>
      getDocName({ conversationId, kind: 'chat', room: roomReaders[i].roomId });
    specs.push({
      name: 'parley',
      connect: () =>
        ShardedFanoutGroup.connect({
          target: {
            serverUrl: `${toWsUrl(parley.origin)}/ws`,
            docName: docNameOf(0),
            ready: 'synced',
            getReaderDocName: docNameOf,
            getReaderHeaders: (i) => ({ Cookie: cookieOf.get(roomReaders[i].userId)!, Origin: parley.origin })
          },
          readers: BROADCAST_ROOMS,
          probe,
          shards,
          change: (round) =>
            call({
              origin: parley.origin,
              path: `/api/conversations/${seed.conversationId}/breakout/broadcast`,
              body: { id: `bench-${tag}-${round}`, text: chatText(tag, round) },
              cookie: seed.writerCookie
            })
        })
    });
  }
  const entries = await connectGroups(specs, label, failures);
  const lastRoom = new Map<SessionServerName, { values: number[]; lost: number }>();
  for (const entry of entries) lastRoom.set(entry.name, { values: [], lost: 0 });
  try {
    console.log(
      `bench: broadcast to ${BROADCAST_ROOMS} rooms, one reader each, on ${entries.map((e) => e.name).join(', ')}: ${BROADCAST_WARMUPS} + ${BROADCASTS} rounds`
    );
    await takeTurns({
      entries,
      rounds: BROADCAST_WARMUPS + BROADCASTS,
      budgetMs: BROADCAST_BUDGET_MS,
      label,
      failures,
      onRound(entry, index, _round, latencies, lost) {
        if (index < BROADCAST_WARMUPS) return;
        const s = lastRoom.get(entry.name)!;
        // A round with a room that never showed it has no "last room" time; it counts as lost.
        if (lost > 0) s.lost += lost;
        else s.values.push(Math.max(...latencies));
      }
    });
  } finally {
    for (const { group } of entries) group.close();
    stockWriters.forEach(closeClient);
    await pause(500);
  }
  const rows: SessionRow[] = [];
  for (const entry of entries) {
    const s = lastRoom.get(entry.name)!;
    rows.push(summarize('broadcast', entry.name, BROADCAST_ROOMS, s.values, s.lost, entry.connectMs));
    if (s.lost > 0) failures.push(`${entry.name} ${label}: ${s.lost} (room, round) entries never seen`);
  }
  return rows;
}

/**
 * What every participant client does when a session starts or ends, timed alone in this process on a
 * document like the benchmark's (100 rooms, 1,000 assignments, a session running): how much of a
 * session-start figure is the readers' own work (a reader process runs it once per reader it holds).
 * `sessionChangeMs` is a start or end (the kept tidy view is reused); `setupChangeMs` is the first look after
 * a setup change, which rebuilds the tidy view over every member.
 */
export function measureLocate(members: MemberSpec[]): { sessionChangeMs: number; setupChangeMs: number } {
  const doc = new Y.Doc();
  setUpRooms(doc, members);
  const member = members.map((m): Member => ({ userId: asUserId(m.userId), isModerator: m.isModerator }));
  const userId = member.find((m) => !m.isModerator)!.userId;
  const median = (run: (locator: Locator) => void) => {
    const locator = new Locator(member, userId);
    const times: number[] = [];
    for (let i = 0; i < 220; i++) {
      const started = performance.now();
      run(locator);
      if (i >= 20) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  };
  const result = {
    sessionChangeMs: median((locator) => locator.locate(doc)),
    setupChangeMs: median((locator) => {
      locator.setupChanged();
      locator.locate(doc);
    })
  };
  doc.destroy();
  return result;
}

export async function measureSessions({
  parley,
  stock,
  seed,
  shards,
  failures
}: {
  parley: ServerProcess | undefined;
  stock: ServerProcess | undefined;
  seed: ParleySeed | null;
  shards: ReaderShard[];
  failures: string[];
}): Promise<{ rows: SessionRow[]; locateMs: { sessionChangeMs: number; setupChangeMs: number } }> {
  const members = getMembers(seed);
  const locateMs = measureLocate(members);
  const start = await measureSessionStart({ parley, stock, seed, shards, failures, members });
  let roomReaders = start.roomReaders;
  if (parley && seed && roomReaders.length === 0) {
    roomReaders = await ensureParleyRooms(parley, seed, members).catch((error: Error) => {
      failures.push(`parley broadcast setup: ${error.message}`);
      return [];
    });
  }
  const broadcast = await measureBroadcast({ parley, stock, seed, shards, failures, roomReaders });
  return { rows: [...start.rows, ...broadcast], locateMs };
}
