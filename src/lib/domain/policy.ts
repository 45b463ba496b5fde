import { MAIN_ROOM, type DocKind } from './docs';
import type { MemberKind, Role } from './roles';
import { isModerator } from './roles';

/**
 * Access of one connection to one document (SPEC R10–R12). Decided when a connection opens and
 * again whenever the member's role changes; the server and the UI both use this function.
 */
export type Access = 'none' | 'read' | 'write';

export function decideDocAccess({
  role,
  kind,
  room,
  assignedRoom = null
}: {
  role: Role | null;
  kind: DocKind;
  /** The chat room of a `chat` document; missing means the main room. */
  room?: string;
  /** The room the member is assigned to as every replica shows it (`tidyBreakout`); `null` = none. */
  assignedRoom?: string | null;
}): Access {
  if (role === null) return 'none';
  switch (kind) {
    case 'control':
      return isModerator(role) ? 'write' : 'read';
    case 'meta':
      // Written by the server alone: what members do there arrives as checked intents.
      return 'read';
    case 'history':
      // Who changed the setup, and when (R97): for the moderators, written by the server alone.
      return isModerator(role) ? 'read' : 'none';
    case 'chat':
      // A breakout room's chat is for its members and the moderators (R81), also after the session
      // ended (R73); the main chat is every member's. Both are written by the server alone.
      if (room === undefined || room === MAIN_ROOM || isModerator(role)) return 'read';
      return assignedRoom === room ? 'read' : 'none';
  }
}

/** True for a breakout room's chat, whose readers depend on the assignments (R81). */
export function isRoomChat(ref: { kind: DocKind; room?: string }): boolean {
  return ref.kind === 'chat' && ref.room !== undefined && ref.room !== MAIN_ROOM;
}

export type RoleChangeDecision = { ok: true } | { ok: false; status: 403 | 409; reason: string };

/** Who may make whom a moderator or a participant (SPEC R4, R5). */
export function decideRoleChange({
  actorRole,
  targetRole,
  targetKind,
  newRole
}: {
  actorRole: Role | null;
  targetRole: Role;
  targetKind: MemberKind;
  newRole: 'moderator' | 'participant';
}): RoleChangeDecision {
  if (!isModerator(actorRole)) {
    return { ok: false, status: 403, reason: 'Only owners and moderators can change roles.' };
  }
  if (targetRole === 'owner') {
    return { ok: false, status: 403, reason: 'The owner’s role cannot be changed.' };
  }
  if (targetKind === 'guest') {
    return {
      ok: false,
      status: 403,
      reason:
        newRole === 'participant'
          ? 'Guests already take part with a participant’s rights; their guest role cannot be changed.'
          : 'Guests cannot become moderators. Ask them to join with an account.'
    };
  }
  if (targetRole === newRole) {
    return { ok: false, status: 409, reason: `This member already is a ${newRole}.` };
  }
  return { ok: true };
}

/** Who may create invite links (SPEC R6). */
export function mayInvite(role: Role | null): boolean {
  return isModerator(role);
}

/** Who may post in the main chat (SPEC R20). */
export function mayPostChat(role: Role | null): boolean {
  return role !== null;
}

/**
 * The 409 answer to a chat post whose `authorId` is not the signed-in user (SPEC R25): the outbox of
 * one user, in a tab where someone else signed in since. The outbox recognises this sentence and waits.
 */
export const SIGNED_IN_AS_SOMEONE_ELSE =
  'You are signed in as someone else in another tab. Sign in again as the author to send this message.';
