import * as Y from 'yjs';
import {
  checkRoomCount,
  checkRoomName,
  checkSeatCap,
  defaultRoomName,
  distributeParticipants,
  isAssignmentMode,
  MAX_ROOMS,
  type Assignment,
  type AssignmentMode,
  type BreakoutState,
  type Member,
  type Room
} from '../domain/breakout';
import { asRoomId, asUserId, type RoomId, type UserId } from '../domain/ids';
import type { Checked } from '../domain/validation';

/**
 * The breakout control document (SPEC R40–R50): the only code that knows its Yjs shape.
 *
 * - `rooms`: roomId → Y.Map { name, order, seatCap }. Fields merge independently (a rename and a cap
 *   change by two moderators both survive); each field is one value, so a name is never interleaved.
 * - `assignments`: userId → { roomId, at } replaced whole, so a participant is in at most one room (R42).
 * - `settings`: { mode, seed }.
 *
 * Every mutation is a named command in one transaction whose origin is a `SetupCommand`, so an
 * UndoManager can track exactly one's own setup changes and a history can name them.
 */
export type SetupCommandName =
  | 'createRooms'
  | 'addRoom'
  | 'renameRoom'
  | 'removeRoom'
  | 'setMode'
  | 'setSeatCap'
  | 'assign'
  | 'autoAssign'
  | 'clearSetup';

export class SetupCommand {
  constructor(
    readonly name: SetupCommandName,
    /** Who issued it, when known (the server writes as `server`). */
    readonly actor: string | null = null
  ) {}
}

type RoomMap = Y.Map<unknown>;

const roomsMap = (doc: Y.Doc) => doc.getMap<RoomMap>('rooms');
const assignmentsMap = (doc: Y.Doc) => doc.getMap<Assignment>('assignments');
const settingsMap = (doc: Y.Doc) => doc.getMap<unknown>('settings');

const ROOM_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** 12 url-safe random characters: usable as a chat room key and in document names. */
export function newRoomId(): RoomId {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let id = '';
  for (const byte of bytes) id += ROOM_ID_ALPHABET[byte & 63];
  return asRoomId(id);
}

/** A fresh seed for "Reshuffle". */
export function newSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

function readRoom(id: string, map: RoomMap): Room | null {
  const name = map.get('name');
  const order = map.get('order');
  const seatCap = map.get('seatCap');
  if (typeof name !== 'string' || typeof order !== 'number') return null;
  return {
    id: asRoomId(id),
    name,
    order,
    seatCap: typeof seatCap === 'number' ? seatCap : null
  };
}

/** The stored setup, as the domain's `tidyBreakout` expects it. */
export function readBreakoutState(doc: Y.Doc): BreakoutState {
  const rooms: Room[] = [];
  for (const [id, map] of roomsMap(doc)) {
    const room = map instanceof Y.Map ? readRoom(id, map) : null;
    if (room) rooms.push(room);
  }
  const assignments = new Map<UserId, Assignment>();
  for (const [userId, value] of assignmentsMap(doc)) {
    if (value && typeof value.roomId === 'string' && typeof value.at === 'number') {
      assignments.set(asUserId(userId), { roomId: asRoomId(value.roomId), at: value.at });
    }
  }
  const mode = settingsMap(doc).get('mode');
  return { mode: isAssignmentMode(mode) ? mode : null, rooms, assignments };
}

export function readSeed(doc: Y.Doc): number | null {
  const seed = settingsMap(doc).get('seed');
  return typeof seed === 'number' ? seed : null;
}

/**
 * Calls `listener` once per transaction that changes the setup; returns the unsubscribe function.
 * One command can touch several maps (createRooms writes rooms and settings), so the transaction is
 * reported once, not once per map.
 */
export function observeControl(doc: Y.Doc, listener: (origin: unknown) => void): () => void {
  const maps = [roomsMap(doc), assignmentsMap(doc), settingsMap(doc)] as Y.AbstractType<unknown>[];
  const reported = new WeakSet<Y.Transaction>();
  const handler = (_events: unknown, transaction: Y.Transaction) => {
    if (reported.has(transaction)) return;
    reported.add(transaction);
    listener(transaction.origin);
  };
  for (const map of maps) map.observeDeep(handler);
  return () => {
    for (const map of maps) map.unobserveDeep(handler);
  };
}

