import { distributeParticipants, type Member, type Room, type RoomView } from '../domain/breakout';
import { asRoomId, asUserId, type RoomId, type UserId } from '../domain/ids';
import { isModerator } from '../domain/roles';
import type { MetaMember } from '../sync/schema';

/** Plain helpers of the breakout state: members as the domain sees them, and the setup preview. */
export interface Person {
  userId: UserId;
  displayName: string;
}

export interface RoomCard extends RoomView {
  people: Person[];
}

/** A room of the setup dialog's preview: who would go where with this seed (R46). */
export interface PreviewRoom {
  name: string;
  people: Person[];
}

export function toDomainMembers(members: MetaMember[]): Member[] {
  return members.map((m) => ({ userId: asUserId(m.userId), isModerator: isModerator(m.role) }));
}

/** Names for display; someone who left the meta document still shows as something readable. */
export function toPerson(userId: UserId, names: ReadonlyMap<string, string>): Person {
  return { userId, displayName: names.get(userId) ?? 'Unknown member' };
}

/**
 * What "Automatically assign" would do with `seed`, before anything is written: the rooms the dialog would
 * create stand in for real ones, in the same order, so the spread matches what `autoAssign` then writes.
 */
export function previewAutoAssign({
  names,
  members,
  seed
}: {
  names: string[];
  members: MetaMember[];
  seed: number;
}): PreviewRoom[] {
  const rooms: Room[] = names.map((_name, i) => ({
    id: asRoomId(`preview-${String(i).padStart(4, '0')}`),
    name: names[i],
    order: i + 1,
    seatCap: null
  }));
  const spread = distributeParticipants({ members: toDomainMembers(members), rooms, seed });
  const byName = new Map(members.map((m) => [m.userId, m.displayName]));
  const byRoom = new Map<RoomId, Person[]>(rooms.map((r) => [r.id, []]));
  for (const [userId, roomId] of spread) byRoom.get(roomId)?.push(toPerson(userId, byName));
  for (const people of byRoom.values()) people.sort((a, b) => a.displayName.localeCompare(b.displayName));
  return rooms.map((room) => ({ name: room.name, people: byRoom.get(room.id) ?? [] }));
}
