import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '../../src/lib/domain/session';
import { getNextPhaseChange } from './phase';

const session = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  runId: 'run',
  startedAt: 1_000,
  endsAt: null,
  closingAt: null,
  closingSeconds: 60,
  moveAutomatically: true,
  allowReturn: false,
  ...overrides
});

describe('getNextPhaseChange', () => {
  it('R115: with a timer, the timer’s end and then the end of closing', () => {
    const timed = session({ endsAt: 61_000, closingSeconds: 10 });
    expect(getNextPhaseChange(timed, 2_000)).toBe(61_000);
    expect(getNextPhaseChange(timed, 61_000)).toBe(71_000);
    expect(getNextPhaseChange(timed, 70_999)).toBe(71_000);
    expect(getNextPhaseChange(timed, 71_000)).toBeNull();
  });

  it('R115: an ended session changes when its closing countdown is over; an earlier timer end wins', () => {
    expect(getNextPhaseChange(session({ closingAt: 5_000, closingSeconds: 0 }), 5_000)).toBeNull();
    expect(getNextPhaseChange(session({ closingAt: 5_000, closingSeconds: 15 }), 6_000)).toBe(20_000);
    expect(getNextPhaseChange(session({ endsAt: 4_000, closingAt: 5_000, closingSeconds: 15 }), 4_500)).toBe(
      19_000
    );
  });

  it('R115: nothing is due without a session, or for a session with no timer that nobody ended', () => {
    expect(getNextPhaseChange(null, 0)).toBeNull();
    expect(getNextPhaseChange(session(), 10_000_000)).toBeNull();
  });
});
