import { describe, expect, it } from 'vitest';
import { asRoomId, asUserId } from './ids';
import {
  checkClosingSeconds,
  checkTimerMinutes,
  getClosedAt,
  getLocation,
  getSessionPhase,
  isInRoomPostGrace,
  isSessionActive,
  ROOM_POST_GRACE_MS,
  type SessionRecord
} from './session';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const session = (patch: Partial<SessionRecord> = {}): SessionRecord => ({
  runId: 'run_0001',
  startedAt: T0,
  endsAt: null,
  closingAt: null,
  closingSeconds: 60,
  moveAutomatically: true,
  allowReturn: false,
  ...patch
});

describe('getSessionPhase', () => {
  it('R72: no session is idle', () => {
    expect(getSessionPhase({ session: null, now: T0 })).toEqual({ kind: 'idle' });
  });

  it('R71 R72: without a timer a session runs until a moderator ends it', () => {
    expect(getSessionPhase({ session: session(), now: T0 + 600 * MINUTE })).toEqual({
      kind: 'running',
      runId: 'run_0001',
      remainingMs: null
    });
  });

  it('R71 R72: a timer runs, then the closing countdown, then idle — from the stored moments alone', () => {
    const s = session({ endsAt: T0 + 10 * MINUTE, closingSeconds: 30 });
    expect(getSessionPhase({ session: s, now: T0 + MINUTE })).toMatchObject({
      kind: 'running',
      remainingMs: 9 * MINUTE
    });
    expect(getSessionPhase({ session: s, now: T0 + 10 * MINUTE })).toMatchObject({
      kind: 'closing',
      remainingMs: 30_000
    });
    expect(getSessionPhase({ session: s, now: T0 + 10 * MINUTE + 29_999 })).toMatchObject({
      kind: 'closing',
      remainingMs: 1
    });
    expect(getSessionPhase({ session: s, now: T0 + 10 * MINUTE + 30_000 })).toEqual({ kind: 'idle' });
  });

  it('R72: "End breakout sessions" before the timer closes from that moment; a 0 s countdown ends at once', () => {
    const s = session({ endsAt: T0 + 10 * MINUTE, closingAt: T0 + MINUTE, closingSeconds: 10 });
    expect(getSessionPhase({ session: s, now: T0 + MINUTE + 5000 })).toMatchObject({
      kind: 'closing',
      remainingMs: 5000
    });
    const now0 = session({ closingAt: T0 + MINUTE, closingSeconds: 0 });
    expect(getSessionPhase({ session: now0, now: T0 + MINUTE })).toEqual({ kind: 'idle' });
  });

  it('R72: whichever comes first, the timer or the end, starts the closing', () => {
    const s = session({ endsAt: T0 + MINUTE, closingAt: T0 + 2 * MINUTE, closingSeconds: 60 });
    expect(getSessionPhase({ session: s, now: T0 + MINUTE + 1000 })).toMatchObject({ kind: 'closing' });
    expect(getSessionPhase({ session: s, now: T0 + 2 * MINUTE })).toEqual({ kind: 'idle' });
  });

  it('isSessionActive: running and closing are active; idle is not', () => {
    const s = session({ endsAt: T0 + MINUTE });
    expect(isSessionActive(getSessionPhase({ session: s, now: T0 }))).toBe(true);
    expect(isSessionActive(getSessionPhase({ session: s, now: T0 + MINUTE }))).toBe(true);
    expect(isSessionActive(getSessionPhase({ session: s, now: T0 + 2 * MINUTE }))).toBe(false);
  });
});

describe('session input checks', () => {
  it('R71: a timer is 1–240 whole minutes, or empty for none', () => {
    for (const empty of [null, undefined, ''])
      expect(checkTimerMinutes(empty)).toEqual({ ok: true, value: null });
    expect(checkTimerMinutes(1)).toEqual({ ok: true, value: 1 });
    expect(checkTimerMinutes('240')).toEqual({ ok: true, value: 240 });
    for (const bad of [0, 241, 1.5, -5, 'ten', true, {}]) {
      expect(checkTimerMinutes(bad)).toEqual({ ok: false, error: expect.stringMatching(/1 to 240 minutes/) });
    }
  });

  it('R71: a closing countdown is one of 0, 10, 15, 30, 60 or 120 seconds; an empty field is not 0', () => {
    for (const n of [0, 10, 15, 30, 60, 120]) expect(checkClosingSeconds(n)).toEqual({ ok: true, value: n });
    expect(checkClosingSeconds('30')).toEqual({ ok: true, value: 30 });
    for (const bad of ['', '  ', null, undefined, 5, 45, 61]) {
      expect(checkClosingSeconds(bad)).toMatchObject({ ok: false });
    }
  });
});

