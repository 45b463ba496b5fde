/**
 * Time of the automatic assignment (SPEC R46): `distributeParticipants` spreading 10,000 participants over
 * 100 rooms, as a moderator's "Automatically assign" or "Reshuffle" runs it. Pure CPU in this process:
 * warm-up runs first (so the JIT has compiled it), then the median of the measured runs, each with a new seed.
 */
import { distributeParticipants, type Member, type Room } from '../src/lib/domain/breakout';
import { asRoomId, asUserId } from '../src/lib/domain/ids';

export interface AutoAssignResult {
  members: number;
  rooms: number;
  runs: number;
  warmupRuns: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export function measureAutoAssign({
  members: memberCount = 10_000,
  rooms: roomCount = 100,
  warmupRuns = 5,
  runs = 21
}: { members?: number; rooms?: number; warmupRuns?: number; runs?: number } = {}): AutoAssignResult {
  // Ids shaped like the server's (url-safe, 16 characters), in no particular order.
  const members: Member[] = Array.from({ length: memberCount }, (_, i) => ({
    userId: asUserId(`u${((i * 7919) % memberCount).toString(36).padStart(15, '0')}`),
    isModerator: false
  }));
  const rooms: Room[] = Array.from({ length: roomCount }, (_, i) => ({
    id: asRoomId(`room${i.toString(36).padStart(8, '0')}`),
    name: `Room ${i + 1}`,
    order: i + 1,
    seatCap: null
  }));
  const times: number[] = [];
  for (let run = 0; run < warmupRuns + runs; run++) {
    const started = performance.now();
    const spread = distributeParticipants({ members, rooms, seed: 0x9e3779b9 + run });
    const elapsed = performance.now() - started;
    if (spread.size !== memberCount) {
      throw new Error(`distributeParticipants placed ${spread.size} of ${memberCount} participants`);
    }
    if (run >= warmupRuns) times.push(elapsed);
  }
  times.sort((a, b) => a - b);
  return {
    members: memberCount,
    rooms: roomCount,
    runs,
    warmupRuns,
    medianMs: times[Math.floor(times.length / 2)],
    minMs: times[0],
    maxMs: times[times.length - 1]
  };
}
