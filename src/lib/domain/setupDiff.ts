import {
  compareRooms,
  MODE_LABELS,
  tidyBreakout,
  type AssignmentMode,
  type BreakoutState,
  type Member,
  type Room
} from './breakout';
import type { RoomId, UserId } from './ids';

/**
 * The differences between two breakout setups, in words (SPEC R94): what a refused copy ("here") would
 * have made of the setup, against what the server has. Pure: the sync layer reads both setups, the page
 * shows the sentences.
 */
export type SetupChangeKind = 'mode' | 'roomAdded' | 'roomRemoved' | 'roomRenamed' | 'seatCap' | 'person';

export interface SetupChange {
  kind: SetupChangeKind;
  text: string;
}

const quote = (name: string) => `“${name}”`;

function modeLabel(mode: AssignmentMode | null): string {
  return mode === null ? 'no breakout rooms' : quote(MODE_LABELS[mode]);
}

function capLabel(cap: number | null): string {
  if (cap === null) return 'no seat cap';
  return cap === 1 ? '1 seat' : `${cap} seats`;
}

/**
 * Sentences for every difference between `mine` and `server`, in a stable order: the mode, then rooms in
 * the order listed here (added, renamed, seat caps), rooms only the server has, then people whose room
 * differs (by name). People are placed by the tidy view of each setup (R43, R44) with the same `members`,
 * so an assignment that reads as unassigned on both sides is no difference.
 */
export function setupDiff({
  mine,
  server,
  members,
  nameOf
}: {
  mine: BreakoutState;
  server: BreakoutState;
  members: Member[];
  /** A member's display name. */
  nameOf: (userId: UserId) => string;
}): SetupChange[] {
  const changes: SetupChange[] = [];
  if (mine.mode !== server.mode) {
    changes.push({
      kind: 'mode',
      text: `Assignment: ${modeLabel(mine.mode)} here, ${modeLabel(server.mode)} on the server`
    });
  }

  const serverRooms = new Map<RoomId, Room>(server.rooms.map((r) => [r.id, r]));
  const mineIds = new Set(mine.rooms.map((r) => r.id));
  for (const room of [...mine.rooms].sort(compareRooms)) {
    const theirs = serverRooms.get(room.id);
    if (!theirs) {
      changes.push({ kind: 'roomAdded', text: `Room ${quote(room.name)} (added) — not on the server` });
      continue;
    }
    if (theirs.name !== room.name) {
      changes.push({
        kind: 'roomRenamed',
        text: `Room ${quote(room.name)} (renamed) — ${quote(theirs.name)} on the server`
      });
    }
    if (theirs.seatCap !== room.seatCap) {
      changes.push({
        kind: 'seatCap',
        text: `Room ${quote(room.name)}: ${capLabel(room.seatCap)} here, ${capLabel(theirs.seatCap)} on the server`
      });
    }
  }
  for (const room of [...server.rooms].sort(compareRooms)) {
    if (!mineIds.has(room.id)) {
      changes.push({ kind: 'roomRemoved', text: `Room ${quote(room.name)} (removed) — still on the server` });
    }
  }

  const mineView = tidyBreakout({ state: mine, members });
  const serverView = tidyBreakout({ state: server, members });
  const mineNames = new Map(mine.rooms.map((r) => [r.id, r.name]));
  const place = (roomId: RoomId | undefined, names: ReadonlyMap<RoomId, string>) =>
    roomId === undefined ? 'main room' : quote(names.get(roomId) ?? 'a room');
  const people = members
    .filter((m) => !m.isModerator && mineView.roomOf.get(m.userId) !== serverView.roomOf.get(m.userId))
    .map((m) => ({ userId: m.userId, name: nameOf(m.userId) }))
    .sort((a, b) => a.name.localeCompare(b.name) || (a.userId < b.userId ? -1 : 1));
  const serverNames = new Map(server.rooms.map((r) => [r.id, r.name]));
  for (const { userId, name } of people) {
    changes.push({
      kind: 'person',
      text: `${name}: ${place(mineView.roomOf.get(userId), mineNames)} here, ${place(
        serverView.roomOf.get(userId),
        serverNames
      )} on the server`
    });
  }
  return changes;
}

/** A setup as plain JSON, for a download of what was refused (R94): rooms in order with their people. */
export interface SetupExport {
  mode: AssignmentMode | null;
  rooms: { id: string; name: string; seatCap: number | null; people: string[] }[];
  mainRoom: string[];
}

export function exportSetup({
  state,
  members,
  nameOf
}: {
  state: BreakoutState;
  members: Member[];
  nameOf: (userId: UserId) => string;
}): SetupExport {
  const view = tidyBreakout({ state, members });
  return {
    mode: view.mode,
    rooms: view.rooms.map((room) => ({
      id: room.id,
      name: room.name,
      seatCap: room.seatCap,
      people: room.members.map(nameOf)
    })),
    mainRoom: view.unassigned.map(nameOf)
  };
}
