import { describe, expect, it } from 'vitest';
import {
  checkRoomCount,
  checkRoomName,
  checkSeatCap,
  distributeParticipants,
  pickRoomForLateJoiner,
  tidyBreakout,
  type Assignment,
  type BreakoutState,
  type Member,
  type Room
} from './breakout';
import { asRoomId, asUserId, type UserId } from './ids';

const room = (id: string, order: number, seatCap: number | null = null, name = `Room ${order}`): Room => ({
  id: asRoomId(id),
  name,
  order,
  seatCap
});
const people = (n: number, prefix = 'p'): Member[] =>
  Array.from({ length: n }, (_, i) => ({
    userId: asUserId(`${prefix}${String(i).padStart(5, '0')}`),
    isModerator: false
  }));
const assign = (entries: Array<[string, string, number]>): Map<UserId, Assignment> =>
  new Map(entries.map(([u, r, at]) => [asUserId(u), { roomId: asRoomId(r), at }]));

function sizes(result: Map<UserId, string>, rooms: Room[]): number[] {
  return rooms.map((r) => [...result.values()].filter((id) => id === r.id).length);
}

describe('distributeParticipants', () => {
  it('R46: room sizes differ by at most one, for many shapes', () => {
    for (const [n, r] of [
      [0, 3],
      [1, 3],
      [7, 3],
      [10, 10],
      [101, 7],
      [1000, 100]
    ]) {
      const rooms = Array.from({ length: r }, (_, i) => room(`r${i}`, i + 1));
      const result = distributeParticipants({ members: people(n), rooms, seed: 42 });
      expect(result.size).toBe(n);
      const s = sizes(result, rooms);
      expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
    }
  });

  it('R46: deterministic for a seed, whatever the input order; another seed reshuffles', () => {
    const rooms = [room('a', 1), room('b', 2), room('c', 3)];
    const members = people(30);
    const first = distributeParticipants({ members, rooms, seed: 7 });
    const again = distributeParticipants({
      members: [...members].reverse(),
      rooms: [...rooms].reverse(),
      seed: 7
    });
    expect([...again].sort()).toEqual([...first].sort());
    const other = distributeParticipants({ members, rooms, seed: 8 });
    expect([...other].sort()).not.toEqual([...first].sort());
  });

  it('R46: moderators are never assigned', () => {
    const members: Member[] = [...people(5), { userId: asUserId('mod00001'), isModerator: true }];
    const result = distributeParticipants({ members, rooms: [room('a', 1), room('b', 2)], seed: 1 });
    expect(result.has(asUserId('mod00001'))).toBe(false);
    expect(result.size).toBe(5);
  });

  it('R46: no rooms, no assignments', () => {
    expect(distributeParticipants({ members: people(3), rooms: [], seed: 1 }).size).toBe(0);
  });
});

describe('tidyBreakout', () => {
  const members = people(4);
  const [p0, p1, p2, p3] = members.map((m) => m.userId);

  it('R43: assignments to a removed room, of moderators and of non-members read as unassigned', () => {
    const state: BreakoutState = {
      mode: 'manual',
      rooms: [room('a', 1)],
      assignments: assign([
        [p0, 'a', 1],
        [p1, 'gone', 2],
        ['mod00001', 'a', 3],
        ['left0001', 'a', 4]
      ])
    };
    const view = tidyBreakout({
      state,
      members: [...members, { userId: asUserId('mod00001'), isModerator: true }]
    });
    expect(view.rooms[0].members).toEqual([p0]);
    expect(view.unassigned).toEqual([p1, p2, p3]);
    expect(view.roomOf.get(p1)).toBeUndefined();
    expect(view.roomOf.has(asUserId('mod00001'))).toBe(false);
  });

  it('R44: over a cap in choose mode, the earliest assignments keep their seats (time, then id)', () => {
    const state: BreakoutState = {
      mode: 'choose',
      rooms: [room('a', 1, 2)],
      assignments: assign([
        [p3, 'a', 5],
        [p2, 'a', 1],
        [p1, 'a', 5],
        [p0, 'a', 9]
      ])
    };
    const view = tidyBreakout({ state, members });
    expect(view.rooms[0].members).toEqual([p2, p1]);
    expect(view.unassigned).toEqual([p0, p3]);
  });

  it('R44: caps do not bind in manual mode', () => {
    const state: BreakoutState = {
      mode: 'manual',
      rooms: [room('a', 1, 1)],
      assignments: assign([
        [p0, 'a', 1],
        [p1, 'a', 2]
      ])
    };
    expect(tidyBreakout({ state, members }).rooms[0].members).toEqual([p0, p1]);
  });

  it('R45: rooms ordered by position then id; R41: duplicate names are flagged', () => {
    const state: BreakoutState = {
      mode: 'manual',
      rooms: [room('z', 2, null, 'Same'), room('b', 1), room('a', 2, null, 'Same')],
      assignments: new Map()
    };
    const view = tidyBreakout({ state, members });
    expect(view.rooms.map((r) => r.id)).toEqual(['b', 'a', 'z']);
    expect(view.rooms.map((r) => r.hasDuplicateName)).toEqual([false, true, true]);
  });
});

describe('pickRoomForLateJoiner', () => {
  it('R47: the smallest room, the first in order on a tie; null without rooms', () => {
    const members = people(3);
    const state: BreakoutState = {
      mode: 'automatic',
      rooms: [room('a', 1), room('b', 2), room('c', 3)],
      assignments: assign([
        [members[0].userId, 'a', 1],
        [members[1].userId, 'c', 1],
        [members[2].userId, 'a', 2]
      ])
    };
    expect(pickRoomForLateJoiner(tidyBreakout({ state, members }))).toBe('b');
    const tie: BreakoutState = { ...state, assignments: new Map() };
    expect(pickRoomForLateJoiner(tidyBreakout({ state: tie, members }))).toBe('a');
    expect(
      pickRoomForLateJoiner(tidyBreakout({ state: { ...state, rooms: [], assignments: new Map() }, members }))
    ).toBeNull();
  });
});

describe('input checks', () => {
  it('R49: room counts 1–100, names 1–64 characters, caps 1–1000 or empty', () => {
    expect([0, 1, 100, 101, 2.5, '3'].map((v) => checkRoomCount(v).ok)).toEqual([
      false,
      true,
      true,
      false,
      false,
      false
    ]);
    expect(checkRoomName('  Ideas  ')).toEqual({ ok: true, value: 'Ideas' });
    expect(checkRoomName('   ').ok).toBe(false);
    expect(checkRoomName('x'.repeat(65)).ok).toBe(false);
    expect(checkSeatCap('')).toEqual({ ok: true, value: null });
    expect(checkSeatCap('4')).toEqual({ ok: true, value: 4 });
    expect([0, 1001, 1.5, 'x'].map((v) => checkSeatCap(v).ok)).toEqual([false, false, false, false]);
  });
});
