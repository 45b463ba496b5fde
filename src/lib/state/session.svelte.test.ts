import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { asRoomId, asUserId, type RoomId } from '../domain/ids';
import { assignParticipants, createRooms, writeHelpRequest, writeReturned } from '../sync/control';
import type { MetaMember } from '../sync/schema';
import { BreakoutSetupState } from './breakout.svelte';
import { describeChange, formatCountdown, SessionState } from './session.svelte';

function member(userId: string, displayName: string, role: MetaMember['role']): MetaMember {
  return { userId, displayName, username: userId, kind: 'account', role, joinedAt: 0 };
}

const members = [
  member('alice000', 'Alice', 'owner'),
  member('bob00000', 'Bob', 'participant'),
  member('carol000', 'Carol', 'participant'),
  member('dave0000', 'Dave', 'guest')
];

/** One control document seen by alice (moderator) and bob (participant), as on two replicas. */
function setup() {
  const doc = new Y.Doc();
  const [room1, room2] = (createRooms(doc, { count: 2, mode: 'manual' }) as { ok: true; value: RoomId[] })
    .value;
  const participants = new Set(members.filter((m) => m.role !== 'owner').map((m) => asUserId(m.userId)));
  assignParticipants(doc, { userIds: [asUserId('bob00000')], roomId: room1, participants, now: 1 });
  assignParticipants(doc, { userIds: [asUserId('carol000')], roomId: room2, participants, now: 1 });
  const open = (userId: string) => {
    const breakout = new BreakoutSetupState({ doc, userId, getMembers: () => members });
    const session = new SessionState({
      doc,
      userId,
      conversationId: 'conv0001',
      breakout,
      isModerator: () => userId === 'alice000'
    });
    return { breakout, session };
  };
  return { doc, room1, room2, alice: open('alice000'), bob: open('bob00000') };
}

describe('formatCountdown', () => {
  it('R72: shows whole started seconds as m:ss', () => {
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(1)).toBe('0:01');
    expect(formatCountdown(59_001)).toBe('1:00');
    expect(formatCountdown(61_000)).toBe('1:01');
    expect(formatCountdown(5 * 60_000)).toBe('5:00');
    expect(formatCountdown(-5)).toBe('0:00');
  });
});

describe('describeChange', () => {
  const A = asRoomId('roomAAAA0001');
  const B = asRoomId('roomBBBB0001');
  const names: Record<string, string> = { [A]: 'Room 1', [B]: 'Room 2' };
  const base = {
    roomName: (id: RoomId) => names[id],
    roomExists: (id: RoomId) => id in names,
    moveAutomatically: true,
    choosing: false,
    chose: null
  };

  it('R74: starting tells assigned people where they are, or to join', () => {
    const before = { runId: null, roomId: null };
    expect(describeChange({ ...base, before, after: { runId: 'r1', roomId: A } })?.text).toBe(
      'Breakout sessions have started. You are in Room 1.'
    );
    expect(
      describeChange({ ...base, moveAutomatically: false, before, after: { runId: 'r1', roomId: A } })?.text
    ).toMatch(/^Breakout sessions have started\. Join Room 1/);
    expect(describeChange({ ...base, before, after: { runId: 'r1', roomId: null } })).toBeNull();
    expect(
      describeChange({ ...base, choosing: true, before, after: { runId: 'r1', roomId: null } })?.text
    ).toBe('Breakout sessions have started. Choose a room.');
  });

  it('R75, R76: a move, a removed room and the end each have their notice; one’s own choice has none', () => {
    const inA = { runId: 'r1', roomId: A };
    expect(describeChange({ ...base, before: inA, after: { runId: 'r1', roomId: B } })?.text).toBe(
      'A moderator moved you to Room 2.'
    );
    expect(
      describeChange({
        ...base,
        roomExists: () => false,
        before: inA,
        after: { runId: 'r1', roomId: null }
      })?.text
    ).toBe('Your room was removed. You are back in the main room.');
    expect(describeChange({ ...base, before: inA, after: { runId: null, roomId: null } })?.text).toBe(
      'Breakout sessions have ended. You are back in the main room.'
    );
    expect(describeChange({ ...base, chose: B, before: inA, after: { runId: 'r1', roomId: B } })).toBeNull();
    expect(describeChange({ ...base, before: inA, after: inA })).toBeNull();
    expect(
      describeChange({ ...base, before: inA, after: { runId: 'r1', roomId: A, closing: true } })?.kind
    ).toBe('closing');
  });
});

