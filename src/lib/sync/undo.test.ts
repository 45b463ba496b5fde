import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { tidyBreakout, type Member } from '../domain/breakout';
import { asUserId, type RoomId, type UserId } from '../domain/ids';
import {
  addRoom,
  assignParticipants,
  autoAssign,
  clearSetup,
  createRooms,
  dismissHelpRequest,
  endSession,
  readBreakoutState,
  readHelpRequests,
  readSession,
  removeRoom,
  renameRoom,
  setMode,
  setSeatCap,
  startSession,
  writeHelpRequest
} from './control';
import { createSetupUndo, type SetupUndo } from './undo';

const alice = asUserId('alice_0001');
const bob = asUserId('bob_000001');
const carol = asUserId('carol_0001');
const dave = asUserId('dave_00001');
const members: Member[] = [
  { userId: alice, isModerator: true },
  { userId: bob, isModerator: true },
  { userId: carol, isModerator: false },
  { userId: dave, isModerator: false }
];
const participants: ReadonlySet<UserId> = new Set([carol, dave]);

/** Stands for the provider: the origin of every update that arrives from elsewhere. */
const PROVIDER = Symbol('provider');

/**
 * Two moderators' replicas, live: every local change is sent to the other replica at once, arriving with
 * the provider as its origin, as it does through the sync server.
 */
function twoModerators() {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== PROVIDER) Y.applyUpdate(b, update, PROVIDER);
  });
  b.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== PROVIDER) Y.applyUpdate(a, update, PROVIDER);
  });
  return { a, b };
}

const undos: SetupUndo[] = [];
function track(doc: Y.Doc): SetupUndo {
  const undo = createSetupUndo(doc);
  undos.push(undo);
  return undo;
}

afterEach(() => {
  for (const undo of undos.splice(0)) undo.destroy();
});

function ok<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(`expected success, got “${result.error}”`);
  return result.value;
}

const view = (doc: Y.Doc) => tidyBreakout({ state: readBreakoutState(doc), members });
const roomNames = (doc: Y.Doc) => view(doc).rooms.map((r) => r.name);
const roomOf = (doc: Y.Doc, userId: UserId) => view(doc).roomOf.get(userId) ?? null;

