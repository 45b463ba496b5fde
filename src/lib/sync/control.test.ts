import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { tidyBreakout, type Member } from '../domain/breakout';
import { asRoomId, asUserId, type RoomId, type UserId } from '../domain/ids';
import {
  addRoom,
  assignParticipants,
  autoAssign,
  clearSetup,
  createRooms,
  observeControl,
  readBreakoutState,
  readSeed,
  removeRoom,
  renameRoom,
  setMode,
  setSeatCap,
  SetupCommand,
  clearHelpRequestsForRoom,
  dismissHelpRequest,
  endSession,
  extendTimer,
  readHelpRequests,
  readReturned,
  readSession,
  startSession,
  writeHelpRequest,
  writeReturned,
  type SetupCommandName
} from './control';
import { getSessionPhase } from '../domain/session';

const carol = asUserId('carol_0001');
const dave = asUserId('dave_00001');
const erin = asUserId('erin_00001');
const alice = asUserId('alice_0001');
const members: Member[] = [
  { userId: alice, isModerator: true },
  { userId: carol, isModerator: false },
  { userId: dave, isModerator: false },
  { userId: erin, isModerator: false }
];
const participants: ReadonlySet<UserId> = new Set([carol, dave, erin]);

/** Exchanges what each replica lacks, both ways, as two providers would on reconnect. */
function sync(a: Y.Doc, b: Y.Doc): void {
  const toB = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const toA = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, toB);
  Y.applyUpdate(a, toA);
}

/** Two replicas with distinct client ids and the same starting setup. */
function twoReplicas(setup: (doc: Y.Doc) => void): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  const b = new Y.Doc();
  setup(a);
  sync(a, b);
  return [a, b];
}

function ok<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(`expected success, got “${result.error}”`);
  return result.value;
}

const view = (doc: Y.Doc) => tidyBreakout({ state: readBreakoutState(doc), members });
const roomNames = (doc: Y.Doc) => view(doc).rooms.map((r) => r.name);

/** Records the origin of every transaction that changes the document. */
function recordOrigins(doc: Y.Doc): unknown[] {
  const origins: unknown[] = [];
  doc.on('update', (_update: Uint8Array, origin: unknown) => origins.push(origin));
  return origins;
}

function expectCommand(origin: unknown, name: SetupCommandName, actor: string | null = null): void {
  expect(origin).toBeInstanceOf(SetupCommand);
  expect((origin as SetupCommand).name).toBe(name);
  expect((origin as SetupCommand).actor).toBe(actor);
}

/** Runs a command that must be refused: it returns an error sentence and leaves the document as it was. */
function expectRefused(doc: Y.Doc, command: () => { ok: boolean; error?: string }): string {
  const before = Y.encodeStateAsUpdate(doc);
  const origins = recordOrigins(doc);
  const result = command();
  expect(result.ok).toBe(false);
  expect(result.error).toMatch(/\w.*\.$/);
  expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  expect(origins).toEqual([]);
  return result.error!;
}

