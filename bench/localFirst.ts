/**
 * Local-first measurements of the control document (SPEC R91, R98), pure CPU in this process:
 *
 * - `offline_merge_ms_1000`: a synced setup of 100 rooms and 1,000 participants (assigned by autoAssign),
 *   two moderator replicas made from it each apply 1,000 seeded setup changes offline through the real
 *   commands of src/lib/sync/control.ts; a third replica (the server's copy, or a co-moderator's) then
 *   applies both offline update sets, each as `Y.encodeStateAsUpdate(replica, baseStateVector)` (what a
 *   reconnecting provider sends in its first sync exchange), and computes the tidy view the UI shows. The
 *   median over several repetitions, each on a fresh copy of the base. All three replicas must converge to
 *   the same tidy view and the same document.
 * - `doc_bytes_20000_changes`: one moderator's replica of the same setup takes 20,000 setup changes, then
 *   the document is compacted as the server does it (server/sync/updateLog.ts: a Y.Doc rebuilt from the
 *   stored updates, `Y.encodeStateAsUpdate`) and its size reported, with where the bytes are (per map: the
 *   live entries, the overwritten or deleted ones that stay as tombstones, and the delete set).
 *
 * The mix of changes is a moderator's: mostly moves (assignParticipants, one person or a small selection,
 * sometimes back to the main room), then renames, seat caps, a mode switch now and then, and a few rooms
 * added and removed. Only changes that write something count (a rename to the same name writes nothing).
 *
 * `node --import tsx bench/localFirst.ts` runs both on their own and prints them.
 */
import * as Y from 'yjs';
import {
  createRandom,
  tidyBreakout,
  type AssignmentMode,
  type BreakoutView,
  type Member
} from '../src/lib/domain/breakout';
import { asUserId, type RoomId, type UserId } from '../src/lib/domain/ids';
import {
  addRoom,
  assignParticipants,
  autoAssign,
  createRooms,
  readBreakoutState,
  removeRoom,
  renameRoom,
  setMode,
  setSeatCap
} from '../src/lib/sync/control';

export const PARTICIPANTS = 1_000;
export const ROOMS = 100;
export const OFFLINE_EDITS = 1_000;
export const DOC_CHANGES = 20_000;

const MODERATORS = [asUserId('moderator-ana-01'), asUserId('moderator-ben-02')];
/** Moments of the run: a fixed start, one change a second per moderator (the second one half a second later). */
const START_MS = 1_767_225_600_000;
/**
 * Client ids of the writing replicas: the moderator who set up the base, then the two working offline.
 * Full 32-bit values like the random ones Yjs picks: every struct and origin carries one, and a small id
 * would encode in 2 bytes instead of 5 (20,000 changes would then look 23% smaller).
 */
const BASE_CLIENT = 0x9e3779b1;
const CLIENT_A = 0xc2b2ae3d;
const CLIENT_B = 0xd3a2646c;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const ROOM_NAMES = [
  'Ideas',
  'Risks',
  'Plan',
  'Budget',
  'Design review',
  'Hiring',
  'Roadmap',
  'Q&A',
  'Onboarding',
  'Support',
  'Retrospective',
  'Customer feedback',
  'Infrastructure',
  'Security',
  'Accessibility',
  'Pricing'
];

type Random = () => number;

const pickIndex = (random: Random, length: number) => Math.floor(random() * length);
const pick = <T>(random: Random, items: readonly T[]): T => items[pickIndex(random, items.length)];

/** 16 url-safe characters, the shape of the server's user ids. */
function makeUserIds(count: number, seed: number): UserId[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => {
    let id = '';
    for (let i = 0; i < 16; i++) id += ID_ALPHABET[pickIndex(random, ID_ALPHABET.length)];
    return asUserId(id);
  });
}

export interface Setup {
  participants: UserId[];
  participantSet: ReadonlySet<UserId>;
  /** Participants and the two moderators, as the tidy view gets them from the meta document. */
  members: Member[];
  /** The base document as one update, and its state vector. */
  update: Uint8Array;
  stateVector: Uint8Array;
  /** Rooms of the base, in order of creation. */
  roomIds: RoomId[];
}