function run<T>(doc: Y.Doc, origin: SetupCommand, change: () => T): T {
  let result!: T;
  doc.transact(() => {
    result = change();
  }, origin);
  return result;
}

function nextOrder(doc: Y.Doc): number {
  let max = 0;
  for (const map of roomsMap(doc).values()) {
    const order = map.get('order');
    if (typeof order === 'number' && order > max) max = order;
  }
  return max + 1;
}

function insertRoom(doc: Y.Doc, { id, name, order }: { id: RoomId; name: string; order: number }): void {
  const map = new Y.Map<unknown>();
  map.set('name', name);
  map.set('order', order);
  map.set('seatCap', null);
  roomsMap(doc).set(id, map);
}

const tooManyRooms = (): { ok: false; error: string } => ({
  ok: false,
  error: `A conversation can have at most ${MAX_ROOMS} breakout rooms.`
});

export interface CommandOptions {
  actor?: string | null;
}

/**
 * The first setup: `count` rooms named "Room 1" … (or the given names) and the mode. Rooms that already
 * exist are kept; new ones follow them.
 */
export function createRooms(
  doc: Y.Doc,
  {
    count,
    mode,
    names,
    actor = null
  }: { count: number; mode: AssignmentMode; names?: string[] } & CommandOptions
): Checked<RoomId[]> {
  const checkedCount = checkRoomCount(count);
  if (!checkedCount.ok) return checkedCount;
  if (!isAssignmentMode(mode)) return { ok: false, error: 'Choose how participants are assigned.' };
  if (roomsMap(doc).size + count > MAX_ROOMS) return tooManyRooms();
  // An empty or missing name means the default "Room N".
  const cleanNames: string[] = [];
  for (let i = 0; i < count; i++) {
    const given = names?.[i]?.trim();
    if (!given) {
      cleanNames.push('');
      continue;
    }
    const checked = checkRoomName(given);
    if (!checked.ok) return checked;
    cleanNames.push(checked.value);
  }
  const ids = run(doc, new SetupCommand('createRooms', actor), () => {
    const first = nextOrder(doc);
    const created: RoomId[] = [];
    for (let i = 0; i < count; i++) {
      const id = newRoomId();
      insertRoom(doc, { id, name: cleanNames[i] || defaultRoomName(first + i), order: first + i });
      created.push(id);
    }
    settingsMap(doc).set('mode', mode);
    return created;
  });
  return { ok: true, value: ids };
}

export function addRoom(
  doc: Y.Doc,
  { name, actor = null }: { name?: string } & CommandOptions
): Checked<RoomId> {
  if (roomsMap(doc).size >= MAX_ROOMS) return tooManyRooms();
  let clean: string | null = null;
  if (name !== undefined && name.trim() !== '') {
    const checked = checkRoomName(name);
    if (!checked.ok) return checked;
    clean = checked.value;
  }
  const id = run(doc, new SetupCommand('addRoom', actor), () => {
    const order = nextOrder(doc);
    const roomId = newRoomId();
    insertRoom(doc, { id: roomId, name: clean ?? defaultRoomName(order), order });
    return roomId;
  });
  return { ok: true, value: id };
}

function requireRoom(doc: Y.Doc, roomId: string): Checked<RoomMap> {
  const map = roomsMap(doc).get(roomId);
  if (!(map instanceof Y.Map)) {
    return { ok: false, error: 'This room no longer exists. Someone may have removed it.' };
  }
  return { ok: true, value: map };
}

export function renameRoom(
  doc: Y.Doc,
  { roomId, name, actor = null }: { roomId: RoomId; name: string } & CommandOptions
): Checked<string> {
  const checked = checkRoomName(name);
  if (!checked.ok) return checked;
  const room = requireRoom(doc, roomId);
  if (!room.ok) return room;
  if (room.value.get('name') !== checked.value) {
    run(doc, new SetupCommand('renameRoom', actor), () => room.value.set('name', checked.value));
  }
  return checked;
}

