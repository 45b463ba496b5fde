import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { asUserId } from '../domain/ids';
import type { MetaMember } from '../sync/schema';
import { BreakoutSetupState, previewAutoAssign } from './breakout.svelte';

function member(userId: string, displayName: string, role: MetaMember['role']): MetaMember {
  return { userId, displayName, username: userId, kind: 'account', role, joinedAt: 0 };
}

const members = [
  member('alice000', 'Alice', 'owner'),
  member('bob00000', 'Bob', 'moderator'),
  member('carol000', 'Carol', 'participant'),
  member('dave0000', 'Dave', 'guest'),
  member('erin0000', 'Erin', 'participant')
];

function setup() {
  const doc = new Y.Doc();
  const state = new BreakoutSetupState({ doc, userId: 'alice000', getMembers: () => members });
  return { doc, state };
}

describe('BreakoutSetupState', () => {
  it('R41: creates rooms with default names and lists everyone unassigned, moderators left out', () => {
    const { state } = setup();
    expect(state.hasRooms).toBe(false);
    const created = state.createRooms({ count: 3, mode: 'manual' });
    expect(created.ok).toBe(true);
    expect(state.rooms.map((r) => r.name)).toEqual(['Room 1', 'Room 2', 'Room 3']);
    expect(state.mode).toBe('manual');
    expect(state.unassigned.map((p) => p.displayName)).toEqual(['Carol', 'Dave', 'Erin']);
    state.destroy();
  });

  it('R46: automatic setup writes exactly the previewed spread', () => {
    const { state } = setup();
    const seed = 12345;
    const preview = previewAutoAssign({ names: ['A', 'B'], members, seed });
    state.createRooms({ count: 2, mode: 'automatic', names: ['A', 'B'], seed });
    expect(
      state.rooms.map((r) => ({ name: r.name, people: r.people.map((p) => p.displayName).sort() }))
    ).toEqual(preview.map((r) => ({ name: r.name, people: r.people.map((p) => p.displayName).sort() })));
    const sizes = state.rooms.map((r) => r.people.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(state.unassigned).toEqual([]);
    state.destroy();
  });

  it('R43, R49: moves people, refuses moderators with a sentence, and a removed room frees its people', () => {
    const { state } = setup();
    state.createRooms({ count: 2, mode: 'manual' });
    const [first] = state.rooms;
    expect(state.assign([asUserId('carol000'), asUserId('dave0000')], first.id).ok).toBe(true);
    expect(state.rooms[0].people.map((p) => p.displayName)).toEqual(['Carol', 'Dave']);
    expect(state.error).toBeNull();

    const refused = state.assign([asUserId('bob00000')], first.id);
    expect(refused.ok).toBe(false);
    expect(state.error).toMatch(/participants/);

    expect(state.removeRoom(first.id).ok).toBe(true);
    expect(state.error).toBeNull();
    expect(state.rooms).toHaveLength(1);
    expect(state.unassigned.map((p) => p.displayName)).toEqual(['Carol', 'Dave', 'Erin']);
    state.destroy();
  });

  it('R41: flags duplicate names and follows changes made by another replica', () => {
    const { doc, state } = setup();
    state.createRooms({ count: 2, mode: 'manual' });
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    const remote = new BreakoutSetupState({ doc: other, userId: 'bob00000', getMembers: () => members });
    remote.renameRoom(remote.rooms[1].id, 'Room 1');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
    expect(state.rooms.map((r) => [r.name, r.hasDuplicateName])).toEqual([
      ['Room 1', true],
      ['Room 1', true]
    ]);
    state.destroy();
    remote.destroy();
  });

  it('clears the local copy after the server deleted the setup (R50)', () => {
    const { state } = setup();
    state.createRooms({ count: 2, mode: 'choose' });
    state.clearLocal();
    expect(state.hasRooms).toBe(false);
    expect(state.mode).toBeNull();
    state.destroy();
  });
});