/** 100 rooms, 1,000 participants spread by "Automatically assign" (R46), as a moderator sets it up. */
export function createSetup({
  participants: participantCount = PARTICIPANTS,
  rooms = ROOMS,
  seed = 0x10ca1
}: { participants?: number; rooms?: number; seed?: number } = {}): Setup {
  const participants = makeUserIds(participantCount, seed);
  const members: Member[] = [
    ...MODERATORS.map((userId) => ({ userId, isModerator: true })),
    ...participants.map((userId) => ({ userId, isModerator: false }))
  ];
  const doc = new Y.Doc();
  doc.clientID = BASE_CLIENT;
  const created = createRooms(doc, { count: rooms, mode: 'automatic', actor: MODERATORS[0] });
  if (!created.ok) throw new Error(`createRooms: ${created.error}`);
  const assigned = autoAssign(doc, { members, seed, now: START_MS, actor: MODERATORS[0] });
  if (!assigned.ok) throw new Error(`autoAssign: ${assigned.error}`);
  const setup: Setup = {
    participants,
    participantSet: new Set(participants),
    members,
    update: Y.encodeStateAsUpdate(doc),
    stateVector: Y.encodeStateVector(doc),
    roomIds: created.value
  };
  doc.destroy();
  return setup;
}

/**
 * A replica of the base: a fresh Y.Doc that applied the base update. Writers get fixed client ids, so a
 * run is repeatable (Yjs settles concurrent writes to one map key by client id); readers keep a random one.
 */
export function openReplica(setup: Setup, clientID?: number): Y.Doc {
  const doc = new Y.Doc();
  if (clientID !== undefined) doc.clientID = clientID;
  Y.applyUpdate(doc, setup.update);
  return doc;
}

export type ChangeName =
  'move' | 'moveSeveral' | 'moveToMain' | 'renameRoom' | 'setSeatCap' | 'setMode' | 'addRoom' | 'removeRoom';

/**
 * One moderator working on a replica: seeded random commands, each through control.ts, each counted
 * once it wrote something. The moderator only knows the rooms its own replica has.
 */
export class Moderator {
  readonly counts: Record<ChangeName, number> = {
    move: 0,
    moveSeveral: 0,
    moveToMain: 0,
    renameRoom: 0,
    setSeatCap: 0,
    setMode: 0,
    addRoom: 0,
    removeRoom: 0
  };
  /** Commands issued that wrote nothing (the value was already there) or were refused. */
  noOps = 0;
  readonly #actor: UserId;
  readonly #clockOffsetMs: number;
  #rooms: RoomId[];
  #random: Random;
  #step = 0;
  #written = 0;

  constructor(
    readonly doc: Y.Doc,
    readonly setup: Setup,
    { seed, actor, clockOffsetMs = 0 }: { seed: number; actor: UserId; clockOffsetMs?: number }
  ) {
    this.#rooms = [...setup.roomIds];
    this.#random = createRandom(seed);
    this.#actor = actor;
    this.#clockOffsetMs = clockOffsetMs;
    doc.on('update', this.#onUpdate);
  }

  #onUpdate = () => {
    this.#written++;
  };