/** Removes a room; its people become unassigned (R43). */
export function removeRoom(
  doc: Y.Doc,
  { roomId, actor = null }: { roomId: RoomId } & CommandOptions
): Checked<null> {
  const room = requireRoom(doc, roomId);
  if (!room.ok) return room;
  run(doc, new SetupCommand('removeRoom', actor), () => {
    roomsMap(doc).delete(roomId);
    const assignments = assignmentsMap(doc);
    for (const [userId, assignment] of [...assignments]) {
      // Values come from any moderator's replica; a malformed one must not abort the removal.
      if ((assignment as Partial<Assignment> | null)?.roomId === roomId) assignments.delete(userId);
    }
  });
  return { ok: true, value: null };
}

export function setMode(
  doc: Y.Doc,
  { mode, actor = null }: { mode: AssignmentMode } & CommandOptions
): Checked<AssignmentMode> {
  if (!isAssignmentMode(mode)) return { ok: false, error: 'Choose how participants are assigned.' };
  if (settingsMap(doc).get('mode') !== mode) {
    run(doc, new SetupCommand('setMode', actor), () => settingsMap(doc).set('mode', mode));
  }
  return { ok: true, value: mode };
}

export function setSeatCap(
  doc: Y.Doc,
  { roomId, seatCap, actor = null }: { roomId: RoomId; seatCap: unknown } & CommandOptions
): Checked<number | null> {
  const checked = checkSeatCap(seatCap);
  if (!checked.ok) return checked;
  const room = requireRoom(doc, roomId);
  if (!room.ok) return room;
  if (room.value.get('seatCap') !== checked.value) {
    run(doc, new SetupCommand('setSeatCap', actor), () => room.value.set('seatCap', checked.value));
  }
  return checked;
}

/**
 * Moves participants into a room, or back to the main room with `roomId: null`. `participants` is the
 * set of current non-moderator members; anyone else is refused (R49).
 */
export function assignParticipants(
  doc: Y.Doc,
  {
    userIds,
    roomId,
    participants,
    now,
    actor = null
  }: {
    userIds: UserId[];
    roomId: RoomId | null;
    participants: ReadonlySet<UserId>;
    now: number;
  } & CommandOptions
): Checked<number> {
  if (userIds.length === 0) return { ok: false, error: 'Select at least one person to move.' };
  const unknown = userIds.find((id) => !participants.has(id));
  if (unknown !== undefined) {
    return { ok: false, error: 'Only participants of this conversation can be assigned to rooms.' };
  }
  if (roomId !== null) {
    const room = requireRoom(doc, roomId);
    if (!room.ok) return room;
  }
  run(doc, new SetupCommand('assign', actor), () => {
    const assignments = assignmentsMap(doc);
    for (const userId of userIds) {
      if (roomId === null) assignments.delete(userId);
      else if (assignments.get(userId)?.roomId !== roomId) assignments.set(userId, { roomId, at: now });
    }
  });
  return { ok: true, value: userIds.length };
}

/**
 * "Automatically assign" / "Reshuffle" (R46): replaces every participant's assignment with a balanced,
 * seeded spread and remembers the seed.
 */
export function autoAssign(
  doc: Y.Doc,
  { members, seed, now, actor = null }: { members: Member[]; seed: number; now: number } & CommandOptions
): Checked<number> {
  const { rooms } = readBreakoutState(doc);
  if (rooms.length === 0) return { ok: false, error: 'Add a room first.' };
  const spread = distributeParticipants({ members, rooms, seed });
  run(doc, new SetupCommand('autoAssign', actor), () => {
    const assignments = assignmentsMap(doc);
    for (const member of members) {
      if (!member.isModerator && !spread.has(member.userId)) assignments.delete(member.userId);
    }
    for (const [userId, roomId] of spread) {
      if (assignments.get(userId)?.roomId !== roomId) assignments.set(userId, { roomId, at: now });
    }
    const settings = settingsMap(doc);
    settings.set('seed', seed);
    settings.set('mode', 'automatic');
  });
  return { ok: true, value: spread.size };
}

/** Removes the whole setup (R50). The main conversation lives in other documents and is untouched. */
export function clearSetup(doc: Y.Doc, { actor = null }: CommandOptions = {}): void {
  run(doc, new SetupCommand('clearSetup', actor), () => {
    for (const map of [roomsMap(doc), assignmentsMap(doc), settingsMap(doc)] as Y.Map<unknown>[]) {
      for (const key of [...map.keys()]) map.delete(key);
    }
  });
}