describe('getLocation', () => {
  const carol = asUserId('carol_0001');
  const dave = asUserId('dave_00001');
  const room = asRoomId('room_00001');
  const roomOf = new Map([[carol, room]]);
  const running = getSessionPhase({ session: session(), now: T0 });

  it('R75: during a session an assigned participant is in their room; the unassigned are in the main room', () => {
    expect(getLocation({ phase: running, roomOf, returned: new Set(), userId: carol })).toBe(room);
    expect(getLocation({ phase: running, roomOf, returned: new Set(), userId: dave })).toBeNull();
  });

  it('R75: "Back to main room" puts a participant in the main room for this run', () => {
    expect(getLocation({ phase: running, roomOf, returned: new Set([carol]), userId: carol })).toBeNull();
  });

  it('R72 R73: with no session everyone is in the main room, assignments or not', () => {
    expect(getLocation({ phase: { kind: 'idle' }, roomOf, returned: new Set(), userId: carol })).toBeNull();
  });

  it('R76: someone whose room was removed reads as unassigned, so is in the main room', () => {
    expect(getLocation({ phase: running, roomOf: new Map(), returned: new Set(), userId: carol })).toBeNull();
  });
});

describe('getClosedAt and the posting grace', () => {
  it('R71 R72: the rooms close when the countdown after the timer or the end (whichever came first) is over', () => {
    expect(getClosedAt(null)).toBeNull();
    expect(getClosedAt(session())).toBeNull();
    expect(getClosedAt(session({ endsAt: T0 + 10 * MINUTE, closingSeconds: 30 }))).toBe(
      T0 + 10 * MINUTE + 30_000
    );
    expect(getClosedAt(session({ closingAt: T0 + MINUTE, closingSeconds: 0 }))).toBe(T0 + MINUTE);
    const both = { endsAt: T0 + 10 * MINUTE, closingSeconds: 10 } as const;
    expect(getClosedAt(session({ ...both, closingAt: T0 + MINUTE }))).toBe(T0 + MINUTE + 10_000);
    expect(getClosedAt(session({ ...both, closingAt: T0 + 20 * MINUTE }))).toBe(T0 + 10 * MINUTE + 10_000);
  });

  it('R73: the closed moment agrees with getSessionPhase: idle from exactly then', () => {
    for (const s of [
      session({ endsAt: T0 + MINUTE, closingSeconds: 60 }),
      session({ closingAt: T0 + 2 * MINUTE, closingSeconds: 15 }),
      session({ endsAt: T0 + 5 * MINUTE, closingAt: T0 + MINUTE, closingSeconds: 0 })
    ]) {
      const closedAt = getClosedAt(s)!;
      expect(getSessionPhase({ session: s, now: closedAt - 1 }).kind).not.toBe('idle');
      expect(getSessionPhase({ session: s, now: closedAt })).toEqual({ kind: 'idle' });
    }
  });

  it('R73: posting in a room stays open for two minutes after the rooms closed, and not before or after', () => {
    expect(ROOM_POST_GRACE_MS).toBe(2 * MINUTE);
    const s = session({ endsAt: T0 + 10 * MINUTE, closingSeconds: 60 });
    const closedAt = T0 + 11 * MINUTE;
    expect(isInRoomPostGrace({ session: s, now: T0 + 10 * MINUTE + 30_000 })).toBe(false);
    expect(isInRoomPostGrace({ session: s, now: closedAt })).toBe(true);
    expect(isInRoomPostGrace({ session: s, now: closedAt + ROOM_POST_GRACE_MS - 1 })).toBe(true);
    expect(isInRoomPostGrace({ session: s, now: closedAt + ROOM_POST_GRACE_MS })).toBe(false);
    expect(isInRoomPostGrace({ session: session(), now: T0 + 600 * MINUTE })).toBe(false);
    expect(isInRoomPostGrace({ session: null, now: T0 })).toBe(false);
  });
});