describe('control commands', () => {
  it('R41: createRooms makes "Room 1" … in order, keeps given names trimmed, sets the mode', () => {
    const doc = new Y.Doc();
    const origins = recordOrigins(doc);
    const ids = ok(
      createRooms(doc, { count: 3, mode: 'manual', names: ['  Design  ', '', 'Ops'], actor: 'alice' })
    );
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(roomNames(doc)).toEqual(['Design', 'Room 2', 'Ops']);
    expect(view(doc).rooms.map((r) => r.id)).toEqual(ids);
    expect(readBreakoutState(doc).mode).toBe('manual');
    expect(origins).toHaveLength(1);
    expectCommand(origins[0], 'createRooms', 'alice');

    // Later rooms follow the existing ones.
    ok(createRooms(doc, { count: 2, mode: 'manual' }));
    expect(roomNames(doc)).toEqual(['Design', 'Room 2', 'Ops', 'Room 4', 'Room 5']);
  });

  it('R49: createRooms refuses counts outside 1–100, bad names and modes, and more than 100 rooms in all', () => {
    const doc = new Y.Doc();
    for (const count of [0, -1, 101, 2.5, NaN]) {
      expect(expectRefused(doc, () => createRooms(doc, { count, mode: 'manual' }))).toBe(
        'Choose between 1 and 100 rooms.'
      );
    }
    expectRefused(doc, () => createRooms(doc, { count: 2, mode: 'manual', names: ['ok', 'x'.repeat(65)] }));
    expectRefused(doc, () => createRooms(doc, { count: 1, mode: 'random' as never }));
    ok(createRooms(doc, { count: 100, mode: 'automatic' }));
    expect(readBreakoutState(doc).rooms).toHaveLength(100);
    expect(expectRefused(doc, () => createRooms(doc, { count: 1, mode: 'manual' }))).toMatch(/at most 100/);
    expectRefused(doc, () => addRoom(doc, {}));
  });

  it('R41: addRoom appends a room with the next default name or a given one', () => {
    const doc = new Y.Doc();
    ok(createRooms(doc, { count: 2, mode: 'manual' }));
    const origins = recordOrigins(doc);
    const third = ok(addRoom(doc, { actor: 'bob' }));
    const fourth = ok(addRoom(doc, { name: ' Quiet corner ' }));
    expect(roomNames(doc)).toEqual(['Room 1', 'Room 2', 'Room 3', 'Quiet corner']);
    expect(
      view(doc)
        .rooms.slice(2)
        .map((r) => r.id)
    ).toEqual([third, fourth]);
    expectCommand(origins[0], 'addRoom', 'bob');
    expectCommand(origins[1], 'addRoom');
    expectRefused(doc, () => addRoom(doc, { name: 'n'.repeat(65) }));
  });

  it('R41: renameRoom trims the name; R49: empty, over-long names and unknown rooms are refused', () => {
    const doc = new Y.Doc();
    const [first] = ok(createRooms(doc, { count: 2, mode: 'manual' }));
    const origins = recordOrigins(doc);
    expect(ok(renameRoom(doc, { roomId: first, name: '  Café ☕  ', actor: 'alice' }))).toBe('Café ☕');
    expect(roomNames(doc)).toEqual(['Café ☕', 'Room 2']);
    expectCommand(origins[0], 'renameRoom', 'alice');
    // 64 characters (an emoji counts as one) is the limit.
    ok(renameRoom(doc, { roomId: first, name: '😀'.repeat(64) }));

    expect(expectRefused(doc, () => renameRoom(doc, { roomId: first, name: '   ' }))).toBe(
      'Room names cannot be empty.'
    );
    expect(expectRefused(doc, () => renameRoom(doc, { roomId: first, name: 'x'.repeat(65) }))).toMatch(
      /at most 64 characters/
    );
    expect(
      expectRefused(doc, () => renameRoom(doc, { roomId: asRoomId('nosuchroom01'), name: 'A' }))
    ).toMatch(/no longer exists/);
  });

  it('R41: duplicate names are allowed and flagged', () => {
    const doc = new Y.Doc();
    const [a, b] = ok(createRooms(doc, { count: 3, mode: 'manual' }));
    ok(renameRoom(doc, { roomId: a, name: 'Same' }));
    ok(renameRoom(doc, { roomId: b, name: 'Same' }));
    expect(view(doc).rooms.map((r) => r.hasDuplicateName)).toEqual([true, true, false]);
  });

  it('R42: assignParticipants moves people into a room and back to the main room', () => {
    const doc = new Y.Doc();
    const [r1, r2] = ok(createRooms(doc, { count: 2, mode: 'manual' }));
    const origins = recordOrigins(doc);
    expect(ok(assignParticipants(doc, { userIds: [carol, dave], roomId: r1, participants, now: 10 }))).toBe(
      2
    );
    expect(view(doc).rooms[0].members).toEqual([carol, dave]);
    ok(assignParticipants(doc, { userIds: [carol], roomId: r2, participants, now: 20, actor: 'bob' }));
    expect(view(doc).rooms.map((r) => r.members)).toEqual([[dave], [carol]]);
    expect(readBreakoutState(doc).assignments.get(carol)).toEqual({ roomId: r2, at: 20 });
    ok(assignParticipants(doc, { userIds: [dave], roomId: null, participants, now: 30 }));
    expect(view(doc).unassigned).toEqual([dave, erin]);
    expect(readBreakoutState(doc).assignments.has(dave)).toBe(false);
    expectCommand(origins[0], 'assign');
    expectCommand(origins[1], 'assign', 'bob');
    expectCommand(origins[2], 'assign');
  });

  it('R45: moving someone into the room they are in keeps their place (assignment time)', () => {
    const doc = new Y.Doc();
    const [r1] = ok(createRooms(doc, { count: 1, mode: 'manual' }));
    ok(assignParticipants(doc, { userIds: [carol], roomId: r1, participants, now: 10 }));
    const before = Y.encodeStateAsUpdate(doc);
    ok(assignParticipants(doc, { userIds: [carol], roomId: r1, participants, now: 99 }));
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });

  it('R49: assigning an unknown room, a non-participant, a moderator or nobody is refused', () => {
    const doc = new Y.Doc();
    const [r1] = ok(createRooms(doc, { count: 1, mode: 'manual' }));
    ok(assignParticipants(doc, { userIds: [carol], roomId: r1, participants, now: 1 }));
    expect(
      expectRefused(doc, () =>
        assignParticipants(doc, { userIds: [dave], roomId: asRoomId('nosuchroom01'), participants, now: 2 })
      )
    ).toMatch(/no longer exists/);
    expect(
      expectRefused(doc, () =>
        assignParticipants(doc, {
          userIds: [dave, asUserId('stranger_01')],
          roomId: r1,
          participants,
          now: 2
        })
      )
    ).toMatch(/Only participants/);
    expectRefused(doc, () => assignParticipants(doc, { userIds: [alice], roomId: r1, participants, now: 2 }));
    expectRefused(doc, () =>
      assignParticipants(doc, { userIds: [alice], roomId: null, participants, now: 2 })
    );
    expectRefused(doc, () => assignParticipants(doc, { userIds: [], roomId: r1, participants, now: 2 }));
  });

  it('R43: removeRoom deletes the room and makes its people unassigned; others keep theirs', () => {
    const doc = new Y.Doc();
    const [r1, r2] = ok(createRooms(doc, { count: 2, mode: 'manual' }));
    ok(assignParticipants(doc, { userIds: [carol, dave], roomId: r1, participants, now: 1 }));
    ok(assignParticipants(doc, { userIds: [erin], roomId: r2, participants, now: 1 }));
    const origins = recordOrigins(doc);
    ok(removeRoom(doc, { roomId: r1, actor: 'alice' }));
    expect(view(doc).rooms.map((r) => r.id)).toEqual([r2]);
    expect(view(doc).unassigned).toEqual([carol, dave]);
    expect([...readBreakoutState(doc).assignments.keys()]).toEqual([erin]);
    expectCommand(origins[0], 'removeRoom', 'alice');
    expectRefused(doc, () => removeRoom(doc, { roomId: r1 }));
  });

  it('R48: setMode keeps rooms and assignments; R49: an unknown mode is refused', () => {
    const doc = new Y.Doc();
    const [r1] = ok(createRooms(doc, { count: 2, mode: 'manual' }));
    ok(assignParticipants(doc, { userIds: [carol], roomId: r1, participants, now: 1 }));
    const origins = recordOrigins(doc);
    ok(setMode(doc, { mode: 'choose', actor: 'bob' }));
    expect(view(doc).mode).toBe('choose');
    expect(view(doc).rooms[0].members).toEqual([carol]);
    expect(view(doc).rooms).toHaveLength(2);
    expectCommand(origins[0], 'setMode', 'bob');
    expectRefused(doc, () => setMode(doc, { mode: 'everyone' as never }));
  });

  it('R44: setSeatCap sets and clears a cap; R49: caps that are not whole numbers from 1 to 1000 are refused', () => {
    const doc = new Y.Doc();
    const [r1] = ok(createRooms(doc, { count: 1, mode: 'choose' }));
    const origins = recordOrigins(doc);
    expect(ok(setSeatCap(doc, { roomId: r1, seatCap: '5', actor: 'alice' }))).toBe(5);
    expect(view(doc).rooms[0].seatCap).toBe(5);
    expectCommand(origins[0], 'setSeatCap', 'alice');
    expect(ok(setSeatCap(doc, { roomId: r1, seatCap: '' }))).toBeNull();
    expect(view(doc).rooms[0].seatCap).toBeNull();
    ok(setSeatCap(doc, { roomId: r1, seatCap: 1000 }));
    for (const seatCap of [0, 1001, 2.5, -3, 'many', '1e9', true]) {
      expect(expectRefused(doc, () => setSeatCap(doc, { roomId: r1, seatCap }))).toMatch(
        /whole number from 1 to 1000/
      );
    }
    expectRefused(doc, () => setSeatCap(doc, { roomId: asRoomId('nosuchroom01'), seatCap: 3 }));
  });

  it('R46: autoAssign spreads participants evenly, never moderators, remembers the seed and sets automatic mode', () => {
    const doc = new Y.Doc();
    ok(createRooms(doc, { count: 2, mode: 'manual' }));
    const origins = recordOrigins(doc);
    expect(ok(autoAssign(doc, { members, seed: 42, now: 5, actor: 'alice' }))).toBe(3);
    const sizes = view(doc)
      .rooms.map((r) => r.members.length)
      .sort();
    expect(sizes).toEqual([1, 2]);
    expect(view(doc).roomOf.has(alice)).toBe(false);
    expect(readBreakoutState(doc).assignments.has(alice)).toBe(false);
    expect(readSeed(doc)).toBe(42);
    expect(view(doc).mode).toBe('automatic');
    expectCommand(origins[0], 'autoAssign', 'alice');

    // Same seed on another replica with the same rooms: the same spread.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    ok(autoAssign(other, { members, seed: 42, now: 6 }));
    expect(view(other).roomOf).toEqual(view(doc).roomOf);
  });

  it('R46: autoAssign refuses to run without rooms and changes nothing', () => {
    const doc = new Y.Doc();
    setMode(doc, { mode: 'manual' });
    expect(expectRefused(doc, () => autoAssign(doc, { members, seed: 1, now: 1 }))).toBe('Add a room first.');
  });

  it('R50: clearSetup removes rooms, assignments, mode and seed', () => {
    const doc = new Y.Doc();
    ok(createRooms(doc, { count: 3, mode: 'manual' }));
    ok(autoAssign(doc, { members, seed: 7, now: 1 }));
    const origins = recordOrigins(doc);
    clearSetup(doc, { actor: 'server' });
    expect(readBreakoutState(doc)).toEqual({ mode: null, rooms: [], assignments: new Map() });
    expect(readSeed(doc)).toBeNull();
    for (const name of ['rooms', 'assignments', 'settings']) expect(doc.getMap(name).size).toBe(0);
    expectCommand(origins[0], 'clearSetup', 'server');
  });

  it('observeControl reports each setup transaction once with its command, and stops when unsubscribed', () => {
    const doc = new Y.Doc();
    const seen: unknown[] = [];
    const stop = observeControl(doc, (origin) => seen.push(origin));
    const [r1] = ok(createRooms(doc, { count: 1, mode: 'manual' }));
    ok(renameRoom(doc, { roomId: r1, name: 'Renamed' }));
    clearSetup(doc);
    expect(seen.map((o) => (o as SetupCommand).name)).toEqual(['createRooms', 'renameRoom', 'clearSetup']);
    // A change that arrives from another replica is reported with the origin it was applied with.
    const remote = new Y.Doc();
    ok(createRooms(remote, { count: 1, mode: 'choose' }));
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote), 'provider');
    expect(seen.at(-1)).toBe('provider');
    stop();
    ok(addRoom(doc, {}));
    expect(seen).toHaveLength(4);
  });

  it('R43: readBreakoutState ignores malformed entries a moderator’s replica may carry', () => {
    const doc = new Y.Doc();
    const [r1] = ok(createRooms(doc, { count: 1, mode: 'manual' }));
    doc.getMap('rooms').set('junk', 'not a room');
    const half = new Y.Map<unknown>();
    doc.getMap('rooms').set('halfroom0001', half);
    half.set('name', 'No order');
    doc.getMap('assignments').set(carol, { roomId: 3, at: 'soon' });
    doc.getMap('assignments').set(dave, null);
    doc.getMap('assignments').set(erin, { roomId: r1, at: 4 });
    doc.getMap('settings').set('mode', 'chaos');
    const state = readBreakoutState(doc);
    expect(state.rooms.map((r) => r.id)).toEqual([r1]);
    expect([...state.assignments.keys()]).toEqual([erin]);
    expect(state.mode).toBeNull();
    // Removing a room carries on past malformed assignment values.
    ok(removeRoom(doc, { roomId: r1 }));
    expect(readBreakoutState(doc).assignments.size).toBe(0);
  });
});