  /** Issues commands until `changes` of them have written something. */
  apply(changes: number): void {
    const target = this.#written + changes;
    while (this.#written < target) {
      const before = this.#written;
      const name = this.#next();
      if (this.#written > before) this.counts[name]++;
      else this.noOps++;
    }
  }

  stop(): void {
    this.doc.off('update', this.#onUpdate);
  }

  #next(): ChangeName {
    const random = this.#random;
    const now = START_MS + ++this.#step * 1_000 + this.#clockOffsetMs;
    const actor = this.#actor;
    const r = random();
    if (r < 0.8 && this.#rooms.length > 0) {
      // Moves: mostly one person, sometimes a multi-selection, now and then back to the main room.
      const several = random() < 0.15;
      const count = several ? 2 + pickIndex(random, 4) : 1;
      const userIds = Array.from({ length: count }, () => pick(random, this.setup.participants));
      const toMain = random() < 0.05;
      const roomId = toMain ? null : pick(random, this.#rooms);
      assignParticipants(this.doc, {
        userIds,
        roomId,
        participants: this.setup.participantSet,
        now,
        actor
      });
      return toMain ? 'moveToMain' : several ? 'moveSeveral' : 'move';
    }
    if (r < 0.88 && this.#rooms.length > 0) {
      const name =
        random() < 0.5 ? pick(random, ROOM_NAMES) : `${pick(random, ROOM_NAMES)} ${1 + pickIndex(random, 9)}`;
      renameRoom(this.doc, { roomId: pick(random, this.#rooms), name, actor });
      return 'renameRoom';
    }
    if (r < 0.95 && this.#rooms.length > 0) {
      const seatCap = random() < 0.2 ? null : 5 + pickIndex(random, 16);
      setSeatCap(this.doc, { roomId: pick(random, this.#rooms), seatCap, actor });
      return 'setSeatCap';
    }
    if (r < 0.96) {
      const modes: AssignmentMode[] = ['manual', 'choose', 'automatic'];
      setMode(this.doc, { mode: pick(random, modes), actor });
      return 'setMode';
    }
    // A few rooms come and go; the count stays between 90 and the maximum of 100.
    const shouldAdd = this.#rooms.length <= 90 || (this.#rooms.length < ROOMS && random() < 0.5);
    if (shouldAdd) {
      const added = addRoom(this.doc, { actor });
      if (added.ok) this.#rooms.push(added.value);
      return 'addRoom';
    }
    const index = pickIndex(random, this.#rooms.length);
    const [roomId] = this.#rooms.splice(index, 1);
    removeRoom(this.doc, { roomId, actor });
    return 'removeRoom';
  }
}

/** The tidy view as a comparable string: rooms in order with their people, the unassigned, the mode. */
export function describeView(view: BreakoutView): string {
  return JSON.stringify({
    mode: view.mode,
    rooms: view.rooms.map((r) => [r.id, r.name, r.order, r.seatCap, r.members]),
    unassigned: view.unassigned
  });
}

function getView(doc: Y.Doc, members: Member[]): BreakoutView {
  return tidyBreakout({ state: readBreakoutState(doc), members });
}

function summarize(times: number[]): { medianMs: number; minMs: number; maxMs: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)], minMs: sorted[0], maxMs: sorted.at(-1)! };
}

export interface OfflineMergeResult {
  participants: number;
  rooms: number;
  editsPerModerator: number;
  runs: number;
  warmupRuns: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Of the median run: applying the two offline update sets, and the tidy view after. */
  applyMs: number;
  tidyMs: number;
  /** Sizes of the two offline update sets. */
  offlineBytes: [number, number];
  counts: Record<ChangeName, number>;
  /** Rooms and unassigned participants in the merged tidy view. */
  mergedRooms: number;
  mergedUnassigned: number;
  /** Empty when all three replicas ended with the same document and the same tidy view. */
  problems: string[];
}

export function measureOfflineMerge({
  editsPerModerator = OFFLINE_EDITS,
  warmupRuns = 5,
  runs = 31
}: { editsPerModerator?: number; warmupRuns?: number; runs?: number } = {}): OfflineMergeResult {
  const setup = createSetup();
  const ana = new Moderator(openReplica(setup, CLIENT_A), setup, { seed: 0xa11a, actor: MODERATORS[0] });
  const ben = new Moderator(openReplica(setup, CLIENT_B), setup, {
    seed: 0xbe11,
    actor: MODERATORS[1],
    clockOffsetMs: 500
  });
  ana.apply(editsPerModerator);
  ben.apply(editsPerModerator);
  ana.stop();
  ben.stop();
  // What each moderator's provider sends on reconnecting to a server that holds the base.
  const fromAna = Y.encodeStateAsUpdate(ana.doc, setup.stateVector);
  const fromBen = Y.encodeStateAsUpdate(ben.doc, setup.stateVector);

  const samples: { total: number; apply: number; tidy: number }[] = [];
  let merged: Y.Doc | null = null;
  let mergedView: BreakoutView | null = null;
  for (let run = 0; run < warmupRuns + runs; run++) {
    const third = openReplica(setup);
    // Alternating which one arrives first: the server hears from whoever reconnects first.
    const [first, second] = run % 2 === 0 ? [fromAna, fromBen] : [fromBen, fromAna];
    const started = performance.now();
    Y.applyUpdate(third, first);
    Y.applyUpdate(third, second);
    const applied = performance.now();
    const view = getView(third, setup.members);
    const ended = performance.now();
    if (run >= warmupRuns) {
      samples.push({ total: ended - started, apply: applied - started, tidy: ended - applied });
    }
    if (merged) third.destroy();
    else {
      merged = third;
      mergedView = view;
    }
  }

  // Each moderator then receives the other's offline work (the server relays it).
  Y.applyUpdate(ana.doc, fromBen);
  Y.applyUpdate(ben.doc, fromAna);
  const problems: string[] = [];
  const expected = describeView(mergedView!);
  for (const [name, doc] of [
    ['moderator A', ana.doc],
    ['moderator B', ben.doc]
  ] as const) {
    if (describeView(getView(doc, setup.members)) !== expected) {
      problems.push(`${name}'s tidy view differs from the merged copy's`);
    }
    if (!sameDocument(doc, merged!)) problems.push(`${name}'s document differs from the merged copy's`);
  }
  if (expected === describeView(getView(openReplica(setup), setup.members))) {
    problems.push('the merged tidy view equals the base: the offline edits did not arrive');
  }

  const sorted = [...samples].sort((a, b) => a.total - b.total);
  const median = sorted[Math.floor(sorted.length / 2)];
  const counts = { ...ana.counts };
  for (const key of Object.keys(counts) as ChangeName[]) counts[key] += ben.counts[key];
  const result: OfflineMergeResult = {
    participants: setup.participants.length,
    rooms: setup.roomIds.length,
    editsPerModerator,
    runs,
    warmupRuns,
    ...summarize(samples.map((s) => s.total)),
    applyMs: median.apply,
    tidyMs: median.tidy,
    offlineBytes: [fromAna.byteLength, fromBen.byteLength],
    counts,
    mergedRooms: mergedView!.rooms.length,
    mergedUnassigned: mergedView!.unassigned.length,
    problems
  };
  for (const doc of [ana.doc, ben.doc, merged!]) doc.destroy();
  return result;
}

/** Same structs and same deletions: what "identical documents" (R98) means for Yjs. */
function sameDocument(a: Y.Doc, b: Y.Doc): boolean {
  const encodedA = Y.encodeStateAsUpdate(a);
  const encodedB = Y.encodeStateAsUpdate(b);
  if (encodedA.byteLength !== encodedB.byteLength) return false;
  return Buffer.from(encodedA).equals(Buffer.from(encodedB));
}

/* ------------------------------------------------------------------------------------------------- */

export interface MapShare {
  /** The top-level map, or `rooms/*` for the fields inside the rooms' own maps. */
  name: string;
  liveItems: number;
  /** Overwritten or deleted entries: kept as tombstones (ContentDeleted) for merging. */
  deletedItems: number;
  /** The structs' own bytes in the v1 encoding (ids, origins, content), live and deleted. */
  liveBytes: number;
  deletedBytes: number;
}

export interface DocBytesResult {
  changes: number;
  participants: number;
  rooms: number;
  /** Compacted as the server does it: `Y.encodeStateAsUpdate` of a Y.Doc rebuilt from the updates. */
  bytes: number;
  /** The same document in the v2 update encoding (Yjs's column-wise one). */
  bytesV2: number;
  /** The base setup alone, before the changes. */
  baseBytes: number;
  /** Today's state copied into a new document with no history: what the state itself costs. */
  stateOnlyBytes: number;
  /** Delete set: ranges and their share of the bytes (the rest after structs and their headers). */
  deleteRanges: number;
  deleteSetBytes: number;
  maps: MapShare[];
  counts: Record<ChangeName, number>;
  noOps: number;
  ms: number;
}

export function measureDocBytes({ changes = DOC_CHANGES }: { changes?: number } = {}): DocBytesResult {
  const started = performance.now();
  const setup = createSetup();
  const moderator = new Moderator(openReplica(setup, CLIENT_A), setup, {
    seed: 0xd0c5,
    actor: MODERATORS[0]
  });
  moderator.apply(changes);
  moderator.stop();
  // The server's copy: rebuilt from what it stored, then encoded whole (compaction).
  const server = new Y.Doc();
  Y.applyUpdate(server, Y.encodeStateAsUpdate(moderator.doc));
  const compacted = Y.encodeStateAsUpdate(server);
  const analysis = analyze(server, compacted.byteLength);
  const result: DocBytesResult = {
    changes,
    participants: setup.participants.length,
    rooms: setup.roomIds.length,
    bytes: compacted.byteLength,
    bytesV2: Y.encodeStateAsUpdateV2(server).byteLength,
    baseBytes: setup.update.byteLength,
    stateOnlyBytes: Y.encodeStateAsUpdate(copyState(server)).byteLength,
    ...analysis,
    counts: moderator.counts,
    noOps: moderator.noOps,
    ms: performance.now() - started
  };
  moderator.doc.destroy();
  server.destroy();
  return result;
}

/**
 * Which map's history the bytes belong to: every struct is encoded on its own (v1, as in the update) and
 * counted under its top-level map; the fields of the rooms' nested maps count as `rooms/*`.
 */
function analyze(
  doc: Y.Doc,
  totalBytes: number
): { maps: MapShare[]; deleteRanges: number; deleteSetBytes: number } {
  // Keyed by the type objects themselves (AbstractType's event parameter makes a typed key awkward).
  const topName = new Map<unknown, string>();
  for (const [name, type] of doc.share) topName.set(type, name);
  const nameOf = (item: Y.Item): string => {
    const parent = item.parent as Y.Map<unknown>;
    const top = topName.get(parent);
    if (top) return top;
    const holder = parent._item?.parent;
    const outer = holder ? topName.get(holder) : undefined;
    return outer ? `${outer}/*` : '(other)';
  };
  const shares = new Map<string, MapShare>();
  let structBytes = 0;
  for (const [client, structs] of doc.store.clients) {
    // Per client: the count of structs, the client id and the first clock (as the v1 encoder writes them).
    structBytes += varUintLength(structs.length) + varUintLength(client) + varUintLength(structs[0].id.clock);
    for (const struct of structs) {
      const encoder = new Y.UpdateEncoderV1();
      struct.write(encoder, 0);
      const bytes = encoder.toUint8Array().byteLength;
      structBytes += bytes;
      const name = struct instanceof Y.Item ? nameOf(struct) : '(gc)';
      let share = shares.get(name);
      if (!share) {
        share = { name, liveItems: 0, deletedItems: 0, liveBytes: 0, deletedBytes: 0 };
        shares.set(name, share);
      }
      if (struct.deleted) {
        share.deletedItems++;
        share.deletedBytes += bytes;
      } else {
        share.liveItems++;
        share.liveBytes += bytes;
      }
    }
  }
  structBytes += varUintLength(doc.store.clients.size);
  let deleteRanges = 0;
  for (const ranges of Y.createDeleteSetFromStructStore(doc.store).clients.values()) {
    deleteRanges += ranges.length;
  }
  const maps = [...shares.values()].sort(
    (a, b) => b.liveBytes + b.deletedBytes - (a.liveBytes + a.deletedBytes)
  );
  return { maps, deleteRanges, deleteSetBytes: totalBytes - structBytes };
}

function varUintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

/** Every top-level map's current entries (nested maps one level deep) in a new document: no history. */
function copyState(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc();
  copy.transact(() => {
    // Every top-level type of the control document is a map.
    for (const name of doc.share.keys()) {
      const source = doc.getMap<unknown>(name);
      const target = copy.getMap<unknown>(name);
      for (const [key, value] of source) {
        if (value instanceof Y.Map) {
          const nested = new Y.Map<unknown>();
          for (const [field, fieldValue] of value as Y.Map<unknown>) nested.set(field, fieldValue);
          target.set(key, nested);
        } else target.set(key, value);
      }
    }
  });
  return copy;
}

/* ------------------------------------------------------------------------------------------------- */

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function describeOfflineMerge(result: OfflineMergeResult): string[] {
  const counts = Object.entries(result.counts)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  return [
    `offline merge: ${result.participants} participants, ${result.rooms} rooms; two moderators each made ${result.editsPerModerator} changes offline (${counts}); offline update sets ${kb(result.offlineBytes[0])} and ${kb(result.offlineBytes[1])}`,
    `  a third replica applies both and computes the tidy view: median ${result.medianMs.toFixed(2)} ms (apply ${result.applyMs.toFixed(2)} + tidy view ${result.tidyMs.toFixed(2)}), min ${result.minMs.toFixed(2)}, max ${result.maxMs.toFixed(2)} over ${result.runs} runs after ${result.warmupRuns} warm-up; merged view: ${result.mergedRooms} rooms, ${result.mergedUnassigned} unassigned`,
    `  convergence of the three replicas (same document, same tidy view): ${result.problems.length === 0 ? 'yes' : result.problems.join('; ')}`
  ];
}

export function describeDocBytes(result: DocBytesResult): string[] {
  const lines = [
    `control document after ${result.changes} setup changes (${result.participants} participants, ${result.rooms} rooms; ${Object.entries(
      result.counts
    )
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')}; ${result.noOps} commands wrote nothing), built in ${(result.ms / 1000).toFixed(1)} s:`,
    `  compacted (v1, as the server stores it) ${kb(result.bytes)}; v2 encoding ${kb(result.bytesV2)}; base setup alone ${kb(result.baseBytes)}; today's state with no history ${kb(result.stateOnlyBytes)}`,
    `  delete set: ${result.deleteRanges} ranges, ${kb(result.deleteSetBytes)}`
  ];
  for (const share of result.maps) {
    lines.push(
      `  ${share.name.padEnd(12)} ${String(share.liveItems).padStart(6)} live entries ${kb(share.liveBytes).padStart(9)}, ${String(share.deletedItems).padStart(6)} tombstones ${kb(share.deletedBytes).padStart(9)}`
    );
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const merge = measureOfflineMerge();
  for (const line of describeOfflineMerge(merge)) console.log(line);
  const bytes = measureDocBytes();
  for (const line of describeDocBytes(bytes)) console.log(line);
}
