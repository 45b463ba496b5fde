import { describe, expect, it } from 'vitest';
import type { BreakoutState, Member, Room } from './breakout';
import { asRoomId, asUserId, type UserId } from './ids';
import { exportSetup, setupDiff } from './setupDiff';

const room = (id: string, name: string, order: number, seatCap: number | null = null): Room => ({
  id: asRoomId(id),
  name,
  order,
  seatCap
});

const members: Member[] = [
  { userId: asUserId('alice000'), isModerator: true },
  { userId: asUserId('bob00000'), isModerator: false },
  { userId: asUserId('carol000'), isModerator: false },
  { userId: asUserId('dave0000'), isModerator: false }
];
const NAMES: Record<string, string> = {
  alice000: 'Alice',
  bob00000: 'Bob',
  carol000: 'Carol',
  dave0000: 'Dave'
};
const nameOf = (id: UserId) => NAMES[id] ?? 'Unknown member';

function state(
  rooms: Room[],
  assignments: Record<string, string> = {},
  mode: BreakoutState['mode'] = 'manual'
): BreakoutState {
  return {
    mode,
    rooms,
    assignments: new Map(
      Object.entries(assignments).map(([userId, roomId]) => [
        asUserId(userId),
        { roomId: asRoomId(roomId), at: 1 }
      ])
    )
  };
}

const r1 = room('room0001', 'Room 1', 1);
const r2 = room('room0002', 'Room 2', 2);

describe('setupDiff', () => {
  it('R94: equal setups have no differences', () => {
    const s = state([r1, r2], { carol000: 'room0001' });
    expect(setupDiff({ mine: s, server: s, members, nameOf })).toEqual([]);
  });

  it('R94: lists a rename and a person whose room differs, with names from the member list', () => {
    const server = state([r1, r2], { carol000: 'room0001' });
    const mine = state([{ ...r1, name: 'Garden' }, r2], { carol000: 'room0002' });
    expect(setupDiff({ mine, server, members, nameOf }).map((c) => c.text)).toEqual([
      'Room “Garden” (renamed) — “Room 1” on the server',
      'Carol: “Room 2” here, “Room 1” on the server'
    ]);
  });

  it('R94: rooms added here and rooms only the server has, the mode and seat caps', () => {
    const server = state([r1, r2], {}, 'manual');
    const mine = state([{ ...r1, seatCap: 5 }, room('room0003', 'Garden', 3)], {}, 'choose');
    expect(setupDiff({ mine, server, members, nameOf })).toEqual([
      {
        kind: 'mode',
        text: 'Assignment: “Allow participants to choose” here, “Manually assign” on the server'
      },
      { kind: 'seatCap', text: 'Room “Room 1”: 5 seats here, no seat cap on the server' },
      { kind: 'roomAdded', text: 'Room “Garden” (added) — not on the server' },
      { kind: 'roomRemoved', text: 'Room “Room 2” (removed) — still on the server' }
    ]);
  });

  it('R43, R94: people are compared by the tidy view: the main room, removed rooms, moderators', () => {
    // Dave's assignment to a room that does not exist here reads as the main room (R43); the moderator's
    // stray assignment is no difference at all.
    const server = state([r1, r2], { dave0000: 'room0002', alice000: 'room0001' });
    const mine = state([r1], { bob00000: 'room0001', dave0000: 'room0002' });
    expect(
      setupDiff({ mine, server, members, nameOf })
        .filter((c) => c.kind === 'person')
        .map((c) => c.text)
    ).toEqual([
      'Bob: “Room 1” here, main room on the server',
      'Dave: main room here, “Room 2” on the server'
    ]);
  });

  it('R94: no setup on one side says so', () => {
    const server: BreakoutState = { mode: null, rooms: [], assignments: new Map() };
    const mine = state([r1]);
    expect(setupDiff({ mine, server, members, nameOf }).map((c) => c.text)).toEqual([
      'Assignment: “Manually assign” here, no breakout rooms on the server',
      'Room “Room 1” (added) — not on the server'
    ]);
  });
});

describe('exportSetup', () => {
  it('R94: writes rooms in order with the names of their people, and the main room', () => {
    const s = state([r2, r1], { carol000: 'room0002' });
    expect(exportSetup({ state: s, members, nameOf })).toEqual({
      mode: 'manual',
      rooms: [
        { id: 'room0001', name: 'Room 1', seatCap: null, people: [] },
        { id: 'room0002', name: 'Room 2', seatCap: null, people: ['Carol'] }
      ],
      mainRoom: ['Bob', 'Dave']
    });
  });
});