describe('setup undo (R96)', () => {
  it('R96: undo reverts only one’s own change, one command at a time; redo applies it again', () => {
    const { a, b } = twoModerators();
    const undoA = track(a);
    const undoB = track(b);
    const [room1, room2] = ok(createRooms(a, { count: 2, mode: 'manual', actor: alice }));
    ok(renameRoom(a, { roomId: room1, name: 'Ideas', actor: alice }));
    ok(assignParticipants(b, { userIds: [carol], roomId: room2, participants, now: 1, actor: bob }));
    ok(renameRoom(b, { roomId: room2, name: 'Risks', actor: bob }));
    // Nothing that arrived from the other replica is on anyone's stack.
    expect(undoB.canUndo).toBe(true);

    expect(undoA.undo()).toBe(true);
    for (const doc of [a, b]) {
      expect(roomNames(doc)).toEqual(['Room 1', 'Risks']);
      expect(roomOf(doc, carol)).toBe(room2);
    }
    expect(undoA.canRedo).toBe(true);

    expect(undoA.redo()).toBe(true);
    for (const doc of [a, b]) expect(roomNames(doc)).toEqual(['Ideas', 'Risks']);

    // Undoing bob's steps touches only his: the rename, then the move.
    expect(undoB.undo()).toBe(true);
    expect(roomNames(a)).toEqual(['Ideas', 'Room 2']);
    expect(roomOf(a, carol)).toBe(room2);
    expect(undoB.undo()).toBe(true);
    expect(roomOf(a, carol)).toBeNull();
    expect(undoB.canUndo).toBe(false);
    expect(undoB.undo()).toBe(false);
    expect(roomNames(a)).toEqual(['Ideas', 'Room 2']);
  });

  it('R96: changes that arrive from elsewhere are never on the stack', () => {
    const { a, b } = twoModerators();
    const undoB = track(b);
    const [room1] = ok(createRooms(a, { count: 2, mode: 'manual', actor: alice }));
    ok(renameRoom(a, { roomId: room1, name: 'Ideas', actor: alice }));
    expect(roomNames(b)).toEqual(['Ideas', 'Room 2']);
    expect(undoB.canUndo).toBe(false);
    expect(undoB.undo()).toBe(false);
    expect(roomNames(b)).toEqual(['Ideas', 'Room 2']);
  });

  it('R96: undoing a rename a co-moderator has since overwritten keeps their name, and reverts nothing older', () => {
    const { a, b } = twoModerators();
    const undoA = track(a);
    const [room1] = ok(createRooms(a, { count: 2, mode: 'manual', actor: alice }));
    ok(renameRoom(a, { roomId: room1, name: 'Alice’s name', actor: alice }));
    ok(renameRoom(b, { roomId: room1, name: 'Bob’s name', actor: bob }));

    expect(undoA.undo()).toBe(false);
    for (const doc of [a, b]) expect(roomNames(doc)).toEqual(['Bob’s name', 'Room 2']);
    // The step is used up; the next undo reverts the one before (creating the rooms).
    expect(undoA.canUndo).toBe(true);
    expect(undoA.undo()).toBe(true);
    for (const doc of [a, b]) expect(roomNames(doc)).toEqual([]);
  });

  it('R96: undoing removeRoom brings back the room and its assignments, on both replicas', () => {
    const { a, b } = twoModerators();
    const undoA = track(a);
    const [room1, room2] = ok(createRooms(a, { count: 2, mode: 'manual', actor: alice }));
    ok(renameRoom(b, { roomId: room1, name: 'Ideas', actor: bob }));
    ok(assignParticipants(b, { userIds: [carol, dave], roomId: room1, participants, now: 5, actor: bob }));
    ok(setSeatCap(a, { roomId: room1, seatCap: 4, actor: alice }));

    ok(removeRoom(a, { roomId: room1, actor: alice }));
    expect(roomOf(b, carol)).toBeNull();
    expect(view(b).rooms.map((r) => r.id)).toEqual([room2]);

    expect(undoA.undo()).toBe(true);
    for (const doc of [a, b]) {
      expect(roomNames(doc)).toEqual(['Ideas', 'Room 2']);
      expect(roomOf(doc, carol)).toBe(room1);
      expect(roomOf(doc, dave)).toBe(room1);
      expect(readBreakoutState(doc).rooms.find((r) => r.id === room1)?.seatCap).toBe(4);
    }
    // Redo removes it again, people included.
    expect(undoA.redo()).toBe(true);
    for (const doc of [a, b]) {
      expect(roomNames(doc)).toEqual(['Room 2']);
      expect(roomOf(doc, carol)).toBeNull();
    }
  });

  it('R96: mode changes, reshuffles and added rooms are one step each', () => {
    const { a } = twoModerators();
    const undoA = track(a);
    ok(createRooms(a, { count: 2, mode: 'manual', actor: alice }));
    ok(addRoom(a, { actor: alice }));
    ok(setMode(a, { mode: 'choose', actor: alice }));
    ok(autoAssign(a, { members, seed: 7, now: 9, actor: alice }));
    expect(view(a).mode).toBe('automatic');
    expect(roomOf(a, carol)).not.toBeNull();

    undoA.undo();
    expect(view(a).mode).toBe('choose');
    expect(roomOf(a, carol)).toBeNull();
    undoA.undo();
    expect(view(a).mode).toBe('manual');
    undoA.undo();
    expect(roomNames(a)).toEqual(['Room 1', 'Room 2']);
  });

  it('R96: session commands and help dismissals are not on the stack; clearing the setup is not undone', () => {
    const { a, b } = twoModerators();
    const undoA = track(a);
    const [room1] = ok(createRooms(a, { count: 1, mode: 'manual', actor: alice }));
    ok(assignParticipants(a, { userIds: [carol], roomId: room1, participants, now: 1, actor: alice }));
    let changes = 0;
    undoA.subscribe(() => changes++);

    const run = ok(
      startSession(a, { timerMinutes: 10, moveAutomatically: true, allowReturn: false, now: 10 })
    );
    writeHelpRequest(b, { userId: carol, roomId: room1, runId: run.runId, now: 11 });
    ok(dismissHelpRequest(a, { userId: carol, actor: alice }));
    ok(endSession(a, { closingSeconds: 0, now: 12 }));
    expect(changes).toBe(0);

    // The newest step is still the assignment: undo reverts it and leaves the session alone.
    expect(undoA.undo()).toBe(true);
    expect(roomOf(a, carol)).toBeNull();
    expect(readSession(a)?.closingAt).toBe(12);
    expect(readHelpRequests(a)).toEqual([]);
    expect(undoA.redo()).toBe(true);
    expect(roomOf(b, carol)).toBe(room1);

    // Deleting the setup (R50) is no step of its own.
    changes = 0;
    clearSetup(a, { actor: alice });
    expect(changes).toBe(0);
    expect(roomNames(b)).toEqual([]);
  });

  it('R50, R96: when the setup is deleted elsewhere, the steps that would bring its rooms back are forgotten', () => {
    const { a, b } = twoModerators();
    const undoA = track(a);
    const [room1] = ok(createRooms(a, { count: 2, mode: 'manual', actor: alice }));
    ok(removeRoom(a, { roomId: room1, actor: alice }));
    expect(undoA.canUndo).toBe(true);
    clearSetup(b, { actor: 'server' });
    expect(roomNames(a)).toEqual([]);
    expect(undoA.canUndo).toBe(false);
    expect(undoA.undo()).toBe(false);
    expect(roomNames(a)).toEqual([]);
  });

  it('R96: several commands run as one step are undone together', () => {
    const { a } = twoModerators();
    const undoA = track(a);
    undoA.asOneStep(() => {
      ok(createRooms(a, { count: 2, mode: 'automatic', actor: alice }));
      ok(autoAssign(a, { members, seed: 3, now: 1, actor: alice }));
    });
    ok(addRoom(a, { actor: alice }));
    expect(roomNames(a)).toHaveLength(3);
    undoA.undo();
    expect(roomNames(a)).toHaveLength(2);
    undoA.undo();
    expect(roomNames(a)).toEqual([]);
    expect(view(a).unassigned).toEqual([carol, dave]);
    expect(undoA.canUndo).toBe(false);
  });

  it('tells its listeners when undo or redo becomes possible or impossible', () => {
    const { a } = twoModerators();
    const undoA = track(a);
    const seen: Array<[boolean, boolean]> = [];
    undoA.subscribe(() => seen.push([undoA.canUndo, undoA.canRedo]));
    ok(addRoom(a, { actor: alice }));
    undoA.undo();
    undoA.redo();
    expect(seen[0]).toEqual([true, false]);
    expect(seen.at(-1)).toEqual([true, false]);
    expect(seen).toContainEqual([false, true]);
  });

  it('room ids stay unique after an undo and a redo', () => {
    const { a } = twoModerators();
    const undoA = track(a);
    const id = ok(addRoom(a, { actor: alice })) as RoomId;
    undoA.undo();
    undoA.redo();
    expect(view(a).rooms.map((r) => r.id)).toEqual([id]);
  });
});
