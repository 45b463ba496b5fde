/**
 * Roles of a member within one conversation (SPEC R1–R5).
 * `owner` is also a moderator; `guest` is a participant without an account.
 */
export const ROLES = ['owner', 'moderator', 'participant', 'guest'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that may be set through a role change (SPEC R4). */
export type AssignableRole = 'moderator' | 'participant';

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Owners and moderators moderate (SPEC R2). */
export function isModerator(role: Role | null | undefined): boolean {
  return role === 'owner' || role === 'moderator';
}

export type MemberKind = 'account' | 'guest';

/** Role a new joiner gets from an invite (SPEC R3). */
export function roleForJoiner(kind: MemberKind): Role {
  return kind === 'guest' ? 'guest' : 'participant';
}

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  moderator: 'Moderator',
  participant: 'Participant',
  guest: 'Guest'
};
