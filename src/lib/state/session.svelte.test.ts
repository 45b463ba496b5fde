import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { asRoomId, asUserId, type RoomId } from '../domain/ids';
import {
  assignParticipants,
  createRooms,
  endSession,
  removeRoom,
  startSession,
  writeHelpRequest,
  writeReturned
} from '../sync/control';
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

const participants = new Set(members.filter((m) => m.role !== 'owner').map((m) => asUserId(m.userId)));

/** A control document with two rooms: bob in the first, carol in the second. */
function makeDoc() {
  const doc = new Y.Doc();
  const [room1, room2] = (createRooms(doc, { count: 2, mode: 'manual' }) as { ok: true; value: RoomId[] })
    .value;
  assignParticipants(doc, { userIds: [asUserId('bob00000')], roomId: room1, participants, now: 1 });
  assignParticipants(doc, { userIds: [asUserId('carol000')], roomId: room2, participants, now: 1 });
  return { doc, room1, room2 };
}

function openAs(
  doc: Y.Doc,
  userId: string,
  options: Partial<Pick<ConstructorParameters<typeof SessionState>[0], 'clock' | 'synced' | 'offline'>> = {}
) {
  const breakout = new BreakoutSetupState({ doc, userId, getMembers: () => members });
  const session = new SessionState({
    doc,
    userId,
    conversationId: 'conv0001',
    breakout,
    isModerator: () => userId === 'alice000',
    ...options
  });
  return { breakout, session };
}

/** One control document seen by alice (moderator) and bob (participant), as on two replicas. */
function setup() {
  const { doc, room1, room2 } = makeDoc();
  return { doc, room1, room2, alice: openAs(doc, 'alice000'), bob: openAs(doc, 'bob00000') };
}

