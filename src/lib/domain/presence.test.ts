import { describe, expect, it } from 'vitest';
import {
  collectPeers,
  describeEditing,
  makePresenceUser,
  parseEditing,
  parsePresenceUser,
  PRESENCE_PALETTE,
  presenceColor
} from './presence';

/** WCAG relative luminance of a `#rrggbb` colour. */
function luminance(hex: string): number {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const contrastWithWhite = (hex: string) => 1.05 / (luminance(hex) + 0.05);

describe('presence colours', () => {
  it('R95: every colour of the palette reads against white (≥ 4.5:1) and the colours are distinct', () => {
    for (const color of PRESENCE_PALETTE) {
      expect(color).toMatch(/^#[0-9a-f]{6}$/);
      expect(contrastWithWhite(color), color).toBeGreaterThanOrEqual(4.5);
    }
    expect(new Set(PRESENCE_PALETTE).size).toBe(PRESENCE_PALETTE.length);
  });

  it('R95: the colour is derived from the user id: the same id always gets the same one', () => {
    expect(presenceColor('alice000')).toBe(presenceColor('alice000'));
    expect(PRESENCE_PALETTE).toContain(presenceColor('alice000'));
    expect(PRESENCE_PALETTE).toContain(presenceColor(''));
    // Ids spread over the palette rather than piling on one colour.
    const used = new Set(Array.from({ length: 200 }, (_, i) => presenceColor(`user${i}xyz`)));
    expect(used.size).toBeGreaterThanOrEqual(PRESENCE_PALETTE.length - 2);
  });

  it('R95: the server’s identity stamp carries id, name and the derived colour', () => {
    expect(makePresenceUser({ userId: 'bob00000', displayName: 'Bob' })).toEqual({
      id: 'bob00000',
      name: 'Bob',
      color: presenceColor('bob00000')
    });
  });
});

describe('presence states', () => {
  it('reads what a moderator works on, and nothing from malformed values', () => {
    expect(parseEditing({ roomId: 'room0001', action: 'renaming' })).toEqual({
      roomId: 'room0001',
      action: 'renaming'
    });
    expect(parseEditing({ roomId: 'room0001', action: 'juggling' })).toBeNull();
    expect(parseEditing({ roomId: '', action: 'dragging' })).toBeNull();
    expect(parseEditing({ roomId: 'x'.repeat(65), action: 'dragging' })).toBeNull();
    expect(parseEditing(null)).toBeNull();
    expect(parseEditing('renaming')).toBeNull();
  });

  it('a colour outside the palette (it ends up in a style) is replaced by the derived one', () => {
    expect(parsePresenceUser({ id: 'bob00000', name: 'Bob', color: 'red; background: url(x)' })).toEqual({
      id: 'bob00000',
      name: 'Bob',
      color: presenceColor('bob00000')
    });
    expect(parsePresenceUser({ name: 'Bob' })).toBeNull();
    expect(parsePresenceUser({ id: 'bob00000' })).toBeNull();
  });

  it('R95: one peer per user, own client left out, unstamped states ignored, the latest edit wins', () => {
    const bob = makePresenceUser({ userId: 'bob00000', displayName: 'Bob' });
    const alice = makePresenceUser({ userId: 'alice000', displayName: 'Alice' });
    const peers = collectPeers(
      [
        {
          clientId: 1,
          state: { user: alice, editing: { roomId: 'r1', action: 'renaming' } },
          lastUpdated: 9
        },
        { clientId: 2, state: { user: bob, editing: { roomId: 'r1', action: 'renaming' } }, lastUpdated: 1 },
        { clientId: 3, state: { user: bob, editing: { roomId: 'r2', action: 'dragging' } }, lastUpdated: 5 },
        { clientId: 4, state: { user: bob, editing: null }, lastUpdated: 8 },
        { clientId: 5, state: { name: 'Mallory' }, lastUpdated: 1 },
        { clientId: 6, state: null, lastUpdated: 1 }
      ],
      1
    );
    expect(peers).toEqual([
      { userId: 'bob00000', name: 'Bob', color: bob.color, editing: { roomId: 'r2', action: 'dragging' } }
    ]);

    const both = collectPeers(
      [
        { clientId: 2, state: { user: bob }, lastUpdated: 1 },
        { clientId: 1, state: { user: alice }, lastUpdated: 1 }
      ],
      99
    );
    expect(both.map((p) => [p.name, p.editing])).toEqual([
      ['Alice', null],
      ['Bob', null]
    ]);
  });

  it('labels say who does what in words (colour is never the only signal)', () => {
    expect(describeEditing('Bob', 'renaming')).toBe('Bob is renaming');
    expect(describeEditing('Bob', 'dragging')).toBe('Bob is dragging someone here');
    expect(describeEditing('Bob', 'assigning')).toBe('Bob is moving people');
  });
});
