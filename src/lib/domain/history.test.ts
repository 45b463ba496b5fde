import { describe, expect, it } from 'vitest';
import {
  describeControlChanges,
  getHistoryActor,
  newestFirst,
  SERVER_ACTOR_ID,
  SERVER_NAME,
  type ControlChange,
  type HistoryActor,
  type HistoryEntry
} from './history';

const ROOMS: Record<string, string> = { r1: 'Room 1', r2: 'Room 2', r3: 'Room 3', g: 'Garden' };
const PEOPLE: Record<string, string> = { carol: 'Carol', dave: 'Dave', bob: 'Bob', alice: 'Alice' };

function texts(
  changes: ControlChange[],
  actor: Pick<HistoryActor, 'actorId' | 'actorName' | 'reason'> = {
    actorId: 'bob',
    actorName: 'Bob',
    reason: null
  }
): string[] {
  return describeControlChanges({
    changes,
    actor,
    roomName: (id) => ROOMS[id] ?? 'a removed room',
    memberName: (id) => PEOPLE[id] ?? 'a former member'
  }).map((d) => d.text);
}

const alice = { actorId: 'alice', actorName: 'Alice', reason: null };

describe('describeControlChanges', () => {
  it('R97: rooms: a rename, an addition, a removal and a seat cap', () => {
    expect(texts([{ kind: 'roomRenamed', roomId: 'g', from: 'Room 1', to: 'Garden' }])).toEqual([
      'Bob renamed “Room 1” to “Garden”'
    ]);
    expect(texts([{ kind: 'roomAdded', roomId: 'r3', name: 'Room 3' }], alice)).toEqual([
      'Alice added Room 3'
    ]);
    expect(texts([{ kind: 'roomRemoved', roomId: 'r2' }], alice)).toEqual(['Alice removed Room 2']);
    expect(texts([{ kind: 'seatCap', roomId: 'r1', from: null, to: 4 }], alice)).toEqual([
      'Alice set a seat cap of 4 on Room 1'
    ]);
    expect(texts([{ kind: 'seatCap', roomId: 'r1', from: 4, to: null }], alice)).toEqual([
      'Alice removed the seat cap of Room 1'
    ]);
  });

  it('R97: people: assigned, moved, moved back to unassigned', () => {
    expect(texts([{ kind: 'assignment', userId: 'carol', from: null, to: 'r2' }])).toEqual([
      'Bob assigned Carol to Room 2'
    ]);
    expect(texts([{ kind: 'assignment', userId: 'carol', from: 'r1', to: 'r2' }])).toEqual([
      'Bob moved Carol from Room 1 to Room 2'
    ]);
    expect(texts([{ kind: 'assignment', userId: 'carol', from: 'r2', to: null }])).toEqual([
      'Bob moved Carol back to unassigned'
    ]);
    expect(texts([{ kind: 'assignment', userId: 'gone', from: 'r2', to: 'old' }])).toEqual([
      'Bob moved a former member from Room 2 to a removed room'
    ]);
  });

  it('R97: many assignment changes in one transaction are one entry with a count', () => {
    type Move = Extract<ControlChange, { kind: 'assignment' }>;
    const spread: Move[] = Array.from({ length: 12 }, (_, i) => ({
      kind: 'assignment' as const,
      userId: `p${i}`,
      from: null,
      to: i % 2 ? 'r1' : 'r2'
    }));
    expect(texts([...spread, { kind: 'seed' }], alice)).toEqual([
      'Alice assigned 12 participants automatically'
    ]);
    expect(texts([spread[0], { kind: 'seed' }], alice)).toEqual([
      'Alice assigned 1 participant automatically'
    ]);
    expect(texts(spread, alice)).toEqual(['Alice changed the rooms of 12 participants']);
    const toOne = spread.map((c) => ({ ...c, to: 'r1' }));
    expect(texts(toOne, alice)).toEqual(['Alice moved 12 participants to Room 1']);
    const back = spread.map((c) => ({ ...c, from: 'r1', to: null }));
    expect(texts(back, alice)).toEqual(['Alice moved 12 participants back to unassigned']);
    // A few stay separate: each person is named.
    expect(texts(spread.slice(0, 2), alice)).toEqual([
      'Alice assigned a former member to Room 2',
      'Alice assigned a former member to Room 1'
    ]);
  });

  it('R97: the mode, with its label', () => {
    expect(texts([{ kind: 'mode', from: 'manual', to: 'choose' }], alice)).toEqual([
      'Alice set the mode to “Allow participants to choose”'
    ]);
    expect(texts([{ kind: 'mode', from: null, to: 'manual' }], alice)).toEqual([
      'Alice set the mode to “Manually assign”'
    ]);
  });

  it('R97: the first setup: the rooms in one entry, then the mode', () => {
    expect(
      texts(
        [
          { kind: 'roomAdded', roomId: 'r1', name: 'Room 1' },
          { kind: 'roomAdded', roomId: 'r2', name: 'Room 2' },
          { kind: 'roomAdded', roomId: 'r3', name: 'Room 3' },
          { kind: 'mode', from: null, to: 'manual' }
        ],
        alice
      )
    ).toEqual(['Alice added 3 rooms: Room 1, Room 2 and Room 3', 'Alice set the mode to “Manually assign”']);
    const many = Array.from({ length: 12 }, (_, i) => ({
      kind: 'roomAdded' as const,
      roomId: `x${i}`,
      name: `Room ${i + 1}`
    }));
    expect(texts(many, alice)).toEqual(['Alice added 12 rooms']);
  });

  it('R97, R43: removing a room does not also list its people as moved back', () => {
    expect(
      texts(
        [
          { kind: 'roomRemoved', roomId: 'r2' },
          { kind: 'assignment', userId: 'carol', from: 'r2', to: null },
          { kind: 'assignment', userId: 'dave', from: 'r1', to: null }
        ],
        alice
      )
    ).toEqual(['Alice removed Room 2', 'Alice moved Dave back to unassigned']);
  });

  it('R97, R50: deleting the breakout rooms is one entry', () => {
    expect(
      texts(
        [
          { kind: 'roomRemoved', roomId: 'r1' },
          { kind: 'roomRemoved', roomId: 'r2' },
          { kind: 'assignment', userId: 'carol', from: 'r2', to: null },
          { kind: 'mode', from: 'manual', to: null }
        ],
        alice
      )
    ).toEqual(['Alice deleted the breakout rooms']);
  });

  it('R97: sessions: started with or without a timer, extended, ended with a countdown', () => {
    expect(texts([{ kind: 'sessionStarted', timerMinutes: 30 }], alice)).toEqual([
      'Alice started breakout sessions (30-minute timer)'
    ]);
    expect(texts([{ kind: 'sessionStarted', timerMinutes: null }], alice)).toEqual([
      'Alice started breakout sessions'
    ]);
    expect(texts([{ kind: 'timerExtended' }], alice)).toEqual(['Alice extended the timer']);
    expect(texts([{ kind: 'sessionEnded', closingSeconds: 10 }], alice)).toEqual([
      'Alice ended breakout sessions (10 s countdown)'
    ]);
    expect(texts([{ kind: 'sessionEnded', closingSeconds: 0 }], alice)).toEqual([
      'Alice ended breakout sessions (no countdown)'
    ]);
  });

  it('R97: the server’s writes: a late joiner placed by Parley, a participant’s own choice', () => {
    const lateJoiner = getHistoryActor({
      kind: 'server',
      actor: { userId: 'dave', displayName: 'Dave' },
      reason: 'late-joiner'
    });
    expect(lateJoiner).toEqual({
      actorId: SERVER_ACTOR_ID,
      actorName: SERVER_NAME,
      merged: false,
      reason: 'late-joiner'
    });
    expect(texts([{ kind: 'assignment', userId: 'dave', from: null, to: 'r2' }], lateJoiner)).toEqual([
      'Parley placed Dave in Room 2 (joined late)'
    ]);

    const choice = getHistoryActor({
      kind: 'server',
      actor: { userId: 'carol', displayName: 'Carol' },
      reason: 'intent'
    });
    expect(choice).toMatchObject({ actorId: 'carol', actorName: 'Carol', merged: false });
    expect(texts([{ kind: 'assignment', userId: 'carol', from: 'r2', to: 'r1' }], choice)).toEqual([
      'Carol chose Room 1'
    ]);
    expect(getHistoryActor({ kind: 'server', actor: null, reason: null })).toMatchObject({
      actorId: SERVER_ACTOR_ID,
      actorName: SERVER_NAME
    });
  });

  it('R97: a member’s change names the connection’s identity and keeps “merged”', () => {
    expect(getHistoryActor({ kind: 'member', userId: 'bob', displayName: 'Bob', merged: true })).toEqual({
      actorId: 'bob',
      actorName: 'Bob',
      merged: true,
      reason: null
    });
  });

  it('R97: nothing visible, nothing said', () => {
    expect(texts([])).toEqual([]);
    expect(texts([{ kind: 'seed' }])).toEqual([]);
    expect(texts([{ kind: 'assignment', userId: 'carol', from: 'r1', to: 'r1' }])).toEqual([]);
    expect(texts([{ kind: 'roomRenamed', roomId: 'r1', from: 'A', to: 'A' }])).toEqual([]);
    expect(texts([{ kind: 'mode', from: 'manual', to: 'manual' }])).toEqual([]);
  });

  it('R97: one transaction with several kinds of change (offline work merged) lists them in a fixed order', () => {
    expect(
      texts(
        [
          { kind: 'assignment', userId: 'carol', from: 'r1', to: 'r2' },
          { kind: 'roomAdded', roomId: 'r3', name: 'Room 3' },
          { kind: 'roomRenamed', roomId: 'g', from: 'Room 1', to: 'Garden' }
        ],
        alice
      )
    ).toEqual([
      'Alice added Room 3',
      'Alice renamed “Room 1” to “Garden”',
      'Alice moved Carol from Room 1 to Room 2'
    ]);
  });
});

describe('newestFirst', () => {
  it('R97: newest first; entries of one moment keep their written order, reversed', () => {
    const entry = (id: string, at: number): HistoryEntry => ({
      id,
      at,
      actorId: 'a',
      actorName: 'A',
      merged: false,
      kind: 'assignment',
      text: id
    });
    expect(
      newestFirst([entry('a', 1), entry('b', 2), entry('c', 2), entry('d', 3)]).map((e) => e.id)
    ).toEqual(['d', 'c', 'b', 'a']);
  });
});