/** The notice text once the change is seen (what the page's effect does after every change). */
function noticeOf(state: { session: SessionState }): string | null {
  state.session.refreshNotice();
  return state.session.notice?.text ?? null;
}

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

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

  // In room A, assigned to A; back in the main room by choice, still assigned to A.
  const inA = { runId: 'r1', roomId: A, assigned: A };
  const backFromA = { runId: 'r1', roomId: null, assigned: A };

  it('R75: going back to the main room oneself, and returning to the room, say nothing', () => {
    expect(describeChange({ ...base, before: inA, after: backFromA })).toBeNull();
    expect(describeChange({ ...base, before: backFromA, after: inA })).toBeNull();
  });

  it('R75: a move while back in the main room names the new room without claiming one is in it', () => {
    const assignedB = { runId: 'r1', roomId: null, assigned: B };
    expect(describeChange({ ...base, before: backFromA, after: assignedB })).toEqual({
      kind: 'assigned',
      text: 'A moderator assigned you to Room 2. You are still in the main room.'
    });
    // One's own choice is not announced.
    expect(describeChange({ ...base, chose: B, before: backFromA, after: assignedB })).toBeNull();
    // A move that takes them into the room (the mark cleared) is a move like any other.
    expect(
      describeChange({ ...base, before: backFromA, after: { runId: 'r1', roomId: B, assigned: B } })?.text
    ).toBe('A moderator moved you to Room 2.');
    // Unassigned or the room gone while in the main room: nothing about being "back".
    const unassigned = { runId: 'r1', roomId: null, assigned: null };
    expect(describeChange({ ...base, before: backFromA, after: unassigned })?.text).toBe(
      'A moderator took you out of your breakout room.'
    );
    expect(
      describeChange({ ...base, roomExists: () => false, before: backFromA, after: unassigned })?.text
    ).toBe('Your breakout room was removed.');
  });

  it('R72: the end says "back in the main room" only to people who were in a room; closing likewise', () => {
    const ended = { runId: null, roomId: null, assigned: null };
    expect(describeChange({ ...base, before: inA, after: ended })?.text).toBe(
      'Breakout sessions have ended. You are back in the main room.'
    );
    expect(describeChange({ ...base, before: backFromA, after: ended })).toEqual({
      kind: 'ended',
      text: 'Breakout sessions have ended.'
    });
    expect(
      describeChange({ ...base, before: { runId: 'r1', roomId: null, assigned: null }, after: ended })
    ).toBeNull();
    expect(describeChange({ ...base, before: backFromA, after: { ...backFromA, closing: true } })).toBeNull();
    expect(describeChange({ ...base, before: inA, after: { ...inA, closing: true } })?.kind).toBe('closing');
    // First seen while closing, not in a room: no "started" for a run that is ending.
    expect(
      describeChange({
        ...base,
        choosing: true,
        before: { runId: null, roomId: null },
        after: { runId: 'r1', roomId: null, assigned: null, closing: true }
      })
    ).toBeNull();
  });

  it('R74: a first look at a run one already left (a reload after going back) announces no start', () => {
    expect(describeChange({ ...base, before: { runId: null, roomId: null }, after: backFromA })).toBeNull();
    expect(
      describeChange({ ...base, choosing: true, before: { runId: null, roomId: null }, after: backFromA })
    ).toBeNull();
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

  it('R80: a request left behind by a merge (room removed, asker moved or back in the main room) is not shown', () => {
    const { doc, room1, room2, alice } = setup();
    alice.session.start({ timerMinutes: null, moveAutomatically: true, allowReturn: true });
    const runId = alice.session.session!.runId;
    // Bob, carol and dave (in room 1) ask for help; then, on two other replicas, bob is moved to room 2
    // which is removed, and dave goes back to the main room.
    assignParticipants(doc, { userIds: [asUserId('dave0000')], roomId: room1, participants, now: 2 });
    writeHelpRequest(doc, { userId: asUserId('bob00000'), roomId: room1, runId, now: 5 });
    writeHelpRequest(doc, { userId: asUserId('carol000'), roomId: room2, runId, now: 6 });
    writeHelpRequest(doc, { userId: asUserId('dave0000'), roomId: room1, runId, now: 7 });
    expect(alice.session.helpRequests.map((r) => r.userId)).toEqual(['bob00000', 'carol000', 'dave0000']);
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    assignParticipants(other, { userIds: [asUserId('bob00000')], roomId: room2, participants, now: 8 });
    removeRoom(other, { roomId: room2 });
    const returned = new Y.Doc();
    Y.applyUpdate(returned, Y.encodeStateAsUpdate(doc));
    writeReturned(returned, { userId: asUserId('dave0000'), runId });
    // Written here while the move and the removal happen on another replica: the removal and the return
    // clear the requests they saw, but this one is new to them and survives the merge.
    writeHelpRequest(doc, { userId: asUserId('bob00000'), roomId: room2, runId, now: 9 });
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(returned));
    expect(alice.session.helpRequests).toEqual([]);
    alice.session.destroy();
  });

  it('R70: refused commands leave their sentence', () => {
    const { alice, bob } = setup();
    expect(alice.session.extend(5).ok).toBe(false);
    expect(alice.session.error).toMatch(/No breakout session is running/);
    alice.session.destroy();
    bob.session.destroy();
  });

  it('R71: moments are stamped, and the phase derived, with the clock given (the server’s, estimated)', () => {
    const { doc } = makeDoc();
    let serverTime = T0;
    const alice = openAs(doc, 'alice000', { clock: () => serverTime });
    const started = alice.session.start({ timerMinutes: 10, moveAutomatically: true, allowReturn: false });
    expect(started.ok && started.value.startedAt).toBe(T0);
    expect(started.ok && started.value.endsAt).toBe(T0 + 10 * MINUTE);
    serverTime = T0 + MINUTE;
    const extended = alice.session.extend(5);
    expect(extended.ok && extended.value.endsAt).toBe(T0 + 15 * MINUTE);
    serverTime = T0 + 2 * MINUTE;
    const ended = alice.session.end(10);
    expect(ended.ok && ended.value.closingAt).toBe(T0 + 2 * MINUTE);
    // A page whose server clock says the countdown is over sees the end at once, whatever Date.now() says.
    const bob = openAs(doc, 'bob00000', { clock: () => T0 + 2 * MINUTE + 11_000 });
    expect(bob.session.phase.kind).toBe('idle');
    const early = openAs(doc, 'carol000', { clock: () => T0 + 2 * MINUTE + 1_000 });
    expect(early.session.phase.kind).toBe('closing');
    for (const s of [alice, bob, early]) s.session.destroy();
  });

  it('R75: notices follow the location: going back says nothing, a later move is announced as it is, the end does not claim a way back', () => {
    const { doc, room2 } = makeDoc();
    let time = T0;
    const clock = () => time;
    const alice = openAs(doc, 'alice000', { clock });
    const bob = openAs(doc, 'bob00000', { clock });
    const carol = openAs(doc, 'carol000', { clock });
    alice.session.start({ timerMinutes: null, moveAutomatically: true, allowReturn: true });
    expect(noticeOf(bob)).toBe('Breakout sessions have started. You are in Room 1.');
    expect(noticeOf(carol)).toBe('Breakout sessions have started. You are in Room 2.');
    const runId = alice.session.session!.runId;

    bob.session.dismissNotice();
    writeReturned(doc, { userId: asUserId('bob00000'), runId });
    expect(noticeOf(bob)).toBeNull();
    expect(bob.session.location).toBeNull();
    expect(bob.session.assignedRoomId).not.toBeNull();

    // A moderator's move puts him where it says (the mark goes): now he is in Room 2, and is told so.
    expect(alice.breakout.assign([asUserId('bob00000')], room2).ok).toBe(true);
    expect(noticeOf(bob)).toBe('A moderator moved you to Room 2.');
    expect(bob.session.viewRoomId).toBe(room2);

    // Back again, then the end: he is not "back in the main room", he was there; carol was in her room.
    bob.session.dismissNotice();
    carol.session.dismissNotice();
    writeReturned(doc, { userId: asUserId('bob00000'), runId });
    expect(noticeOf(bob)).toBeNull();
    time += MINUTE;
    alice.session.end(0);
    for (const s of [bob, carol]) s.session.setNow(time);
    expect(noticeOf(bob)).toBe('Breakout sessions have ended.');
    expect(noticeOf(carol)).toBe('Breakout sessions have ended. You are back in the main room.');
    for (const s of [alice, bob, carol]) s.session.destroy();
  });

  it('R74: a hidden page with permission also gets a browser notification; a visible page or no permission gets none', () => {
    const shown: { title: string; body?: string }[] = [];
    class FakeNotification {
      static permission: NotificationPermission = 'granted';
      constructor(title: string, options?: NotificationOptions) {
        shown.push({ title, body: options?.body });
      }
    }
    const page = { hidden: true };
    vi.stubGlobal('Notification', FakeNotification);
    vi.stubGlobal('document', page);
    try {
      const { doc } = makeDoc();
      const alice = openAs(doc, 'alice000');
      const bob = openAs(doc, 'bob00000');
      const carol = openAs(doc, 'carol000');
      alice.session.start({ timerMinutes: null, moveAutomatically: false, allowReturn: false });
      expect(noticeOf(bob)).toBe('Breakout sessions have started. Join Room 1 when you are ready.');
      expect(shown).toEqual([
        { title: 'Parley', body: 'Breakout sessions have started. Join Room 1 when you are ready.' }
      ]);
      // Carol's page is visible: the in-page notice is enough.
      page.hidden = false;
      expect(noticeOf(carol)).toBe('Breakout sessions have started. Join Room 2 when you are ready.');
      expect(shown).toHaveLength(1);
      // Hidden again but permission not given: still only the in-page notice.
      page.hidden = true;
      FakeNotification.permission = 'default';
      alice.session.end(0);
      for (const s of [bob, carol]) s.session.setNow(Date.now() + MINUTE);
      expect(noticeOf(bob)).not.toBeNull();
      expect(shown).toHaveLength(1);
      for (const s of [alice, bob, carol]) s.session.destroy();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('R76: a removed room is announced to the people in it', () => {
    const { doc, room1 } = makeDoc();
    const alice = openAs(doc, 'alice000');
    const bob = openAs(doc, 'bob00000');
    alice.session.start({ timerMinutes: null, moveAutomatically: true, allowReturn: true });
    expect(noticeOf(bob)).toMatch(/^Breakout sessions have started/);
    expect(removeRoom(doc, { roomId: room1 }).ok).toBe(true);
    expect(noticeOf(bob)).toBe('Your room was removed. You are back in the main room.');
    for (const s of [alice, bob]) s.session.destroy();
  });

  it('R75, R76: someone back in the main room who loses their room is not told they are "back"', () => {
    const { doc, room2 } = makeDoc();
    const alice = openAs(doc, 'alice000');
    const bob = openAs(doc, 'bob00000');
    const carol = openAs(doc, 'carol000');
    alice.session.start({ timerMinutes: null, moveAutomatically: true, allowReturn: true });
    const runId = alice.session.session!.runId;
    for (const s of [bob, carol]) {
      noticeOf(s);
      s.session.dismissNotice();
    }
    writeReturned(doc, { userId: asUserId('bob00000'), runId });
    writeReturned(doc, { userId: asUserId('carol000'), runId });
    expect(noticeOf(bob)).toBeNull();
    expect(noticeOf(carol)).toBeNull();
    expect(alice.breakout.assign([asUserId('bob00000')], null).ok).toBe(true);
    expect(noticeOf(bob)).toBe('A moderator took you out of your breakout room.');
    expect(removeRoom(doc, { roomId: room2 }).ok).toBe(true);
    expect(noticeOf(carol)).toBe('Your breakout room was removed.');
    for (const s of [alice, bob, carol]) s.session.destroy();
  });

  it('R74: notices wait for the first sync with the server, so a stale local copy announces nothing', () => {
    // The IndexedDB copy still has a run going; on the server it has ended since.
    const { doc } = makeDoc();
    startSession(doc, { timerMinutes: null, moveAutomatically: true, allowReturn: false, now: T0 });
    const bob = openAs(doc, 'bob00000', { clock: () => T0 + MINUTE, synced: false });
    expect(bob.session.running).toBe(true);
    expect(noticeOf(bob)).toBeNull();
    endSession(doc, { closingSeconds: 0, now: T0 + 30_000 });
    bob.session.markSynced();
    expect(bob.session.active).toBe(false);
    expect(noticeOf(bob)).toBeNull();
    bob.session.destroy();

    // The same copy, and the run is still going on the server: the notice comes with the sync.
    const fresh = makeDoc();
    startSession(fresh.doc, { timerMinutes: null, moveAutomatically: true, allowReturn: false, now: T0 });
    const carol = openAs(fresh.doc, 'carol000', { clock: () => T0 + MINUTE, synced: false });
    expect(noticeOf(carol)).toBeNull();
    carol.session.markSynced();
    expect(noticeOf(carol)).toBe('Breakout sessions have started. You are in Room 2.');
    carol.session.destroy();
  });

  it('R74, R18: offline the local copy speaks, but a run already over by the clock is not announced', () => {
    const { doc } = makeDoc();
    // A 1-minute timer with the default 60 s countdown: idle from T0 + 2 min.
    startSession(doc, { timerMinutes: 1, moveAutomatically: true, allowReturn: false, now: T0 });
    const late = openAs(doc, 'bob00000', { clock: () => T0 + 3 * MINUTE, synced: false, offline: true });
    expect(late.session.active).toBe(false);
    expect(noticeOf(late)).toBeNull();
    late.session.destroy();

    const during = openAs(doc, 'bob00000', { clock: () => T0 + 30_000, synced: false });
    expect(noticeOf(during)).toBeNull();
    during.session.setOffline(true);
    expect(noticeOf(during)).toBe('Breakout sessions have started. You are in Room 1.');
    during.session.destroy();
  });
});