describe('control document under concurrent edits (replicas edited apart, then merged)', () => {
  const setupThree = (doc: Y.Doc): RoomId[] => ok(createRooms(doc, { count: 3, mode: 'manual' }));

  function converged(a: Y.Doc, b: Y.Doc): void {
    expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b));
    expect(view(a)).toEqual(view(b));
    // Map iteration order is each replica's arrival order; what is stored must still be the same.
    expect(storedSetup(a)).toEqual(storedSetup(b));
  }

  function storedSetup(doc: Y.Doc) {
    const state = readBreakoutState(doc);
    return {
      mode: state.mode,
      rooms: [...state.rooms].sort((x, y) => (x.id < y.id ? -1 : 1)),
      assignments: [...state.assignments].sort(([x], [y]) => (x < y ? -1 : 1))
    };
  }

  /** Every participant is in at most one existing room, and the view agrees with itself. */
  function valid(doc: Y.Doc): void {
    const v = view(doc);
    const seen = new Set<UserId>();
    for (const room of v.rooms) {
      for (const userId of room.members) {
        expect(seen.has(userId)).toBe(false);
        seen.add(userId);
        expect(v.roomOf.get(userId)).toBe(room.id);
      }
    }
    for (const userId of v.unassigned) expect(seen.has(userId)).toBe(false);
    expect(seen.size + v.unassigned.length).toBe(participants.size);
  }

  for (const order of ['a then b', 'b then a'] as const) {
    const merge = (a: Y.Doc, b: Y.Doc) => (order === 'a then b' ? sync(a, b) : sync(b, a));

    it(`R41: the same room renamed on both replicas ends with one whole name on both (${order})`, () => {
      let ids: RoomId[] = [];
      const [a, b] = twoReplicas((doc) => (ids = setupThree(doc)));
      ok(renameRoom(a, { roomId: ids[0], name: 'Alpha team' }));
      ok(renameRoom(b, { roomId: ids[0], name: 'Beta squad' }));
      merge(a, b);
      converged(a, b);
      expect(['Alpha team', 'Beta squad']).toContain(view(a).rooms[0].name);
      expect(
        view(a)
          .rooms.map((r) => r.name)
          .slice(1)
      ).toEqual(['Room 2', 'Room 3']);
    });

    it(`R42: the same person moved to different rooms ends in one room on both (${order})`, () => {
      let ids: RoomId[] = [];
      const [a, b] = twoReplicas((doc) => {
        ids = setupThree(doc);
        ok(assignParticipants(doc, { userIds: [carol], roomId: ids[0], participants, now: 1 }));
      });
      ok(assignParticipants(a, { userIds: [carol], roomId: ids[1], participants, now: 2 }));
      ok(assignParticipants(b, { userIds: [carol], roomId: ids[2], participants, now: 3 }));
      merge(a, b);
      converged(a, b);
      valid(a);
      expect([ids[1], ids[2]]).toContain(view(a).roomOf.get(carol));
      expect(view(a).rooms.filter((r) => r.members.includes(carol))).toHaveLength(1);
    });

    it(`R43: a room removed on one replica while the other assigns to it: the person reads unassigned on both (${order})`, () => {
      let ids: RoomId[] = [];
      const [a, b] = twoReplicas((doc) => (ids = setupThree(doc)));
      ok(removeRoom(a, { roomId: ids[1] }));
      ok(assignParticipants(b, { userIds: [dave], roomId: ids[1], participants, now: 5 }));
      ok(renameRoom(b, { roomId: ids[1], name: 'Renamed while removed' }));
      merge(a, b);
      converged(a, b);
      valid(a);
      expect(view(a).rooms.map((r) => r.id)).toEqual([ids[0], ids[2]]);
      expect(view(a).unassigned).toContain(dave);
      expect(view(b).roomOf.has(dave)).toBe(false);
    });

    it(`R44: seats over a cap after a merge: the earliest assignments keep them, identically on both (${order})`, () => {
      let ids: RoomId[] = [];
      const [a, b] = twoReplicas((doc) => {
        ids = ok(createRooms(doc, { count: 2, mode: 'choose' }));
        ok(setSeatCap(doc, { roomId: ids[0], seatCap: 2 }));
      });
      ok(assignParticipants(a, { userIds: [erin], roomId: ids[0], participants, now: 30 }));
      ok(assignParticipants(a, { userIds: [dave], roomId: ids[0], participants, now: 10 }));
      ok(assignParticipants(b, { userIds: [carol], roomId: ids[0], participants, now: 10 }));
      merge(a, b);
      converged(a, b);
      valid(a);
      // carol and dave share the earliest time; the user id breaks the tie; erin came last.
      expect(view(a).rooms[0].members).toEqual([carol, dave]);
      expect(view(a).unassigned).toEqual([erin]);
    });

    it(`R45: rooms added on both replicas list in the same order on both (${order})`, () => {
      const [a, b] = twoReplicas((doc) => setupThree(doc));
      ok(addRoom(a, { name: 'From A' }));
      ok(addRoom(b, { name: 'From B' }));
      merge(a, b);
      converged(a, b);
      expect(roomNames(a).slice(0, 3)).toEqual(['Room 1', 'Room 2', 'Room 3']);
      expect([...roomNames(a).slice(3)].sort()).toEqual(['From A', 'From B']);
    });
  }

  it('R41–R44: all of it at once, and a seat cap set while the other replica renames, keep both field changes', () => {
    let ids: RoomId[] = [];
    const [a, b] = twoReplicas((doc) => {
      ids = setupThree(doc);
      ok(assignParticipants(doc, { userIds: [carol, dave], roomId: ids[0], participants, now: 1 }));
    });
    ok(renameRoom(a, { roomId: ids[0], name: 'A' }));
    ok(setSeatCap(b, { roomId: ids[0], seatCap: 9 }));
    ok(renameRoom(b, { roomId: ids[2], name: 'B' }));
    ok(removeRoom(a, { roomId: ids[2] }));
    ok(assignParticipants(b, { userIds: [erin], roomId: ids[2], participants, now: 2 }));
    ok(assignParticipants(a, { userIds: [carol], roomId: ids[1], participants, now: 3 }));
    ok(assignParticipants(b, { userIds: [carol], roomId: null, participants, now: 3 }));
    sync(a, b);
    converged(a, b);
    valid(a);
    expect(view(a).rooms.map((r) => [r.name, r.seatCap])).toEqual([
      ['A', 9],
      ['Room 2', null]
    ]);
    expect(view(a).roomOf.has(erin)).toBe(false);
  });
});

