import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  applyAwarenessUpdate,
  Awareness,
  encodeAwarenessUpdate,
  modifyAwarenessUpdate
} from 'y-protocols/awareness';
import { asRoomId } from '../domain/ids';
import { makePresenceUser, presenceColor } from '../domain/presence';
import { createSetupPresence, type SetupPresence } from './presence';

const room1 = asRoomId('room_00001');
const room2 = asRoomId('room_00002');

const awarenesses: Awareness[] = [];
const presences: SetupPresence[] = [];

afterEach(() => {
  for (const presence of presences.splice(0)) presence.destroy();
  for (const awareness of awarenesses.splice(0)) awareness.destroy();
});

/** One tab of a signed-in user: its awareness, and its identity as the server stamps it (R95). */
function tab(userId: string, displayName: string) {
  const awareness = new Awareness(new Y.Doc());
  awarenesses.push(awareness);
  const presence = createSetupPresence(awareness);
  presences.push(presence);
  return { awareness, presence, user: makePresenceUser({ userId, displayName }) };
}

type Tab = ReturnType<typeof tab>;

/**
 * Stands for the sync server: every presence update of a tab reaches the others with the `user` field
 * overwritten by the tab's identity, whatever it said itself.
 */
function relay(tabs: Tab[]): void {
  for (const from of tabs) {
    from.awareness.on(
      'update',
      ({ added, updated, removed }: Record<'added' | 'updated' | 'removed', number[]>, origin: unknown) => {
        if (origin === 'server') return;
        const update = modifyAwarenessUpdate(
          encodeAwarenessUpdate(from.awareness, added.concat(updated, removed)),
          (state: Record<string, unknown> | null) => (state === null ? null : { ...state, user: from.user })
        );
        for (const to of tabs) if (to !== from) applyAwarenessUpdate(to.awareness, update, 'server');
      }
    );
  }
  // What each tab showed before the relay started.
  for (const from of tabs) from.awareness.setLocalState(from.awareness.getLocalState());
}

describe('setup presence (R95)', () => {
  it('R95: says what this tab works on; the others read it with the identity the server stamped', () => {
    const alice = tab('alice_0001', 'Alice');
    const bob = tab('bob_000001', 'Bob');
    relay([alice, bob]);
    // Whatever a client claims to be is overwritten on the way.
    alice.awareness.setLocalStateField('user', { id: 'mallory', name: 'Mallory' });

    alice.presence.setEditing({ roomId: room1, action: 'renaming' });
    expect(alice.presence.editing).toEqual({ roomId: room1, action: 'renaming' });
    expect(bob.presence.getPeers()).toEqual([
      {
        userId: 'alice_0001',
        name: 'Alice',
        color: presenceColor('alice_0001'),
        editing: { roomId: room1, action: 'renaming' }
      }
    ]);
    // Its own client is never among the peers.
    expect(alice.presence.getPeers().map((p) => p.name)).toEqual(['Bob']);

    alice.presence.setEditing(null);
    expect(bob.presence.getPeers()[0].editing).toBeNull();
  });

  it('R95: two tabs of one person are one peer, showing what either works on', () => {
    const alice = tab('alice_0001', 'Alice');
    const bobTab1 = tab('bob_000001', 'Bob');
    const bobTab2 = tab('bob_000001', 'Bob');
    relay([alice, bobTab1, bobTab2]);
    bobTab1.presence.setEditing({ roomId: room1, action: 'assigning' });
    bobTab2.presence.setEditing(null);
    expect(alice.presence.getPeers()).toEqual([
      {
        userId: 'bob_000001',
        name: 'Bob',
        color: presenceColor('bob_000001'),
        editing: { roomId: room1, action: 'assigning' }
      }
    ]);
    // Each of bob's tabs sees the other one (another client of the same user).
    expect(bobTab2.presence.getPeers().map((p) => p.name)).toEqual(['Alice', 'Bob']);
  });

  it('ignores presence that carries no identity (never stamped by the server)', () => {
    const alice = tab('alice_0001', 'Alice');
    const stranger = new Awareness(new Y.Doc());
    awarenesses.push(stranger);
    stranger.setLocalState({ editing: { roomId: room2, action: 'renaming' } });
    applyAwarenessUpdate(alice.awareness, encodeAwarenessUpdate(stranger, [stranger.clientID]), 'server');
    expect(alice.awareness.getStates().size).toBe(2);
    expect(alice.presence.getPeers()).toEqual([]);
  });

  it('tells listeners about changes, sends nothing for a repeated value, and clears on destroy', () => {
    const alice = tab('alice_0001', 'Alice');
    const bob = tab('bob_000001', 'Bob');
    relay([alice, bob]);
    let changes = 0;
    bob.presence.subscribe(() => changes++);
    alice.presence.setEditing({ roomId: room2, action: 'dragging' });
    expect(changes).toBe(1);
    const clock = alice.awareness.meta.get(alice.awareness.clientID)?.clock;
    alice.presence.setEditing({ roomId: room2, action: 'dragging' });
    expect(alice.awareness.meta.get(alice.awareness.clientID)?.clock).toBe(clock);

    // Announcing again sends the same state with a new clock (after a promotion, R95).
    alice.presence.announce();
    expect(alice.awareness.meta.get(alice.awareness.clientID)?.clock).toBe((clock ?? 0) + 1);

    alice.presence.destroy();
    expect(bob.presence.getPeers()[0].editing).toBeNull();
    // A destroyed presence says nothing more.
    alice.presence.setEditing({ roomId: room1, action: 'renaming' });
    expect(bob.presence.getPeers()[0].editing).toBeNull();
  });

  it('says nothing once the provider destroyed the awareness', () => {
    const alice = tab('alice_0001', 'Alice');
    alice.awareness.destroy();
    expect(() => alice.presence.setEditing({ roomId: room1, action: 'renaming' })).not.toThrow();
    expect(alice.awareness.getLocalState()).toBeNull();
  });
});
