import { describe, expect, it } from 'vitest';
import { decideDocAccess, decideRoleChange, mayInvite, mayPostChat } from './policy';
import type { DocKind } from './docs';
import type { Role } from './roles';

describe('decideDocAccess', () => {
  // R11: the whole table, so a change to any cell is a deliberate, reviewed change.
  const table: Array<[Role | null, DocKind, ReturnType<typeof decideDocAccess>]> = [
    ['owner', 'control', 'write'],
    ['moderator', 'control', 'write'],
    ['participant', 'control', 'read'],
    ['guest', 'control', 'read'],
    [null, 'control', 'none'],
    ['owner', 'meta', 'read'],
    ['moderator', 'meta', 'read'],
    ['participant', 'meta', 'read'],
    ['guest', 'meta', 'read'],
    [null, 'meta', 'none'],
    ['owner', 'chat', 'read'],
    ['moderator', 'chat', 'read'],
    ['participant', 'chat', 'read'],
    ['guest', 'chat', 'read'],
    [null, 'chat', 'none']
  ];
  it.each(table)('R11: %s on %s → %s', (role, kind, expected) => {
    expect(decideDocAccess({ role, kind })).toBe(expected);
  });

  // R97: the setup history is the moderators' to read and the server's alone to write.
  const historyTable: Array<[Role | null, ReturnType<typeof decideDocAccess>]> = [
    ['owner', 'read'],
    ['moderator', 'read'],
    ['participant', 'none'],
    ['guest', 'none'],
    [null, 'none']
  ];
  it.each(historyTable)('R97: %s on history → %s', (role, expected) => {
    expect(decideDocAccess({ role, kind: 'history' })).toBe(expected);
  });

  // R81: a breakout room's chat, by role and by the room the member is assigned to (tidy view).
  const roomTable: Array<[Role | null, string | null, string, ReturnType<typeof decideDocAccess>]> = [
    ['owner', null, 'roomA', 'read'],
    ['moderator', null, 'roomA', 'read'],
    ['moderator', 'roomB', 'roomA', 'read'],
    ['participant', 'roomA', 'roomA', 'read'],
    ['guest', 'roomA', 'roomA', 'read'],
    ['participant', 'roomB', 'roomA', 'none'],
    ['guest', null, 'roomA', 'none'],
    ['participant', null, 'roomA', 'none'],
    [null, 'roomA', 'roomA', 'none'],
    ['participant', 'roomB', 'main', 'read'],
    ['guest', null, 'main', 'read']
  ];
  it.each(roomTable)('R81: %s assigned to %s on chat/%s → %s', (role, assignedRoom, room, expected) => {
    expect(decideDocAccess({ role, kind: 'chat', room, assignedRoom })).toBe(expected);
  });
});

describe('decideRoleChange', () => {
  it('R4: owners and moderators promote a participant', () => {
    for (const actorRole of ['owner', 'moderator'] as const) {
      expect(
        decideRoleChange({
          actorRole,
          targetRole: 'participant',
          targetKind: 'account',
          newRole: 'moderator'
        })
      ).toEqual({ ok: true });
    }
  });

  it('R4: owners and moderators demote a moderator', () => {
    expect(
      decideRoleChange({
        actorRole: 'moderator',
        targetRole: 'moderator',
        targetKind: 'account',
        newRole: 'participant'
      })
    ).toEqual({ ok: true });
  });

  it('R4: participants, guests and non-members may not change roles', () => {
    for (const actorRole of ['participant', 'guest', null] as const) {
      const decision = decideRoleChange({
        actorRole,
        targetRole: 'participant',
        targetKind: 'account',
        newRole: 'moderator'
      });
      expect(decision).toMatchObject({ ok: false, status: 403 });
    }
  });

  it('R5: the owner cannot be demoted, guests cannot be promoted, same role is a conflict', () => {
    expect(
      decideRoleChange({
        actorRole: 'moderator',
        targetRole: 'owner',
        targetKind: 'account',
        newRole: 'participant'
      })
    ).toMatchObject({ ok: false, status: 403 });
    expect(
      decideRoleChange({ actorRole: 'owner', targetRole: 'guest', targetKind: 'guest', newRole: 'moderator' })
    ).toMatchObject({ ok: false, status: 403 });
    expect(
      decideRoleChange({
        actorRole: 'owner',
        targetRole: 'moderator',
        targetKind: 'account',
        newRole: 'moderator'
      })
    ).toMatchObject({ ok: false, status: 409 });
  });
});

describe('role change wording', () => {
  it('R5: making a guest a participant says the guest already has participant-level rights', () => {
    const decision = decideRoleChange({
      actorRole: 'owner',
      targetRole: 'guest',
      targetKind: 'guest',
      newRole: 'participant'
    });
    expect(decision).toMatchObject({ ok: false, status: 403 });
    if (!decision.ok) {
      expect(decision.reason).toMatch(/already take part with a participant’s rights/);
      expect(decision.reason).not.toMatch(/moderator/);
    }
  });
});

describe('invites and chat', () => {
  it('R6: only moderators invite', () => {
    expect([
      mayInvite('owner'),
      mayInvite('moderator'),
      mayInvite('participant'),
      mayInvite('guest'),
      mayInvite(null)
    ]).toEqual([true, true, false, false, false]);
  });

  it('R20: every member may post, non-members may not', () => {
    expect([
      mayPostChat('owner'),
      mayPostChat('participant'),
      mayPostChat('guest'),
      mayPostChat(null)
    ]).toEqual([true, true, true, false]);
  });
});
