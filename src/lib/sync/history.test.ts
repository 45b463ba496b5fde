import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { HistoryEntry } from '../domain/history';
import { asUserId, type UserId } from '../domain/ids';
import {
  addRoom,
  assignParticipants,
  autoAssign,
  clearSetup,
  createRooms,
  dismissHelpRequest,
  endSession,
  extendTimer,
  removeRoom,
  renameRoom,
  setMode,
  setSeatCap,
  startSession,
  writeHelpRequest
} from './control';
import {
  appendHistoryEntries,
  observeHistory,
  readHistoryEntries,
  watchControlChanges,
  type CapturedChanges
} from './history';

function ok<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

const carol = asUserId('carol');
const dave = asUserId('dave');
const participants = new Set<UserId>([carol, dave]);

/** A control document with two rooms; `captured` collects what each later transaction reported. */
function setUp() {
  const doc = new Y.Doc();
  const rooms = ok(createRooms(doc, { count: 2, mode: 'manual' }));
  const captured: Array<CapturedChanges & { origin: unknown }> = [];
  const errors: unknown[] = [];
  const stop = watchControlChanges(
    doc,
    (changes, transaction) => captured.push({ ...changes, origin: transaction.origin }),
    (error) => errors.push(error)
  );
  return { doc, rooms, captured, errors, stop };
}