describe('session commands (SPEC R70–R81)', () => {
  const T0 = 1_700_000_000_000;
  const withRooms = () => {
    const doc = new Y.Doc();
    const rooms = createRooms(doc, { count: 2, mode: 'manual' });
    if (!rooms.ok) throw new Error(rooms.error);
    return { doc, rooms: rooms.value };
  };
  const start = (doc: Y.Doc, extra: Partial<Parameters<typeof startSession>[1]> = {}) =>
    startSession(doc, {
      timerMinutes: null,
      moveAutomatically: true,
      allowReturn: false,
      now: T0,
      actor: 'alice',
      ...extra
    });

  it('R71: startSession stores moments and a new run; R72: the phase comes from them and the clock', () => {
    const { doc } = withRooms();
    const started = start(doc, { timerMinutes: 30, closingSeconds: 10, allowReturn: true });
    expect(started.ok).toBe(true);
    const session = readSession(doc)!;
    expect(session).toMatchObject({
      startedAt: T0,
      endsAt: T0 + 30 * 60_000,
      closingAt: null,
      closingSeconds: 10,
      moveAutomatically: true,
      allowReturn: true
    });
    expect(getSessionPhase({ session, now: T0 + 1000 })).toMatchObject({ kind: 'running' });
    expect(getSessionPhase({ session, now: T0 + 30 * 60_000 + 5000 })).toMatchObject({ kind: 'closing' });
    expect(getSessionPhase({ session, now: T0 + 30 * 60_000 + 10_000 })).toEqual({ kind: 'idle' });
  });

  it('R70 R71: startSession refuses out-of-range timers, bad countdowns, no rooms and a running session; nothing changes', () => {
    const empty = new Y.Doc();
    expect(start(empty).ok).toBe(false);
    expect(readSession(empty)).toBeNull();
    const { doc } = withRooms();
    for (const timerMinutes of [0, 241, 1.5, -1]) expect(start(doc, { timerMinutes }).ok).toBe(false);
    expect(start(doc, { closingSeconds: 45 as never }).ok).toBe(false);
    expect(readSession(doc)).toBeNull();
    expect(start(doc).ok).toBe(true);
    const before = Y.encodeStateVector(doc);
    const again = start(doc, { now: T0 + 5 });
    expect(again).toEqual({ ok: false, error: expect.stringMatching(/already running/) });
    expect(Y.encodeStateVector(doc)).toEqual(before);
  });

  it('R73: a session can start again after it ended, with a new runId; rooms and assignments stay', () => {
    const { doc, rooms } = withRooms();
    assignParticipants(doc, { userIds: [carol], roomId: rooms[0], participants, now: 1 });
    const first = start(doc);
    expect(endSession(doc, { closingSeconds: 0, now: T0 + 1000 }).ok).toBe(true);
    expect(getSessionPhase({ session: readSession(doc), now: T0 + 1000 })).toEqual({ kind: 'idle' });
    expect(readBreakoutState(doc).assignments.get(carol)?.roomId).toBe(rooms[0]);
    const second = start(doc, { now: T0 + 2000 });
    expect(second.ok && first.ok && second.value.runId !== first.value.runId).toBe(true);
  });

  it('R72: endSession starts the closing countdown; refused when idle or already closing', () => {
    const { doc } = withRooms();
    expect(endSession(doc, { closingSeconds: 60, now: T0 }).ok).toBe(false);
    start(doc);
    expect(endSession(doc, { closingSeconds: 7 as never, now: T0 }).ok).toBe(false);
    expect(endSession(doc, { closingSeconds: 15, now: T0 + 100 }).ok).toBe(true);
    expect(getSessionPhase({ session: readSession(doc), now: T0 + 5000 })).toMatchObject({
      kind: 'closing',
      remainingMs: 10_100
    });
    expect(endSession(doc, { closingSeconds: 0, now: T0 + 200 }).ok).toBe(false);
  });

  it('R71: extendTimer moves the end later while running, sets one when there was none, stays within 240 minutes', () => {
    const { doc } = withRooms();
    expect(extendTimer(doc, { minutes: 5, now: T0 }).ok).toBe(false);
    start(doc);
    expect(extendTimer(doc, { minutes: 5, now: T0 + 60_000 }).ok).toBe(true);
    expect(readSession(doc)!.endsAt).toBe(T0 + 6 * 60_000);
    expect(extendTimer(doc, { minutes: 10, now: T0 + 120_000 }).ok).toBe(true);
    expect(readSession(doc)!.endsAt).toBe(T0 + 16 * 60_000);
    expect(extendTimer(doc, { minutes: 0, now: T0 }).ok).toBe(false);
    expect(extendTimer(doc, { minutes: 230, now: T0 }).ok).toBe(false);
    expect(readSession(doc)!.endsAt).toBe(T0 + 16 * 60_000);
    // After the timer ran out the session is closing: no extension.
    expect(extendTimer(doc, { minutes: 5, now: T0 + 16 * 60_000 + 1 }).ok).toBe(false);
  });

  it('R80: help requests of the current run, oldest first; dismissed one by one or by room', () => {
    const { doc, rooms } = withRooms();
    start(doc);
    const runId = readSession(doc)!.runId;
    writeHelpRequest(doc, { userId: dave, roomId: rooms[1], runId, now: T0 + 20 });
    writeHelpRequest(doc, { userId: carol, roomId: rooms[0], runId, now: T0 + 10 });
    writeHelpRequest(doc, { userId: erin, roomId: rooms[0], runId, now: T0 + 30 });
    writeHelpRequest(doc, { userId: carol, roomId: rooms[0], runId, now: T0 + 99 });
    expect(readHelpRequests(doc)).toEqual([
      { userId: carol, roomId: rooms[0], since: T0 + 10 },
      { userId: dave, roomId: rooms[1], since: T0 + 20 },
      { userId: erin, roomId: rooms[0], since: T0 + 30 }
    ]);
    dismissHelpRequest(doc, { userId: dave, actor: 'alice' });
    expect(clearHelpRequestsForRoom(doc, { roomId: rooms[0] })).toEqual({ ok: true, value: 2 });
    expect(readHelpRequests(doc)).toEqual([]);
  });

  it('R75 R80: marks and requests of an earlier run do not count in the next', () => {
    const { doc, rooms } = withRooms();
    start(doc);
    const runId = readSession(doc)!.runId;
    writeHelpRequest(doc, { userId: dave, roomId: rooms[1], runId, now: T0 });
    writeReturned(doc, { userId: carol, runId });
    expect(readReturned(doc)).toEqual(new Set([carol]));
    endSession(doc, { closingSeconds: 0, now: T0 + 1 });
    start(doc, { now: T0 + 2 });
    expect(readHelpRequests(doc)).toEqual([]);
    expect(readReturned(doc)).toEqual(new Set());
  });

  it('R75: going back to the main room withdraws one’s help request; rejoining clears the mark', () => {
    const { doc, rooms } = withRooms();
    start(doc);
    const runId = readSession(doc)!.runId;
    writeHelpRequest(doc, { userId: carol, roomId: rooms[0], runId, now: T0 });
    writeReturned(doc, { userId: carol, runId });
    expect(readHelpRequests(doc)).toEqual([]);
    writeReturned(doc, { userId: carol, runId: null });
    expect(readReturned(doc).size).toBe(0);
  });

  it('observeControl reports session, help and returned changes with their command', () => {
    const { doc, rooms } = withRooms();
    const seen: string[] = [];
    const stop = observeControl(doc, (origin) => {
      if (origin instanceof SetupCommand) seen.push(origin.name);
    });
    start(doc);
    writeHelpRequest(doc, { userId: carol, roomId: rooms[0], runId: readSession(doc)!.runId, now: T0 });
    writeReturned(doc, { userId: dave, runId: readSession(doc)!.runId });
    endSession(doc, { closingSeconds: 10, now: T0 + 5 });
    stop();
    expect(seen).toEqual(['startSession', 'requestHelp', 'returnToMain', 'endSession']);
  });

  it('observeControl reports only the watched part: setup readers skip session changes and back', () => {
    const { doc, rooms } = withRooms();
    const setup: string[] = [];
    const session: string[] = [];
    const stopSetup = observeControl(doc, (o) => setup.push((o as SetupCommand).name), ['setup']);
    const stopSession = observeControl(doc, (o) => session.push((o as SetupCommand).name), ['session']);
    start(doc);
    renameRoom(doc, { roomId: rooms[0], name: 'Garden' });
    endSession(doc, { closingSeconds: 10, now: T0 + 5 });
    // clearSetup touches both parts: both readers hear of it, once each.
    clearSetup(doc);
    stopSetup();
    stopSession();
    expect(setup).toEqual(['renameRoom', 'clearSetup']);
    expect(session).toEqual(['startSession', 'endSession', 'clearSetup']);
  });

  it('R50: clearSetup also removes the session, help requests and marks', () => {
    const { doc, rooms } = withRooms();
    start(doc);
    writeHelpRequest(doc, { userId: carol, roomId: rooms[0], runId: readSession(doc)!.runId, now: T0 });
    clearSetup(doc);
    expect(readSession(doc)).toBeNull();
    expect(readHelpRequests(doc)).toEqual([]);
  });

  it('R75, R80: a move undoes "Back to main room" and drops a help request naming the old room', () => {
    const { doc, rooms } = withRooms();
    const [first, second] = rooms;
    ok(assignParticipants(doc, { userIds: [carol, dave], roomId: first, participants, now: T0 }));
    ok(start(doc, { allowReturn: true }));
    const { runId } = readSession(doc)!;
    writeReturned(doc, { userId: carol, runId });
    writeHelpRequest(doc, { userId: dave, roomId: first, runId, now: T0 + 1 });
    expect(readReturned(doc).has(carol)).toBe(true);
    expect(readHelpRequests(doc).map((r) => r.userId)).toEqual([dave]);

    ok(assignParticipants(doc, { userIds: [carol, dave], roomId: second, participants, now: T0 + 2 }));
    expect(readReturned(doc).has(carol)).toBe(false);
    expect(readHelpRequests(doc)).toEqual([]);
  });

  it('R76, R80: removing a room drops the help requests of its people', () => {
    const { doc, rooms } = withRooms();
    ok(assignParticipants(doc, { userIds: [dave], roomId: rooms[0], participants, now: T0 }));
    ok(start(doc));
    writeHelpRequest(doc, { userId: dave, roomId: rooms[0], runId: readSession(doc)!.runId, now: T0 + 1 });
    ok(removeRoom(doc, { roomId: rooms[0] }));
    expect(readHelpRequests(doc)).toEqual([]);
  });
});
