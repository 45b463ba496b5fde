/**
 * Presence on the breakout setup (SPEC R95): who else is working on it and on what. Pure rules shared by
 * the sync server (which stamps the identity) and the client (which reads it back).
 */
import { asRoomId, asUserId, type RoomId, type UserId } from './ids';

/**
 * Colours of co-moderators. Each is dark enough for white text on it and for a ring on a white card
 * (contrast with white of at least 4.5:1, checked in the unit test), and they differ in hue.
 */
export const PRESENCE_PALETTE = [
  '#1d4ed8', // blue
  '#b91c1c', // red
  '#047857', // green
  '#7e22ce', // purple
  '#c2410c', // orange
  '#0e7490', // cyan
  '#be185d', // pink
  '#4d7c0f', // olive
  '#4338ca', // indigo
  '#a16207', // ochre
  '#0f766e', // teal
  '#9f1239' // wine
] as const;

export type PresenceColor = (typeof PRESENCE_PALETTE)[number];

/** A deterministic colour from the user id: the same person has the same colour on every screen. */
export function presenceColor(userId: string): PresenceColor {
  // FNV-1a over the UTF-16 code units: cheap, stable, and spreads similar ids apart.
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return PRESENCE_PALETTE[(hash >>> 0) % PRESENCE_PALETTE.length];
}

function isPresenceColor(value: unknown): value is PresenceColor {
  return typeof value === 'string' && (PRESENCE_PALETTE as readonly string[]).includes(value);
}

/** Who a presence belongs to, as the server sets it from the connection's identity (never the client). */
export interface PresenceUser {
  id: UserId;
  name: string;
  color: PresenceColor;
}

export function makePresenceUser({
  userId,
  displayName
}: {
  userId: string;
  displayName: string;
}): PresenceUser {
  return { id: asUserId(userId), name: displayName, color: presenceColor(userId) };
}

export const EDITING_ACTIONS = ['renaming', 'dragging', 'assigning'] as const;
export type EditingAction = (typeof EDITING_ACTIONS)[number];

/** What a moderator is working on: a room, and how (renaming it, dragging someone over it, moving its people). */
export interface Editing {
  roomId: RoomId;
  action: EditingAction;
}

const MAX_ROOM_ID_LENGTH = 64;

export function parseEditing(value: unknown): Editing | null {
  if (typeof value !== 'object' || value === null) return null;
  const { roomId, action } = value as { roomId?: unknown; action?: unknown };
  if (typeof roomId !== 'string' || roomId.length === 0 || roomId.length > MAX_ROOM_ID_LENGTH) return null;
  if (!(EDITING_ACTIONS as readonly unknown[]).includes(action)) return null;
  return { roomId: asRoomId(roomId), action: action as EditingAction };
}

/**
 * The `user` field of a presence state, or `null` when it is missing or malformed. A colour outside the
 * palette (it ends up in a style attribute) is replaced by the one derived from the id.
 */
export function parsePresenceUser(value: unknown): PresenceUser | null {
  if (typeof value !== 'object' || value === null) return null;
  const { id, name, color } = value as { id?: unknown; name?: unknown; color?: unknown };
  if (typeof id !== 'string' || id === '' || typeof name !== 'string') return null;
  return { id: asUserId(id), name, color: isPresenceColor(color) ? color : presenceColor(id) };
}

/** One person present, however many tabs they have open. */
export interface Peer {
  userId: UserId;
  name: string;
  color: PresenceColor;
  /** What they are working on now (the most recently updated of their tabs that works on something). */
  editing: Editing | null;
}

export interface PresenceEntry {
  clientId: number;
  state: unknown;
  /** When this client's state was last updated (any clock; only compared with the others). */
  lastUpdated: number;
}

/**
 * Everyone present but this client, one entry per user (several tabs of one person are one peer), in
 * name order then id. States without a valid `user` (not stamped by the server) are left out.
 */
export function collectPeers(entries: Iterable<PresenceEntry>, ownClientId: number): Peer[] {
  const byUser = new Map<string, { peer: Peer; editedAt: number }>();
  for (const { clientId, state, lastUpdated } of entries) {
    if (clientId === ownClientId || typeof state !== 'object' || state === null) continue;
    const user = parsePresenceUser((state as { user?: unknown }).user);
    if (!user) continue;
    const editing = parseEditing((state as { editing?: unknown }).editing);
    const known = byUser.get(user.id);
    if (!known) {
      byUser.set(user.id, {
        peer: { userId: user.id, name: user.name, color: user.color, editing },
        editedAt: editing ? lastUpdated : -Infinity
      });
    } else if (editing && lastUpdated > known.editedAt) {
      known.peer.editing = editing;
      known.editedAt = lastUpdated;
    }
  }
  return [...byUser.values()]
    .map((entry) => entry.peer)
    .sort((a, b) => a.name.localeCompare(b.name) || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

const ACTION_TEXT: Record<EditingAction, string> = {
  renaming: 'is renaming',
  dragging: 'is dragging someone here',
  assigning: 'is moving people'
};

/** The label on a room card: "Bob is renaming". */
export function describeEditing(name: string, action: EditingAction): string {
  return `${name} ${ACTION_TEXT[action]}`;
}