describe('SessionState', () => {
  it('R71, R72: the phase follows the stored moments and the clock, with no moderator needed', () => {
    const { alice, bob } = setup();
    expect(bob.session.phase.kind).toBe('idle');
    const started = alice.session.start({ timerMinutes: 1, moveAutomatically: true, allowReturn: false });
    expect(started.ok).toBe(true);
    const { startedAt } = started.ok ? started.value : { startedAt: 0 };
    bob.session.setNow(startedAt + 1000);
    expect(bob.session.phase.kind).toBe('running');
    expect(bob.session.remainingMs).toBe(59_000);
    bob.session.setNow(startedAt + 60_000 + 1000);
    expect(bob.session.closing).toBe(true);
    bob.session.setNow(startedAt + 60_000 + 61_000);
    expect(bob.session.active).toBe(false);
    expect(bob.session.viewRoomId).toBeNull();
    alice.session.destroy();
    bob.session.destroy();
  });

  it('R74, R75: a participant is taken into their room, or joins it from the notice; going back is honoured', () => {
    const { doc, room1, alice, bob } = setup();
    alice.session.start({ timerMinutes: null, moveAutomatically: false, allowReturn: true });
    expect(bob.session.location).toBe(room1);
    expect(bob.session.viewRoomId).toBeNull();
    bob.session.joinAssignedRoom();
    expect(bob.session.viewRoomId).toBe(room1);
    expect(bob.session.viewRoom?.people.map((p) => p.displayName)).toEqual(['Bob']);
    writeReturned(doc, { userId: asUserId('bob00000'), runId: bob.session.session!.runId });
    expect(bob.session.hasReturned).toBe(true);
    expect(bob.session.viewRoomId).toBeNull();
    expect(alice.session.viewRoomId).toBeNull();
    alice.session.destroy();
    bob.session.destroy();
  });

  it('R80: a moderator joining a room answers its help requests; dismissing clears one', () => {
    const { doc, room1, room2, alice, bob } = setup();
    alice.session.start({ timerMinutes: null, moveAutomatically: true, allowReturn: false });
    const runId = alice.session.session!.runId;
    writeHelpRequest(doc, { userId: asUserId('bob00000'), roomId: room1, runId, now: 5 });
    writeHelpRequest(doc, { userId: asUserId('carol000'), roomId: room2, runId, now: 6 });
    expect(alice.session.helpRequests.map((r) => r.userId)).toEqual(['bob00000', 'carol000']);
    expect(bob.session.myHelpRequest?.roomId).toBe(room1);
    alice.session.visit(room1);
    expect(alice.session.viewRoomId).toBe(room1);
    expect(alice.session.helpRequests.map((r) => r.userId)).toEqual(['carol000']);
    alice.session.dismissHelp(asUserId('carol000'));
    expect(alice.session.helpRequests).toEqual([]);
    alice.session.visit(null);
    expect(alice.session.viewRoomId).toBeNull();
    alice.session.destroy();
    bob.session.destroy();
  });

  it('R70: refused commands leave their sentence', () => {
    const { alice, bob } = setup();
    expect(alice.session.extend(5).ok).toBe(false);
    expect(alice.session.error).toMatch(/No breakout session is running/);
    alice.session.destroy();
    bob.session.destroy();
  });
});
