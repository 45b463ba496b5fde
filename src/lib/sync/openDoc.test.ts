import { describe, expect, it } from 'vitest';
import { describeClose, getLocalDbName, getSyncUrl } from './openDoc';

describe('openDoc helpers', () => {
  it('R12, R14: explains the final close codes in words', () => {
    expect(describeClose(4403)).toBe('Your changes to this document were refused: you can only read it.');
    expect(describeClose(4401)).toBe('You are no longer a member of this conversation.');
    expect(describeClose(4499)).toContain('4499');
  });

  it('R94: a refused control document speaks of the breakout rooms', () => {
    expect(describeClose(4403, 'conversation/abcdefgh1234/control')).toBe(
      'Your changes to the breakout rooms were refused: you can only read them now.'
    );
  });

  it('R76, R81: a breakout room chat closing says the room was left or removed', () => {
    const room = 'conversation/abcdefgh1234/chat/room0000001';
    expect(describeClose(4401, room)).toBe('You are no longer in this room.');
    expect(describeClose(4410, room)).toBe('This room was removed.');
    expect(describeClose(4401, 'conversation/abcdefgh1234/chat/main')).toBe(
      'You are no longer a member of this conversation.'
    );
  });

  it('R18: keeps each user’s copy of a document in its own IndexedDB database', () => {
    expect(getLocalDbName({ userId: 'alice123', docName: 'conversation/abcdefgh/meta' })).toBe(
      'parley:alice123:conversation/abcdefgh/meta'
    );
  });

  it('uses wss on https pages', () => {
    expect(getSyncUrl({ protocol: 'https:', host: 'parley.example' })).toBe('wss://parley.example/ws');
    expect(getSyncUrl({ protocol: 'http:', host: 'localhost:3000' })).toBe('ws://localhost:3000/ws');
  });
});
