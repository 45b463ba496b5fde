import type { RoomId, UserId } from './ids';
import { countChars, type Checked } from './validation';

/**
 * Breakout setup rules (SPEC R40–R49). Pure: the sync layer reads the control document into a
 * `BreakoutState`, and `tidyBreakout` turns it into what every replica shows. Anything a merge can leave
 * inconsistent (an assignment to a removed room, seats over a cap, a moderator with an assignment) is
 * resolved here, deterministically, so all replicas show the same thing without writing anything.
 */
export const ASSIGNMENT_MODES = ['automatic', 'manual', 'choose'] as const;
export type AssignmentMode = (typeof ASSIGNMENT_MODES)[number];

export const MODE_LABELS: Record<AssignmentMode, string> = {
  automatic: 'Automatically assign',
  manual: 'Manually assign',
  choose: 'Allow participants to choose'
};

export const MIN_ROOMS = 1;
export const MAX_ROOMS = 100;
export const DEFAULT_ROOM_COUNT = 2;
export const MAX_ROOM_NAME_CHARS = 64;
export const MAX_SEAT_CAP = 1000;

export interface Room {
  id: RoomId;
  name: string;
  /** Position in the room list; equal orders (concurrent adds) are ordered by id. */
  order: number;
  /** Seats in "Allow participants to choose" mode; `null` = no cap. */
  seatCap: number | null;
}

export interface Assignment {
  roomId: RoomId;
  /** When it was made (ms); orders the people of a room and decides who keeps a capped seat (R44). */
  at: number;
}

/** The control document's setup as stored, possibly inconsistent after a merge. */
export interface BreakoutState {
  mode: AssignmentMode | null;
  rooms: Room[];
  assignments: ReadonlyMap<UserId, Assignment>;
}

export interface Member {
  userId: UserId;
  isModerator: boolean;
}

export interface RoomView extends Room {
  /** Participants in this room, in assignment order (time, then id). */
  members: UserId[];
  /** The same names appear on more than one room (allowed, but the UI warns: R41). */
  hasDuplicateName: boolean;
}

export interface BreakoutView {
  mode: AssignmentMode | null;
  rooms: RoomView[];
  /** Participants in no room: they stay in the main room (R43). */
  unassigned: UserId[];
  roomOf: ReadonlyMap<UserId, RoomId>;
}

export function isAssignmentMode(value: unknown): value is AssignmentMode {
  return typeof value === 'string' && (ASSIGNMENT_MODES as readonly string[]).includes(value);
}

export function defaultRoomName(position: number): string {
  return `Room ${position}`;
}

export function compareRooms(a: Room, b: Room): number {
  return a.order - b.order || compareIds(a.id, b.id);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What every replica shows (R42–R45): rooms in order; each participant in at most one room; an
 * assignment to a missing room, of a moderator or of a non-member reads as unassigned; a room over its
 * cap (in "choose" mode) keeps the earliest assignments (time, then user id); the rest read as unassigned.
 */
export function tidyBreakout({ state, members }: { state: BreakoutState; members: Member[] }): BreakoutView {
  const rooms = [...state.rooms].sort(compareRooms);
  const byId = new Map(rooms.map((room) => [room.id, [] as Array<[UserId, number]>]));
  const unassigned: UserId[] = [];
  const participants = members.filter((m) => !m.isModerator).map((m) => m.userId);
  participants.sort(compareIds);
  for (const userId of participants) {
    const assignment = state.assignments.get(userId);
    const list = assignment ? byId.get(assignment.roomId) : undefined;
    if (list) list.push([userId, assignment!.at]);
    else unassigned.push(userId);
  }
  const nameCounts = new Map<string, number>();
  for (const room of rooms) nameCounts.set(room.name, (nameCounts.get(room.name) ?? 0) + 1);
  const roomOf = new Map<UserId, RoomId>();
  const views = rooms.map((room): RoomView => {
    const entries = byId.get(room.id)!;
    entries.sort((a, b) => a[1] - b[1] || compareIds(a[0], b[0]));
    // Caps only bind when participants choose; a moderator assigning by hand may overfill a room.
    const cap = state.mode === 'choose' ? room.seatCap : null;
    const kept = cap === null ? entries : entries.slice(0, cap);
    for (const [userId] of entries.slice(kept.length)) unassigned.push(userId);
    for (const [userId] of kept) roomOf.set(userId, room.id);
    return {
      ...room,
      members: kept.map(([userId]) => userId),
      hasDuplicateName: (nameCounts.get(room.name) ?? 0) > 1
    };
  });
  unassigned.sort(compareIds);
  return { mode: state.mode, rooms: views, unassigned, roomOf };
}

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same shuffle on every replica. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Automatic assignment (R46): participants shuffled by `seed` and dealt round-robin over the rooms in
 * order, so room sizes differ by at most one. Moderators are never assigned. Deterministic: the same
 * participants, rooms and seed give the same result, whatever order they are passed in.
 */
export function distributeParticipants({
  members,
  rooms,
  seed
}: {
  members: Member[];
  rooms: Room[];
  seed: number;
}): Map<UserId, RoomId> {
  const result = new Map<UserId, RoomId>();
  if (rooms.length === 0) return result;
  const ordered = [...rooms].sort(compareRooms);
  const people = members.filter((m) => !m.isModerator).map((m) => m.userId);
  people.sort(compareIds);
  const random = createRandom(seed);
  for (let i = people.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = people[i];
    people[i] = people[j];
    people[j] = swap;
  }
  for (let i = 0; i < people.length; i++) result.set(people[i], ordered[i % ordered.length].id);
  return result;
}

/**
 * Where a participant who joins later goes in automatic mode (R47): the room with the fewest people,
 * the first in order on a tie. `null` when there is no room.
 */
export function pickRoomForLateJoiner(view: BreakoutView): RoomId | null {
  let best: RoomView | null = null;
  for (const room of view.rooms) {
    if (best === null || room.members.length < best.members.length) best = room;
  }
  return best?.id ?? null;
}

export function checkRoomCount(value: unknown): Checked<number> {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_ROOMS || value > MAX_ROOMS) {
    return { ok: false, error: `Choose between ${MIN_ROOMS} and ${MAX_ROOMS} rooms.` };
  }
  return { ok: true, value };
}

export function checkRoomName(value: unknown): Checked<string> {
  if (typeof value !== 'string') return { ok: false, error: 'Give the room a name.' };
  const v = value.trim();
  if (v.length === 0) return { ok: false, error: 'Room names cannot be empty.' };
  if (countChars(v) > MAX_ROOM_NAME_CHARS) {
    return { ok: false, error: `Room names can have at most ${MAX_ROOM_NAME_CHARS} characters.` };
  }
  return { ok: true, value: v };
}

/** Seat cap input: empty means no cap (R48). */
export function checkSeatCap(value: unknown): Checked<number | null> {
  if (value === null || value === undefined || value === '') return { ok: true, value: null };
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_SEAT_CAP) {
    return {
      ok: false,
      error: `A seat cap is a whole number from 1 to ${MAX_SEAT_CAP}, or empty for no cap.`
    };
  }
  return { ok: true, value: n };
}
