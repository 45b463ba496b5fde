import { getClosedAt, type SessionRecord } from '../../src/lib/domain/session';

/**
 * The next moment after `now` at which the session's phase changes by the clock alone (R71, R72): the
 * start of closing (the timer's end, or a closing moment still ahead), then the end of closing, when
 * everyone is back in the main room. `null` when no such change is ahead (no session, no timer and not
 * ending, or already over). A moderator's command changes the control document instead, which the hub
 * hears of directly.
 */
export function getNextPhaseChange(session: SessionRecord | null, now: number): number | null {
  const closedAt = getClosedAt(session);
  if (session === null || closedAt === null) return null;
  const closingStart = closedAt - session.closingSeconds * 1000;
  if (now < closingStart) return closingStart;
  if (now < closedAt) return closedAt;
  return null;
}
