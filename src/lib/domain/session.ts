import type { RoomId, UserId } from './ids';
import { MAX_MESSAGE_CHARS } from './validation';
import type { Checked } from './validation';

/**
 * Breakout session rules (SPEC R70–R89). The control document stores only moments (when the session
 * started, when its timer ends, when closing began) and every replica derives the phase from them and
 * its clock, so a timer keeps running and ends the session with no moderator online.
 */
export const CLOSING_COUNTDOWN_CHOICES = [0, 10, 15, 30, 60, 120] as const;
export type ClosingSeconds = (typeof CLOSING_COUNTDOWN_CHOICES)[number];
export const DEFAULT_CLOSING_SECONDS: ClosingSeconds = 60;
export const MIN_TIMER_MINUTES = 1;
export const MAX_TIMER_MINUTES = 240;
export const MAX_BROADCAST_CHARS = MAX_MESSAGE_CHARS;

export interface SessionRecord {
  /** Identifies one run; a new start gets a new one. */
  runId: string;
  startedAt: number;
  /** End of the optional timer (ms); `null` = no timer. */
  endsAt: number | null;
  /** When "End breakout sessions" was pressed (ms); `null` while running. */
  closingAt: number | null;
  /** Length of the closing countdown, chosen when ending (or the default for a timer's end). */
  closingSeconds: ClosingSeconds;
  /** "Move participants automatically": take people into their room at once when it starts. */
  moveAutomatically: boolean;
  /** "Allow participants to return to the main room". */
  allowReturn: boolean;
}

export type SessionPhase =
  | { kind: 'idle' }
  | { kind: 'running'; runId: string; remainingMs: number | null }
  | { kind: 'closing'; runId: string; remainingMs: number };

/**
 * The phase at `now` (R71–R74): running until the timer ends or a moderator ends it, then closing for
 * `closingSeconds`, then idle again (everyone is back in the main room).
 */
export function getSessionPhase({
  session,
  now
}: {
  session: SessionRecord | null;
  now: number;
}): SessionPhase {
  if (!session) return { kind: 'idle' };
  const closingStart =
    session.closingAt !== null
      ? session.endsAt !== null
        ? Math.min(session.closingAt, session.endsAt)
        : session.closingAt
      : session.endsAt;
  if (closingStart === null || now < closingStart) {
    return {
      kind: 'running',
      runId: session.runId,
      remainingMs: session.endsAt === null ? null : session.endsAt - now
    };
  }
  const closesAt = closingStart + session.closingSeconds * 1000;
  if (now < closesAt) return { kind: 'closing', runId: session.runId, remainingMs: closesAt - now };
  return { kind: 'idle' };
}

/**
 * How long after the rooms closed a participant who was in one may still post in its chat (R73): a
 * message sent in the last moments of a session, delivered late, is kept instead of refused.
 */
export const ROOM_POST_GRACE_MS = 120_000;

/**
 * When the rooms close (R71, R72): the end of the closing countdown that began with the timer's end or
 * with "End breakout sessions", whichever came first; `null` for a session with neither (it runs until
 * a moderator ends it). The moment may still be ahead while the session runs or closes.
 */
export function getClosedAt(session: SessionRecord | null): number | null {
  if (!session) return null;
  const closingStart =
    session.closingAt !== null
      ? session.endsAt !== null
        ? Math.min(session.closingAt, session.endsAt)
        : session.closingAt
      : session.endsAt;
  return closingStart === null ? null : closingStart + session.closingSeconds * 1000;
}

/**
 * True from the moment the rooms closed until `ROOM_POST_GRACE_MS` later (R73): the window in which the
 * people who were in a room at the end may still post in its chat. False while the session runs or
 * closes (they are in their rooms then) and without a session.
 */
export function isInRoomPostGrace({ session, now }: { session: SessionRecord | null; now: number }): boolean {
  const closedAt = getClosedAt(session);
  return closedAt !== null && now >= closedAt && now < closedAt + ROOM_POST_GRACE_MS;
}

/** True while people are in rooms (running or closing). */
export function isSessionActive(phase: SessionPhase): boolean {
  return phase.kind !== 'idle';
}

export function checkTimerMinutes(value: unknown): Checked<number | null> {
  if (value === null || value === undefined || value === '') return { ok: true, value: null };
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < MIN_TIMER_MINUTES || n > MAX_TIMER_MINUTES) {
    return {
      ok: false,
      error: `A timer runs from ${MIN_TIMER_MINUTES} to ${MAX_TIMER_MINUTES} minutes, or leave it empty for none.`
    };
  }
  return { ok: true, value: n };
}

export function checkClosingSeconds(value: unknown): Checked<ClosingSeconds> {
  // `Number('')` is 0: an empty field must not quietly mean "no countdown".
  const n = typeof value === 'string' ? (value.trim() === '' ? NaN : Number(value)) : value;
  if (!(CLOSING_COUNTDOWN_CHOICES as readonly unknown[]).includes(n)) {
    return { ok: false, error: 'Choose a closing countdown of 0, 10, 15, 30, 60 or 120 seconds.' };
  }
  return { ok: true, value: n as ClosingSeconds };
}

/** Where a member is during a session (R75, R76): their room, or the main room (`null`). */
export function getLocation({
  phase,
  roomOf,
  returned,
  userId
}: {
  phase: SessionPhase;
  roomOf: ReadonlyMap<UserId, RoomId>;
  /** Participants who went "Back to main room" during this run. */
  returned: ReadonlySet<UserId>;
  userId: UserId;
}): RoomId | null {
  if (!isSessionActive(phase) || returned.has(userId)) return null;
  return roomOf.get(userId) ?? null;
}