describe('watchControlChanges', () => {
  it('R97: a rename and a seat cap, with the old and new values', () => {
    const { doc, rooms, captured } = setUp();
    ok(renameRoom(doc, { roomId: rooms[0], name: 'Garden' }));
    ok(setSeatCap(doc, { roomId: rooms[1], seatCap: 4 }));
    expect(captured.map((c) => c.changes)).toEqual([
      [{ kind: 'roomRenamed', roomId: rooms[0], from: 'Room 1', to: 'Garden' }],
      [{ kind: 'seatCap', roomId: rooms[1], from: null, to: 4 }]
    ]);
    expect(captured[0].roomNames).toEqual({ [rooms[0]]: 'Garden' });
  });

  it('R97: people assigned and moved, with the names of both rooms', () => {
    const { doc, rooms, captured } = setUp();
    ok(assignParticipants(doc, { userIds: [carol], roomId: rooms[0], participants, now: 1 }));
    ok(assignParticipants(doc, { userIds: [carol], roomId: rooms[1], participants, now: 2 }));
    ok(assignParticipants(doc, { userIds: [carol], roomId: null, participants, now: 3 }));
    expect(captured.map((c) => c.changes)).toEqual([
      [{ kind: 'assignment', userId: carol, from: null, to: rooms[0] }],
      [{ kind: 'assignment', userId: carol, from: rooms[0], to: rooms[1] }],
      [{ kind: 'assignment', userId: carol, from: rooms[1], to: null }]
    ]);
    expect(captured[1].roomNames).toEqual({ [rooms[0]]: 'Room 1', [rooms[1]]: 'Room 2' });
  });

  it('R97: a removed room keeps its last name, also for later mentions', () => {
    const { doc, rooms, captured } = setUp();
    ok(assignParticipants(doc, { userIds: [carol], roomId: rooms[1], participants, now: 1 }));
    ok(renameRoom(doc, { roomId: rooms[1], name: 'Patio' }));
    ok(removeRoom(doc, { roomId: rooms[1] }));
    const removal = captured[2];
    expect(removal.changes).toEqual([
      { kind: 'roomRemoved', roomId: rooms[1] },
      { kind: 'assignment', userId: carol, from: rooms[1], to: null }
    ]);
    expect(removal.roomNames).toEqual({ [rooms[1]]: 'Patio' });
    // A replica that still had carol in the removed room moves her on: the old room is still named.
    doc.transact(() => doc.getMap('assignments').set(carol, { roomId: rooms[0], at: 9 }));
    expect(captured[3].roomNames).toEqual({ [rooms[0]]: 'Room 1' });
    expect(captured[3].changes).toEqual([{ kind: 'assignment', userId: carol, from: null, to: rooms[0] }]);
  });

  it('R97: an added room, the mode, an automatic spread (with its seed)', () => {
    const { doc, captured } = setUp();
    const added = ok(addRoom(doc, { name: 'Garden' }));
    ok(setMode(doc, { mode: 'choose' }));
    ok(
      autoAssign(doc, {
        members: [
          { userId: carol, isModerator: false },
          { userId: dave, isModerator: false }
        ],
        seed: 7,
        now: 5
      })
    );
    expect(captured[0].changes).toEqual([{ kind: 'roomAdded', roomId: added, name: 'Garden' }]);
    expect(captured[1].changes).toEqual([{ kind: 'mode', from: 'manual', to: 'choose' }]);
    const kinds = captured[2].changes.map((c) => c.kind).sort();
    expect(kinds).toEqual(['assignment', 'assignment', 'mode', 'seed']);
  });

  it('R97: sessions: started (timer minutes), extended, ended (countdown); a stale end is not reported', () => {
    const { doc, captured } = setUp();
    ok(startSession(doc, { timerMinutes: 30, moveAutomatically: true, allowReturn: false, now: 0 }));
    ok(extendTimer(doc, { minutes: 5, now: 1_000 }));
    ok(endSession(doc, { closingSeconds: 10, now: 2_000 }));
    expect(captured.map((c) => c.changes)).toEqual([
      [{ kind: 'sessionStarted', timerMinutes: 30 }],
      [{ kind: 'timerExtended' }],
      [{ kind: 'sessionEnded', closingSeconds: 10 }]
    ]);
    // An end made offline for an earlier run changes nothing anyone sees (R71).
    doc.transact(() =>
      doc.getMap('session').set('end', { runId: 'earlier', closingAt: 5, closingSeconds: 60 })
    );
    expect(captured).toHaveLength(3);
  });

  it('R97: help requests and returns are not setup: nothing is reported', () => {
    const { doc, rooms, captured } = setUp();
    ok(startSession(doc, { timerMinutes: null, moveAutomatically: true, allowReturn: true, now: 0 }));
    captured.length = 0;
    writeHelpRequest(doc, { userId: carol, roomId: rooms[0], runId: 'run', now: 1 });
    ok(dismissHelpRequest(doc, { userId: carol }));
    expect(captured).toEqual([]);
  });

  it('R97: a transaction that changes nothing visible reports nothing', () => {
    const { doc, rooms, captured } = setUp();
    ok(assignParticipants(doc, { userIds: [carol], roomId: rooms[0], participants, now: 1 }));
    captured.length = 0;
    doc.transact(() => doc.getMap('assignments').set(carol, { roomId: rooms[0], at: 2 }));
    doc.transact(() => doc.getMap('settings').set('seed', 3));
    doc.transact(() => doc.getMap('rooms').get(rooms[0]) as Y.Map<unknown>);
    expect(captured.every((c) => c.changes.every((change) => change.kind === 'seed'))).toBe(true);
    expect(captured.flatMap((c) => c.changes).filter((c) => c.kind !== 'seed')).toEqual([]);
  });

  it('R97, R50: deleting the setup reports the rooms going and the mode unset', () => {
    const { doc, rooms, captured } = setUp();
    clearSetup(doc);
    const changes = captured[0].changes;
    expect(changes).toContainEqual({ kind: 'roomRemoved', roomId: rooms[0] });
    expect(changes).toContainEqual({ kind: 'mode', from: 'manual', to: null });
    expect(captured[0].roomNames).toEqual({ [rooms[0]]: 'Room 1', [rooms[1]]: 'Room 2' });
  });

  it('R97: a remote update is reported once per transaction, with its origin; concurrent losers are not', () => {
    const { doc, rooms, captured } = setUp();
    const a = new Y.Doc();
    const b = new Y.Doc();
    Y.applyUpdate(a, Y.encodeStateAsUpdate(doc));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(doc));
    ok(renameRoom(a, { roomId: rooms[0], name: 'From A' }));
    ok(addRoom(a, { name: 'New' }));
    ok(renameRoom(b, { roomId: rooms[0], name: 'From B' }));
    const merged = Y.mergeUpdates([Y.encodeStateAsUpdate(a), Y.encodeStateAsUpdate(b)]);
    Y.applyUpdate(doc, merged, 'peer');
    expect(captured).toHaveLength(1);
    expect(captured[0].origin).toBe('peer');
    const renames = captured[0].changes.filter((c) => c.kind === 'roomRenamed');
    // Two concurrent names, one winner: one rename from the old name to whichever won.
    expect(renames).toHaveLength(1);
    const winner = doc.getMap<Y.Map<unknown>>('rooms').get(rooms[0])!.get('name');
    expect(renames[0]).toEqual({ kind: 'roomRenamed', roomId: rooms[0], from: 'Room 1', to: winner });
    // The loser arriving later changes nothing visible.
    captured.length = 0;
    const loser = winner === 'From A' ? b : a;
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(loser), 'peer');
    expect(captured).toEqual([]);
  });

  it('R97: a failure inside is reported and never reaches whoever applied the transaction', () => {
    const doc = new Y.Doc();
    const rooms = ok(createRooms(doc, { count: 1, mode: 'manual' }));
    const errors: unknown[] = [];
    watchControlChanges(
      doc,
      () => {
        throw new Error('boom');
      },
      (error) => errors.push(error)
    );
    expect(() => ok(renameRoom(doc, { roomId: rooms[0], name: 'X' }))).not.toThrow();
    expect(errors).toHaveLength(1);
  });

  it('R97: stops when asked', () => {
    const { doc, rooms, captured, stop } = setUp();
    stop();
    ok(renameRoom(doc, { roomId: rooms[0], name: 'Garden' }));
    expect(captured).toEqual([]);
  });
});

describe('the history document', () => {
  const entry = (n: number): HistoryEntry => ({
    id: `e${n}`,
    at: n,
    actorId: 'bob',
    actorName: 'Bob',
    merged: n % 2 === 0,
    kind: 'roomRenamed',
    text: `change ${n}`
  });

  it('R97: entries are appended in order and only the last `max` are kept', () => {
    const doc = new Y.Doc();
    let changes = 0;
    observeHistory(doc, () => changes++);
    appendHistoryEntries(doc, [entry(1), entry(2), entry(3)], 4);
    appendHistoryEntries(doc, [entry(4), entry(5)], 4);
    appendHistoryEntries(doc, [], 4);
    expect(readHistoryEntries(doc).map((e) => e.id)).toEqual(['e2', 'e3', 'e4', 'e5']);
    expect(readHistoryEntries(doc)[0]).toEqual(entry(2));
    expect(changes).toBe(2);
  });

  it('R97: a replica reads the same entries; malformed ones are skipped', () => {
    const server = new Y.Doc();
    appendHistoryEntries(server, [entry(1)], 10);
    server.getArray('entries').push([{ id: 5 }, 'nonsense', null]);
    const replica = new Y.Doc();
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(server));
    expect(readHistoryEntries(replica)).toEqual([entry(1)]);
  });
});
