import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  applyAwarenessUpdate,
  Awareness,
  encodeAwarenessUpdate,
  modifyAwarenessUpdate
} from 'y-protocols/awareness';
import { asUserId } from '../domain/ids';
import { makePresenceUser, presenceColor } from '../domain/presence';
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

  it('R96: undo and redo act on this tab’s own setup commands, one at a time; canUndo and canRedo follow', () => {
    const { doc, state } = setup();
    expect([state.canUndo, state.canRedo]).toEqual([false, false]);
    state.createRooms({ count: 2, mode: 'automatic', seed: 42 });
    // Creating and spreading the people is one step.
    expect(state.unassigned).toEqual([]);
    const [first] = state.rooms;
    state.renameRoom(first.id, 'Ideas');
    expect([state.canUndo, state.canRedo]).toEqual([true, false]);

    // A co-moderator's change (arriving from elsewhere) is not this tab's to undo.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    const remote = new BreakoutSetupState({ doc: other, userId: 'bob00000', getMembers: () => members });
    remote.assign([asUserId('carol000')], remote.rooms[1].id);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other), 'provider');
    const carolsRoom = state.view.roomOf.get(asUserId('carol000'));

    expect(state.undo()).toBe(true);
    expect(state.rooms.map((r) => r.name)).toEqual(['Room 1', 'Room 2']);
    expect(state.view.roomOf.get(asUserId('carol000'))).toBe(carolsRoom);
    expect([state.canUndo, state.canRedo]).toEqual([true, true]);
    expect(state.redo()).toBe(true);
    expect(state.rooms[0].name).toBe('Ideas');

    state.undo();
    state.undo();
    expect(state.hasRooms).toBe(false);
    expect([state.canUndo, state.canRedo]).toEqual([false, true]);
    expect(state.undo()).toBe(false);
    expect(state.notice).toBeNull();
    state.destroy();
    remote.destroy();
  });

  it('R96: undoing a rename a co-moderator has since overwritten keeps their name and says so', () => {
    const { doc, state } = setup();
    state.createRooms({ count: 2, mode: 'manual' });
    const [first] = state.rooms;
    state.renameRoom(first.id, 'Mine');
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    const remote = new BreakoutSetupState({ doc: other, userId: 'bob00000', getMembers: () => members });
    remote.renameRoom(first.id, 'Bob’s');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other), 'provider');

    expect(state.undo()).toBe(false);
    expect(state.rooms.map((r) => r.name)).toEqual(['Bob’s', 'Room 2']);
    expect(state.notice).toMatch(/someone else has changed that since/);
    // The next command clears the notice.
    state.addRoom();
    expect(state.notice).toBeNull();
    state.destroy();
    remote.destroy();
  });

  it('R50, R96: after the setup was deleted, nothing is left to undo', () => {
    const { state } = setup();
    state.createRooms({ count: 2, mode: 'manual' });
    state.clearLocal();
    expect([state.canUndo, state.canRedo]).toEqual([false, false]);
    expect(state.undo()).toBe(false);
    expect(state.hasRooms).toBe(false);
    state.destroy();
  });

  it('R95: shows co-moderators (not oneself, not participants) and what they work on', () => {
    const tabs = [
      { userId: 'alice000', displayName: 'Alice' },
      { userId: 'bob00000', displayName: 'Bob' },
      { userId: 'carol000', displayName: 'Carol' }
    ].map((who) => ({ awareness: new Awareness(new Y.Doc()), user: makePresenceUser(who) }));
    // Stands for the server: stamps each tab's identity on its presence and passes it on (R95).
    for (const from of tabs) {
      from.awareness.on(
        'update',
        ({ added, updated, removed }: Record<'added' | 'updated' | 'removed', number[]>, origin: unknown) => {
          if (origin === 'server') return;
          const update = modifyAwarenessUpdate(
            encodeAwarenessUpdate(from.awareness, added.concat(updated, removed)),
            (s: object | null) => (s === null ? null : { ...s, user: from.user })
          );
          for (const to of tabs) if (to !== from) applyAwarenessUpdate(to.awareness, update, 'server');
        }
      );
    }
    const doc = new Y.Doc();
    const alice = new BreakoutSetupState({
      doc,
      userId: 'alice000',
      getMembers: () => members,
      awareness: tabs[0].awareness
    });
    const bob = new BreakoutSetupState({
      doc,
      userId: 'bob00000',
      getMembers: () => members,
      awareness: tabs[1].awareness
    });
    for (const tab of tabs) tab.awareness.setLocalState(tab.awareness.getLocalState());
    alice.createRooms({ count: 2, mode: 'manual' });
    const [first, second] = alice.rooms;

    expect(alice.presence.coModerators.map((p) => [p.name, p.color])).toEqual([
      ['Bob', presenceColor('bob00000')]
    ]);
    bob.presence.start(first.id, 'renaming');
    expect(alice.presence.editorsOf(first.id).map((e) => e.label)).toEqual(['Bob is renaming']);
    expect(alice.presence.editorsOf(second.id)).toEqual([]);

    // Focus moved on to another room before the first one's blur arrived: the late stop changes nothing.
    bob.presence.start(second.id, 'assigning');
    bob.presence.stop('renaming', first.id);
    expect(alice.presence.editorsOf(second.id).map((e) => e.label)).toEqual(['Bob is moving people']);
    bob.presence.stop('assigning');
    expect(alice.presence.editorsOf(second.id)).toEqual([]);
    expect(bob.presence.editing).toBeNull();

    alice.destroy();
    bob.destroy();
    for (const tab of tabs) tab.awareness.destroy();
  });
});
